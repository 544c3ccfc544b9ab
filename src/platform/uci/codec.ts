/**
 * UCI file codec, following libuci (openwrt/uci file.c) so that what we write
 * is byte-for-byte what `uci commit` writes, and what we read is what libuci
 * reads. Pure: no node: imports, so it can be unit-tested and reused anywhere.
 *
 * The reader mirrors libuci's functions: parse_str (one argument, built from
 * adjacent quoted/unquoted pieces), parse_single_quote, parse_double_quote,
 * parse_backslash, next_arg/assert_eol, uci_parse_config/option in strict
 * mode (libuci's default, UCI_FLAG_STRICT). See docs/uci.md.
 */

export interface UciSection {
  type: string;
  name: string;
  anonymous: boolean;
  options: Map<string, string | string[]>;
}

export class UciParseError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = "UciParseError";
    this.file = file;
    this.line = line;
  }
}

/** Section and option names: libuci uci_validate_name (shell-safe). */
export const UCI_NAME_RE = /^[A-Za-z0-9_]+$/;
/** Config (package) names: libuci uci_validate_package also allows '-'. */
export const UCI_PACKAGE_RE = /^[A-Za-z0-9_-]+$/;
/** Types as the *reader* accepts them: libuci uci_validate_type takes any printable ASCII but space. */
const READ_TYPE_RE = /^[!-~]+$/;

/**
 * libuci's name for an anonymous section (uci_fixup_section): "cfg", the
 * package's section counter as %02x, then djbhash(type) % 65536 as %04x.
 * Current libuci hashes at creation time, before any option exists, so only
 * the type counts: the first firewall `defaults` is cfg01e63d, as on a router.
 */
export function anonymousName(counter: number, type: string): string {
  let h = 5381;
  // Types are validated ASCII, so a UTF-16 code unit is the C char libuci hashes.
  for (let i = 0; i < type.length; i++) h = (Math.imul(h, 33) + type.charCodeAt(i)) >>> 0;
  return `cfg${counter.toString(16).padStart(2, "0")}${(h & 0xffff).toString(16).padStart(4, "0")}`;
}

// C isspace(): what ends an unquoted word and what libuci skips between arguments.
const isSpace = (c: string | undefined) =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f";

const COMMANDS: Record<string, "package" | "config" | "option" | "list"> = Object.assign(Object.create(null), {
  p: "package", package: "package", c: "config", config: "config",
  o: "option", option: "option", l: "list", list: "list",
});

export function parseUci(text: string, file = "-"): UciSection[] {
  const sections: UciSection[] = [];
  const byName = new Map<string, UciSection>();
  let current: UciSection | undefined;
  let counter = 0; // libuci n_section: every section allocated, named ones too
  let pos = 0;
  const len = text.length;

  const fail = (reason: string): never => {
    // libuci reports the last line read; at EOF that is the last line, not the one after it.
    let end = Math.min(pos, len);
    if (end === len && text.endsWith("\n")) end--;
    let line = 1;
    for (let i = 0; i < end; i++) if (text[i] === "\n") line++;
    throw new UciParseError(file, line, reason);
  };
  const atEol = () => pos >= len || text[pos] === "\n";
  const skipBlank = () => {
    while (pos < len && text[pos] !== "\n" && isSpace(text[pos])) pos++;
  };
  const toEol = () => {
    const nl = text.indexOf("\n", pos);
    pos = nl < 0 ? len : nl;
  };

  // parse_backslash: true → the next char is taken literally (no \n decoding,
  // libuci has a FIXME there); false → a line continuation, newline dropped.
  const backslash = (): boolean => {
    pos++;
    if (pos >= len) return false;
    const eol = text[pos] === "\n" ? 1 : text[pos] === "\r" && text[pos + 1] === "\n" ? 2 : 0;
    pos += eol;
    return eol === 0;
  };

  // parse_str: one argument. Pieces join until whitespace; '#' drops the rest
  // of the line even mid-word; ';' ends the word and (in args()) the statement.
  const word = (): string => {
    let out = "";
    do {
      const c = text[pos];
      if (c === "'") {
        const end = text.indexOf("'", pos + 1);
        if (end < 0) {
          pos = len;
          fail("EOF with unterminated '");
        }
        out += text.slice(pos + 1, end);
        pos = end + 1;
      } else if (c === '"') {
        pos++;
        for (;;) {
          if (pos >= len) fail('EOF with unterminated "');
          const d = text[pos];
          if (d === '"') break;
          if (d !== "\\") out += text[pos++];
          else if (backslash()) out += text[pos++];
        }
        pos++;
      } else if (c === "#") {
        toEol();
        return out;
      } else if (c === undefined || c === ";") {
        return out;
      } else if (c !== "\\") {
        out += c;
        pos++;
      } else if (backslash()) {
        out += text[pos++];
      }
    } while (pos < len && !isSpace(text[pos]));
    return out;
  };

  // The arguments of one statement: up to end of line, ';' or a comment.
  const args = (): string[] => {
    const out: string[] = [];
    for (;;) {
      skipBlank();
      if (atEol()) return out;
      if (text[pos] === "#") {
        toEol();
        return out;
      }
      if (text[pos] === ";") {
        pos++; // the rest of the line holds the next statement
        return out;
      }
      out.push(word());
    }
  };
  const need = (a: string[], i: number): string => a[i] || fail("insufficient arguments");
  // assert_eol: libuci only rejects a non-empty extra argument (`option a b ''` passes).
  const noMore = (a: string[], max: number) => {
    if (a.length > max && (a[max] !== "" || a.length > max + 1)) fail("too many arguments");
  };

  const config = () => {
    const a = args();
    const type = need(a, 0);
    if (!READ_TYPE_RE.test(type)) fail("invalid character in type field");
    const name = a[1] ?? "";
    if (name && !UCI_NAME_RE.test(name)) fail("invalid character in name field");
    noMore(a, 2);
    const existing = name ? byName.get(name) : undefined;
    if (existing) {
      // A repeated named section continues the first one (libuci uci_set on it).
      if (existing.type !== type) fail("section of different type overwrites prior section with same name");
      current = existing;
      return;
    }
    counter++;
    let id = name;
    if (!id) for (id = anonymousName(counter, type); byName.has(id); ) id = anonymousName(++counter, type);
    current = { type, name: id, anonymous: !name, options: new Map() };
    sections.push(current);
    byName.set(id, current);
  };

  const option = (list: boolean) => {
    if (!current) return fail("option/list command found before the first section");
    const a = args();
    const name = need(a, 0);
    if (!UCI_NAME_RE.test(name)) fail("invalid character in name field");
    const value = a[1] ?? "";
    noMore(a, 2);
    const opts = current.options;
    const old = opts.get(name);
    if (list) {
      // uci_add_list: a string turns into [old, new], in the string's place.
      opts.set(name, old === undefined ? [value] : typeof old === "string" ? [old, value] : [...old, value]);
    } else if (value !== "") {
      opts.set(name, value); // Map.set keeps an existing key's position, as current libuci does
    }
    // An empty option value is ignored, even over an earlier value: uci_parse_option's
    // pointer lacks UCI_LOOKUP_COMPLETE, so uci_set returns before uci_delete.
  };

  while (pos < len) {
    skipBlank();
    if (atEol()) {
      pos++;
      continue;
    }
    // The keyword is split on space/tab only (strtok " \t"), never unquoted.
    const start = pos;
    while (pos < len && text[pos] !== " " && text[pos] !== "\t" && text[pos] !== "\n") pos++;
    const cmd = text.slice(start, pos);
    if (cmd[0] === "#") {
      toEol();
      continue;
    }
    switch (COMMANDS[cmd]) {
      case "package": {
        // Accepted and ignored, as uci_import does for a single-package load.
        const a = args();
        if (!UCI_PACKAGE_RE.test(need(a, 0))) fail("invalid character in name field");
        noMore(a, 1);
        break;
      }
      case "config":
        config();
        break;
      case "option":
        option(false);
        break;
      case "list":
        option(true);
        break;
      default:
        pos = start;
        fail("invalid command");
    }
  }
  return sections;
}

/** uci_escape: only ' needs escaping inside single quotes; everything else is written as is. */
const esc = (s: string) => s.replaceAll("'", "'\\''");

/** uci_export_package without the `package` header, exactly as `uci commit` writes a file. */
export function serializeUci(sections: readonly UciSection[]): string {
  let out = "";
  for (const s of sections) {
    out += `\nconfig ${esc(s.type)}${s.anonymous ? "" : ` '${esc(s.name)}'`}\n`;
    for (const [k, v] of s.options) {
      if (typeof v === "string") out += `\toption ${esc(k)} '${esc(v)}'\n`;
      else for (const item of v) out += `\tlist ${esc(k)} '${esc(item)}'\n`;
    }
  }
  return out + "\n";
}
