/**
 * UCI store: one config (package) loaded from /etc/config/<name>, edited with
 * libuci's semantics (uci set/add/add_list/del_list/delete), and written back
 * only when its content changed, in libuci's canonical form (see codec.ts).
 *
 * A commit is libuci's: it takes the lock `uci commit` takes (lock.ts),
 * re-reads the file under it and applies only what this package object
 * changed since it was loaded — a change set, not the snapshot — so a value
 * somebody else saved meanwhile (LuCI, a script, another of our commands)
 * survives, whatever happened between our load and our commit (docs/uci.md).
 */
import type { Fs } from "../fs";
import { lockConfig } from "./lock";
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
  /** The sections as loaded (or last committed): what changes() compares with. */
  private base: UciSection[];

  constructor(name: string, sections: UciSection[] = []) {
    this.name = name;
    this.list = sections;
    this.counter = sections.length; // after a parse nothing was deleted: count = sections allocated
    this.baseline = serializeUci(sections);
    this.base = cloneSections(sections);
  }

  get changed(): boolean {
    return serializeUci(this.list) !== this.baseline;
  }

  /** Called by commitPackage once the file holds `sections` (the merged content). */
  markCommitted(sections: UciSection[] = this.list): void {
    if (sections !== this.list) this.list.splice(0, this.list.length, ...cloneSections(sections));
    this.baseline = serializeUci(this.list);
    this.base = cloneSections(this.list);
  }

  /** What this object changed since it was loaded, as edits that can be replayed on a fresh read. */
  changes(): UciChange[] {
    return diffSections(this.base, this.list);
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

/** Packages that hold secrets (portal secret, controller token, password hashes, support keys): created 0600. */
export const SECRET_PACKAGES: readonly string[] = ["ns-plug", "rpcd", "don"];

/** The mode a missing /etc/config/<name> is created with: ours, not the umask's. */
export function createModeOf(name: string, defaultMode?: number): number {
  return SECRET_PACKAGES.includes(name) ? 0o600 : (defaultMode ?? 0o644);
}

/**
 * Writes what `pkg` changed, as `uci commit` does: lock, re-read, apply this
 * object's changes to what the file holds now, write (atomic replace, an
 * existing mode kept), unlock. A missing file is created 0600 for the secret
 * packages, else `defaultMode` (0644). Returns whether the file changed, so
 * callers know whether to run reload_config. Unchanged objects cost nothing
 * (no lock, no child process).
 */
export async function commitPackage(
  fs: Fs,
  pkg: UciPackage,
  opts: { defaultMode?: number; warn?: (m: string) => void } = {},
): Promise<boolean> {
  if (!pkg.changed) return false;
  const file = configPath(pkg.name);
  const mode = createModeOf(pkg.name, opts.defaultMode);
  const lock = await lockConfig(fs.real(file), mode, opts.warn);
  try {
    const fresh = await loadPackage(fs, pkg.name);
    applyChanges(fresh, pkg.changes());
    if (!fresh.changed) {
      if (lock.created) await fs.remove(file); // we made it only to lock it
      pkg.markCommitted(fresh.sections() as UciSection[]);
      return false;
    }
    const text = serializeUci(fresh.sections());
    await fs.writeAtomic(file, text, { defaultMode: mode });
    await lock.refresh(text);
    pkg.markCommitted(fresh.sections() as UciSection[]);
    return true;
  } finally {
    await lock.release();
  }
}

export type UciChange =
  | { op: "deleteSection"; name: string }
  | { op: "section"; name: string; type: string; anonymous: boolean }
  | { op: "set"; section: string; option: string; value: string | string[] }
  | { op: "delete"; section: string; option: string }
  | { op: "list"; section: string; option: string; added: string[]; removed: string[] };

function cloneSections(list: readonly UciSection[]): UciSection[] {
  return list.map((s) => ({
    ...s,
    options: new Map([...s.options].map(([k, v]) => [k, Array.isArray(v) ? [...v] : v] as [string, string | string[]])),
  }));
}

const same = (a: string | string[] | undefined, b: string | string[] | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** Pure: the edits that turn `before` into `after`, per option (lists: items added and removed). */
export function diffSections(before: readonly UciSection[], after: readonly UciSection[]): UciChange[] {
  const out: UciChange[] = [];
  const old = new Map(before.map((s) => [s.name, s]));
  for (const s of before) if (!after.some((a) => a.name === s.name)) out.push({ op: "deleteSection", name: s.name });
  for (const s of after) {
    const b = old.get(s.name);
    if (!b || b.type !== s.type) out.push({ op: "section", name: s.name, type: s.type, anonymous: s.anonymous });
    const keys = new Set([...(b?.options.keys() ?? []), ...s.options.keys()]);
    for (const k of keys) {
      const was = b?.options.get(k);
      const now = s.options.get(k);
      if (same(was, now)) continue;
      if (now === undefined) out.push({ op: "delete", section: s.name, option: k });
      else if (Array.isArray(now) && Array.isArray(was)) {
        out.push({ op: "list", section: s.name, option: k, added: now.filter((v) => !was.includes(v)), removed: was.filter((v) => !now.includes(v)) });
      } else out.push({ op: "set", section: s.name, option: k, value: now });
    }
  }
  return out;
}

/** Replay `changes` on `pkg` (a fresh read). The last writer wins per option; list items merge. */
export function applyChanges(pkg: UciPackage, changes: readonly UciChange[]): void {
  const renamed = new Map<string, string>(); // our new anonymous sections get fresh names in `pkg`
  const name = (n: string) => renamed.get(n) ?? n;
  for (const c of changes) {
    if (c.op === "deleteSection") pkg.deleteSection(c.name);
    else if (c.op === "section") {
      if (c.anonymous && !pkg.section(c.name)) renamed.set(c.name, pkg.addSection(c.type));
      else pkg.setSection(c.name, c.type);
    } else if (!pkg.section(name(c.section))) {
      continue; // deleted by somebody else meanwhile: their delete stands
    } else if (c.op === "set") pkg.set(name(c.section), c.option, c.value);
    else if (c.op === "delete") pkg.delete(name(c.section), c.option);
    else {
      const cur = pkg.getList(name(c.section), c.option).filter((v) => !c.removed.includes(v));
      pkg.set(name(c.section), c.option, [...cur, ...c.added.filter((v) => !cur.includes(v))]);
    }
  }
}
