/**
 * UCI store: one config (package) loaded from /etc/config/<name>, edited with
 * libuci's semantics (uci set/add/add_list/del_list/delete), and written back
 * only when its content changed, in libuci's canonical form (see codec.ts).
 */
import type { Fs } from "../fs";
import { NsPlugError } from "../errors";
import { anonymousName, parseUci, serializeUci, UciParseError, UCI_NAME_RE, UCI_PACKAGE_RE } from "./codec";
import type { UciSection } from "./codec";

/** Types we write: stricter than what libuci reads, so our own output always reads back. */
const TYPE_RE = /^[A-Za-z0-9_-]+$/;

function check(re: RegExp, value: string, what: string): void {
  if (!re.test(value)) throw new NsPlugError(1, `uci: invalid ${what} '${value}'`);
}

const configPath = (name: string) => `/etc/config/${name}`;

export class UciPackage {
  readonly name: string;
  private readonly list: UciSection[];
  /** libuci n_section: counts every section ever allocated, drives generated names. */
  private counter: number;
  /**
   * Canonical text of what the file holds. `changed` compares against it
   * instead of tracking edits, so set-then-revert is no change and the file
   * (with its comments and layout) is left alone.
   */
  private baseline: string;

  constructor(name: string, sections: UciSection[] = []) {
    this.name = name;
    this.list = sections;
    this.counter = sections.length; // after a parse nothing was deleted: count = sections allocated
    this.baseline = serializeUci(sections);
  }

  get changed(): boolean {
    return serializeUci(this.list) !== this.baseline;
  }

  /** Called by commitPackage once the file holds the current content. */
  markCommitted(): void {
    this.baseline = serializeUci(this.list);
  }

  sections(): readonly UciSection[] {
    return this.list;
  }

  section(name: string): UciSection | undefined {
    return this.list.find((s) => s.name === name);
  }

  sectionsOfType(type: string): UciSection[] {
    return this.list.filter((s) => s.type === type);
  }

  get(section: string, option: string): string | string[] | undefined {
    const v = this.section(section)?.options.get(option);
    return Array.isArray(v) ? [...v] : v; // a copy: callers must go through set/addList
  }

  getString(section: string, option: string): string | undefined {
    const v = this.get(section, option);
    return typeof v === "string" ? v : undefined;
  }

  getList(section: string, option: string): string[] {
    const v = this.get(section, option);
    return v === undefined ? [] : typeof v === "string" ? [v] : v;
  }

  /** `uci set pkg.name=type`: creates the section, or retypes an existing one in place. */
  setSection(name: string, type: string): void {
    check(UCI_NAME_RE, name, "section name");
    check(TYPE_RE, type, "section type");
    const s = this.section(name);
    if (s) {
      s.type = type;
      return;
    }
    this.counter++;
    this.list.push({ type, name, anonymous: false, options: new Map() });
  }

  /** `uci add pkg type`: returns the same cfgXXYYYY name libuci would print. */
  addSection(type: string): string {
    check(TYPE_RE, type, "section type");
    let name: string;
    do {
      name = anonymousName(++this.counter, type);
    } while (this.section(name)); // only a hand-named "cfg…" section can collide
    this.list.push({ type, name, anonymous: true, options: new Map() });
    return name;
  }

  deleteSection(name: string): void {
    const i = this.list.findIndex((s) => s.name === name);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** `uci set`: '' or [] deletes; an existing option keeps its place, a new one goes last. */
  set(section: string, option: string, value: string | string[]): void {
    const opts = this.options(section, option);
    if (value === "" || (Array.isArray(value) && value.length === 0)) opts.delete(option);
    else opts.set(option, Array.isArray(value) ? [...value] : value);
  }

  /** `uci add_list`: a string option becomes [old, item], in the string's place. */
  addList(section: string, option: string, item: string): void {
    const opts = this.options(section, option);
    const old = opts.get(option);
    opts.set(option, old === undefined ? [item] : typeof old === "string" ? [old, item] : [...old, item]);
  }

  /**
   * `uci del_list`: removes every item equal to `item`; a string option is
   * left alone, as libuci does. An emptied list is dropped (libuci keeps an
   * empty list, which writes nothing: the file is the same).
   */
  delList(section: string, option: string, item: string): void {
    check(UCI_NAME_RE, option, "option name");
    const opts = this.section(section)?.options;
    const old = opts?.get(option);
    if (!opts || !Array.isArray(old)) return;
    const rest = old.filter((v) => v !== item);
    if (rest.length) opts.set(option, rest);
    else opts.delete(option);
  }

  /** Deleting what is not there is not an error: callers want "make it absent". */
  delete(section: string, option: string): void {
    check(UCI_NAME_RE, option, "option name");
    this.section(section)?.options.delete(option);
  }

  private options(section: string, option: string): Map<string, string | string[]> {
    check(UCI_NAME_RE, option, "option name");
    const s = this.section(section);
    if (!s) throw new NsPlugError(1, `uci: ${this.name}.${section}: no such section`);
    return s.options;
  }
}

/** Reads /etc/config/<name>; a missing file is an empty package. */
export async function loadPackage(fs: Fs, name: string): Promise<UciPackage> {
  check(UCI_PACKAGE_RE, name, "config name"); // also keeps the path inside /etc/config
  const file = configPath(name);
  const text = await fs.readIfExists(file);
  if (text === undefined) return new UciPackage(name);
  try {
    return new UciPackage(name, parseUci(text, file));
  } catch (e) {
    if (e instanceof UciParseError) throw new NsPlugError(1, e.message, { cause: e });
    throw e;
  }
}

/**
 * Writes the package if its content changed (atomic replace, existing mode
 * kept, `defaultMode` for a new file). Returns whether it wrote, so callers
 * know whether to run reload_config.
 */
export async function commitPackage(fs: Fs, pkg: UciPackage, opts: { defaultMode?: number } = {}): Promise<boolean> {
  if (!pkg.changed) return false;
  await fs.writeAtomic(configPath(pkg.name), serializeUci(pkg.sections()), {
    defaultMode: opts.defaultMode ?? 0o644,
  });
  pkg.markCommitted();
  return true;
}
