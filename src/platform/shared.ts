/**
 * Paths in shared directories: /tmp, /var and /var/run (on OpenWrt /var is a
 * link to /tmp, mode 1777). Any local user — dnsmasq, ntpd, a CGI — can put
 * a link, a file or a directory at a name there before we come, so such a
 * path is an untrusted name (docs/security.md, DESIGN practice 11):
 *
 *  - nothing is followed: files are opened O_NOFOLLOW and checked on the
 *    descriptor (fstat), not on the path;
 *  - what we read or write into must be ours (uid 0, or the uid we run as
 *    on a developer machine) and not writable by group or others;
 *  - every directory between the shared top and the file must be ours and
 *    either closed to others or sticky: then nobody else can rename or
 *    replace an entry we checked, and path-based calls after the check stay
 *    on what was checked;
 *  - a private directory (mode 0700) is created by us; one that is not ours
 *    is moved aside and made again. A link or file planted at the name of a
 *    state file is replaced (rename does not follow it); a directory planted
 *    there is moved aside first.
 *
 * fs.ts routes every router path under a shared top through here, so feature
 * code never handles these names itself.
 */
import * as fsp from "node:fs/promises";
import { constants, type Stats } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { NsPlugError } from "./errors";

/** Router directories anybody may write into (OpenWrt: /var → /tmp, both 1777). */
export const SHARED_TOPS = ["/tmp", "/var"] as const;

/** Pure: the shared top a router path lives under, or undefined. */
export function sharedTop(routerPath: string): string | undefined {
  return SHARED_TOPS.find((t) => routerPath === t || routerPath.startsWith(`${t}/`));
}

/** Thrown instead of touching a path another user controls; `code` mirrors an errno for callers that test it. */
export class UnsafePathError extends NsPlugError {
  readonly code = "EUNSAFE";
  readonly path: string;
  constructor(path: string, why: string) {
    super(1, `${path}: refused: ${why}`);
    this.name = "UnsafePathError";
    this.path = path;
  }
}

export function isUnsafePath(e: unknown): e is UnsafePathError {
  return e instanceof UnsafePathError;
}

const euid = (): number => (typeof process.geteuid === "function" ? process.geteuid() : 0);

/** uid 0 always; the uid we run as too, so tests on a developer machine need no sudo. */
export function isOurs(uid: number): boolean {
  return uid === 0 || uid === euid();
}

/** Pure: why a directory is not safe to hold our files, or undefined. Sticky directories may be open to others. */
export function dirProblem(st: Pick<Stats, "uid" | "mode"> & { isDirectory(): boolean }, opts: { private?: boolean } = {}): string | undefined {
  if (!st.isDirectory()) return "not a directory";
  if (!isOurs(st.uid)) return `owned by uid ${st.uid}`;
  if (opts.private) return (st.mode & 0o077) === 0 ? undefined : `mode ${(st.mode & 0o777).toString(8)}, not private`;
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return "writable by others";
  return undefined;
}

/** Pure: why a file is not safe to read or keep, or undefined. */
export function fileProblem(st: Pick<Stats, "uid" | "mode"> & { isFile(): boolean }): string | undefined {
  if (!st.isFile()) return "not a regular file";
  if (!isOurs(st.uid)) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0) return "writable by group or others";
  return undefined;
}

const code = (e: unknown) => (e as { code?: string } | null)?.code;
const rand = () => `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;

/**
 * Put whatever sits at `path` out of the way: a link or file is unlinked (the
 * name goes, never a target), a directory is renamed to a hidden name next to
 * it (removing another user's tree would follow their links midway).
 */
export async function moveAside(path: string): Promise<void> {
  const st = await fsp.lstat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) await fsp.rename(path, join(dirname(path), `.${basename(path)}.${rand()}.untrusted`));
  else await fsp.unlink(path);
}

/** lstat + open(O_NOFOLLOW|O_DIRECTORY) + fstat: the same directory, and a safe one. */
async function checkDir(path: string, opts: { private?: boolean; top?: boolean }): Promise<string | undefined> {
  // The top may be a link (/var → /tmp on OpenWrt): root's link in root's /, so it is followed.
  const flags = constants.O_RDONLY | constants.O_DIRECTORY | (opts.top ? 0 : constants.O_NOFOLLOW);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, flags);
  } catch (e) {
    if (code(e) === "ENOENT") throw e;
    if (code(e) === "ELOOP" || code(e) === "ENOTDIR") return code(e) === "ELOOP" ? "a symbolic link" : "not a directory";
    throw e;
  }
  try {
    return dirProblem(await fh.stat(), opts);
  } finally {
    await fh.close();
  }
}

export interface DirOptions {
  /** The last directory is ours alone (0700): made by us, made again when it is not ours. */
  private?: boolean;
  /** Create missing directories (intermediates 0755, a private last one 0700). */
  create?: boolean;
  /** Told when something planted was moved aside. */
  warn?: (msg: string) => void;
}

/**
 * Check (and with `create`, make) every directory from the shared top `top`
 * down to `dir` (real paths). Throws UnsafePathError when one is not safe
 * and may not be replaced, ENOENT when one is missing and `create` is off.
 */
export async function ensureDirs(top: string, dir: string, opts: DirOptions = {}): Promise<void> {
  const why = await checkDir(top, { top: true });
  if (why) throw new UnsafePathError(top, why);
  const parts = relative(top, dir).split(sep).filter(Boolean);
  let cur = top;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    const last = i === parts.length - 1;
    const priv = last && opts.private === true;
    for (let attempt = 0; ; attempt++) {
      let problem: string | undefined;
      try {
        problem = await checkDir(cur, { private: priv });
      } catch (e) {
        if (code(e) !== "ENOENT" || !opts.create) throw e;
        try {
          await fsp.mkdir(cur, priv ? 0o700 : 0o755);
        } catch (m) {
          if (code(m) !== "EEXIST") throw m;
        }
        if (attempt < 5) continue; // look again: what we just made, or what beat us to the name
        throw new UnsafePathError(cur, "keeps being replaced");
      }
      if (!problem) break;
      // Ours, but looser than private: tighten it rather than move it (nobody else could have put anything in).
      if (priv && problem.endsWith("not private")) {
        const fh = await fsp.open(cur, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
        try {
          const st = await fh.stat();
          // Group/other write: someone may have planted entries; start from a fresh directory instead.
          if ((st.mode & 0o022) === 0) {
            await fh.chmod(0o700);
            continue;
          }
        } finally {
          await fh.close();
        }
      }
      if (!priv || !opts.create || attempt >= 5) throw new UnsafePathError(cur, problem);
      await moveAside(cur);
      opts.warn?.(`${cur}: ${problem}: moved aside, made a private one`);
    }
  }
}

/** Open `file` for reading without following a link; the descriptor must be a regular file of ours. */
export async function openTrusted(file: string): Promise<fsp.FileHandle> {
  const fh = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((e) => {
    if (code(e) === "ELOOP") throw new UnsafePathError(file, "a symbolic link");
    throw e;
  });
  const problem = fileProblem(await fh.stat());
  if (problem) {
    await fh.close();
    throw new UnsafePathError(file, problem);
  }
  return fh;
}

/** Read a file in a shared directory; the directories above it must be safe too. */
export async function readTrusted(top: string, file: string): Promise<Buffer> {
  await ensureDirs(top, dirname(file));
  const fh = await openTrusted(file);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** What stat() reports for a shared path: lstat, and nothing for what is not ours or not safe. */
export async function lstatTrusted(path: string): Promise<Stats | undefined> {
  const st = await fsp.lstat(path).catch((e) => {
    if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return undefined;
    throw e;
  });
  if (!st || st.isSymbolicLink()) return undefined;
  if (st.isDirectory() ? dirProblem(st) : fileProblem(st)) return undefined;
  return st;
}
