import * as fsp from "node:fs/promises";
import { constants, createReadStream, createWriteStream } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";

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

/** Atomic write on a real path. Exported for the crash-consistency tests. */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: { mode?: number; defaultMode?: number } = {},
): Promise<void> {
  let mode = opts.mode;
  if (mode === undefined) {
    try {
      mode = (await fsp.stat(file)).mode & 0o7777;
    } catch {
      mode = opts.defaultMode ?? 0o644;
    }
  }
  const dir = dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  // Leading dot: globs over the directory skip it. pid + random suffix: distinct
  // writers do not meet, and O_EXCL below refuses a collision rather than share a file.
  // (Not node:crypto: loading it costs every command ~4 ms of start-up.)
  const suffix = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const tmp = join(dir, `.${basename(file)}.${suffix}.tmp`);
  // Created with the final mode so a secret is never readable, not even for an instant.
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
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
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  // fsync the directory so the rename itself survives a power loss.
  const dh = await fsp.open(dir, constants.O_RDONLY).catch(() => undefined);
  if (dh) await dh.sync().catch(() => {}).finally(() => dh.close());
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "ENOENT";
}

export function createFs(resolve: (abs: string) => string): Fs {
  return {
    real: resolve,
    readText: (p) => fsp.readFile(resolve(p), "utf8"),
    async readIfExists(p) {
      try {
        return await fsp.readFile(resolve(p), "utf8");
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    readBytes: (p) => fsp.readFile(resolve(p)),
    writeAtomic: (p, data, opts) => writeFileAtomic(resolve(p), data, opts),
    remove: (p) => fsp.rm(resolve(p), { force: true }),
    removeTree: (p) => fsp.rm(resolve(p), { force: true, recursive: true }),
    async stat(p) {
      try {
        const s = await fsp.stat(resolve(p));
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
        return (await fsp.readdir(resolve(dir))).sort();
      } catch (e) {
        if (isNotFound(e)) return [];
        throw e;
      }
    },
    mkdirp: async (p, mode) => {
      await fsp.mkdir(resolve(p), { recursive: true, mode });
    },
    chmod: (p, mode) => fsp.chmod(resolve(p), mode),
    async mkdtemp(dir, prefix) {
      await fsp.mkdir(resolve(dir), { recursive: true });
      const real = await fsp.mkdtemp(join(resolve(dir), prefix));
      // Return the router path, not the real one: callers stay root-agnostic.
      return join(dir, basename(real));
    },
    openRead: (p) => createReadStream(resolve(p)),
    openWrite: (p, mode = 0o600) => createWriteStream(resolve(p), { mode }),
  };
}
