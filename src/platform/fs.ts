import * as fsp from "node:fs/promises";
import { constants, createReadStream, createWriteStream } from "node:fs";
import { basename, dirname, join, normalize } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { ensureDirs, isOurs, isUnsafePath, lstatTrusted, moveAside, openTrusted, readTrusted, sharedTop } from "./shared";

export type { Readable, Writable };

/** Free space of the filesystem holding a path, in bytes (statfs(2)). */
export interface FsSpace {
  totalBytes: number;
  /** Free for unprivileged users (what `df` shows as Available). */
  availableBytes: number;
  /** Total minus free blocks (what `df` shows as Used). */
  usedBytes: number;
}

export interface FileInfo {
  mode: number; // permission bits only
  uid: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  mtimeMs: number;
}

/**
 * File access for feature code. Paths are the router's absolute paths; the
 * resolver maps them under NS_PLUG_ROOT.
 */
export interface Fs {
  /** Real path on this machine (for a child process's argv). */
  real(p: string): string;
  readText(p: string): Promise<string>;
  readIfExists(p: string): Promise<string | undefined>;
  readBytes(p: string): Promise<Buffer>;
  /** Atomic replace: temp file in the same directory, fsync, rename. Keeps the old mode unless `mode` is given. */
  writeAtomic(p: string, data: string | Uint8Array, opts?: { mode?: number; defaultMode?: number }): Promise<void>;
  remove(p: string): Promise<void>;
  removeTree(p: string): Promise<void>;
  stat(p: string): Promise<FileInfo | undefined>;
  /** Space of the filesystem holding `p`; undefined when `p` is missing or statfs is unavailable (Node < 18.15). */
  statfs(p: string): Promise<FsSpace | undefined>;
  list(dir: string): Promise<string[]>;
  mkdirp(p: string, mode?: number): Promise<void>;
  chmod(p: string, mode: number): Promise<void>;
  /** A fresh private directory under `dir` (mode 0700); caller removes it. */
  mkdtemp(dir: string, prefix: string): Promise<string>;
  openRead(p: string): Readable;
  openWrite(p: string, mode?: number): Writable;
}

/**
 * The mode a rewrite gets: `mode` when given; else the replaced file's, but
 * only when it is a regular file of ours (lstat: a link's target never
 * counts), masked to 0777 (never setuid) — without group/other write in a
 * shared directory; else `defaultMode` (0644 unless the caller says 0600).
 */
async function modeFor(file: string, opts: { mode?: number; defaultMode?: number }, shared: boolean): Promise<number> {
  if (opts.mode !== undefined) return opts.mode & 0o777;
  const fallback = (opts.defaultMode ?? 0o644) & 0o777;
  const st = await fsp.lstat(file).catch(() => undefined);
  if (!st || !st.isFile() || !isOurs(st.uid)) return fallback;
  return st.mode & (shared ? 0o755 : 0o777);
}

/**
 * Atomic write on a real path. Exported for the crash-consistency tests.
 * `sharedTop`: the real path of the shared directory (/tmp, /var) `file` is
 * under, when it is: its directories are checked (shared.ts) and a directory
 * planted at the file's name is moved aside.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: { mode?: number; defaultMode?: number } = {},
  sharedTop?: string,
): Promise<void> {
  const mode = await modeFor(file, opts, sharedTop !== undefined);
  const dir = dirname(file);
  if (sharedTop !== undefined) await ensureDirs(sharedTop, dir, { create: true });
  else await fsp.mkdir(dir, { recursive: true });
  // Leading dot: globs over the directory skip it. pid + random suffix: distinct
  // writers do not meet, and O_EXCL below refuses a collision rather than share a file.
  // (Not node:crypto: loading it costs every command ~4 ms of start-up.)
  const suffix = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const tmp = join(dir, `.${basename(file)}.${suffix}.tmp`);
  // Created with the final mode so a secret is never readable, not even for an instant.
  // O_EXCL|O_NOFOLLOW: a link planted at the temp name is refused, never followed.
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have cut bits from open()'s mode
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await renameOver(tmp, file, sharedTop !== undefined);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  // fsync the directory so the rename itself survives a power loss.
  const dh = await fsp.open(dir, constants.O_RDONLY).catch(() => undefined);
  if (dh) await dh.sync().catch(() => {}).finally(() => dh.close());
}

/** rename(2) replaces a link or file at `file` (never following it); a directory planted in a shared dir goes aside first. */
async function renameOver(tmp: string, file: string, shared: boolean): Promise<void> {
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    const c = (e as { code?: string }).code;
    if (!shared || !["EISDIR", "ENOTEMPTY", "EEXIST", "ENOTDIR"].includes(c ?? "")) throw e;
    await moveAside(file);
    await fsp.rename(tmp, file);
  }
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "ENOENT";
}

/** A stream over a descriptor opened and checked first (shared.ts): what is read is what was checked. */
function trustedStream(top: string, file: string): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  (async () => {
    await ensureDirs(top, dirname(file));
    const fh = await openTrusted(file);
    const src = createReadStream("", { fd: fh as never, highWaterMark: 256 * 1024 });
    src.on("error", (e) => out.destroy(e));
    src.pipe(out);
  })().catch((e) => out.destroy(e));
  return out;
}

const notFound = (e: unknown) => isNotFound(e) || (e as { code?: string } | null)?.code === "ENOTDIR";

/**
 * Read a file that may be replaced by rename meanwhile. A UCI commit rewrites
 * the replaced inode in place after the rename (uci/lock.ts: so a `uci
 * commit` that waited on it reads the new content), so a reader that opened
 * it just before may read it half-rewritten. Such an inode has no name left
 * (nlink 0): read the name again.
 */
async function readCurrent(real: string): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    const fh = await fsp.open(real, "r");
    try {
      const data = await fh.readFile();
      if (attempt >= 5 || (await fh.stat()).nlink > 0) return data;
    } finally {
      await fh.close();
    }
  }
}

export function createFs(resolve: (abs: string) => string): Fs {
  /** The real path of the shared top `p` is under (docs/security.md), or undefined. */
  const topOf = (p: string): string | undefined => {
    const t = sharedTop(normalize(p));
    return t === undefined ? undefined : resolve(t);
  };
  const read = async (p: string): Promise<Buffer> => {
    const top = topOf(p);
    return top === undefined ? readCurrent(resolve(p)) : readTrusted(top, resolve(p));
  };
  /** Before removing a name in a shared directory: the directories above it must be ours (no link midway). */
  const parentsSafe = async (p: string): Promise<boolean> => {
    const top = topOf(p);
    if (top === undefined) return true;
    try {
      await ensureDirs(top, dirname(resolve(p)));
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  };
  return {
    real: resolve,
    readText: async (p) => (await read(p)).toString("utf8"),
    async readIfExists(p) {
      try {
        return (await read(p)).toString("utf8");
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    readBytes: read,
    writeAtomic: (p, data, opts) => writeFileAtomic(resolve(p), data, opts, topOf(p)),
    async remove(p) {
      if (await parentsSafe(p)) await fsp.rm(resolve(p), { force: true });
    },
    async removeTree(p) {
      // rm -r never follows links below the name it was given.
      if (await parentsSafe(p)) await fsp.rm(resolve(p), { force: true, recursive: true });
    },
    async stat(p) {
      try {
        const top = topOf(p);
        let s: import("node:fs").Stats | undefined;
        if (top === undefined) s = await fsp.stat(resolve(p));
        // Under a directory that is not ours nothing is trusted: as good as missing.
        else s = (await parentsSafe(p).catch((e) => (isUnsafePath(e) ? false : Promise.reject(e)))) ? await lstatTrusted(resolve(p)) : undefined;
        if (!s) return undefined;
        return {
          mode: s.mode & 0o7777,
          uid: s.uid,
          size: s.size,
          isFile: s.isFile(),
          isDirectory: s.isDirectory(),
          mtimeMs: s.mtimeMs,
        };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async statfs(p) {
      const statfs = (fsp as { statfs?: typeof fsp.statfs }).statfs;
      if (!statfs) return undefined;
      try {
        const s = await statfs(resolve(p));
        return {
          totalBytes: s.blocks * s.bsize,
          availableBytes: s.bavail * s.bsize,
          usedBytes: (s.blocks - s.bfree) * s.bsize,
        };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async list(dir) {
      try {
        const top = topOf(dir);
        if (top !== undefined) await ensureDirs(top, resolve(dir));
        return (await fsp.readdir(resolve(dir))).sort();
      } catch (e) {
        // A file where the directory should be is an error to report (a hook directory
        // that is a file); a missing one, or a file further up the path, lists as empty.
        if ((e as { code?: string }).code === "ENOTDIR" && (await fsp.lstat(resolve(dir)).catch(() => undefined))) throw e;
        if (notFound(e)) return [];
        throw e;
      }
    },
    mkdirp: async (p, mode) => {
      const top = topOf(p);
      // A 0700 directory in a shared place is private: ours, made again when it is not.
      if (top !== undefined) await ensureDirs(top, resolve(p), { create: true, private: mode !== undefined && (mode & 0o077) === 0 });
      else await fsp.mkdir(resolve(p), { recursive: true, mode });
    },
    chmod: (p, mode) => fsp.chmod(resolve(p), mode),
    async mkdtemp(dir, prefix) {
      const top = topOf(dir);
      if (top !== undefined) await ensureDirs(top, resolve(dir), { create: true });
      else await fsp.mkdir(resolve(dir), { recursive: true });
      const real = await fsp.mkdtemp(join(resolve(dir), prefix));
      // Return the router path, not the real one: callers stay root-agnostic.
      return join(dir, basename(real));
    },
    openRead: (p) => {
      const top = topOf(p);
      return top === undefined ? createReadStream(resolve(p)) : trustedStream(top, resolve(p));
    },
    openWrite: (p, mode = 0o600) => createWriteStream(resolve(p), { mode, flags: (constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW) as never }),
  };
}
