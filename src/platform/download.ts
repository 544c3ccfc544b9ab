/**
 * Downloads into a directory under /tmp (world-writable on the router):
 * the directory is ours only if it is a real directory (not a link), owned
 * by us and writable by nobody else; files in it are created with O_EXCL |
 * O_NOFOLLOW and renamed into place, so no planted link is ever followed.
 * The body is hashed while it streams to disk: memory stays flat whatever
 * the size of the file.
 */
import { constants } from "node:fs";
import * as fsp from "node:fs/promises";
import { createHash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { basename, dirname, join } from "node:path";
import { collector } from "./files";

/** A minor GC this often: received chunks are Buffers outside V8's heap, which V8 only frees when its own heap asks (see files.ts). */
const RECLAIM_EVERY = 8 * 1024 * 1024;

/** A regular file (not a link) in a private directory, or undefined. */
export async function regularFile(realPath: string): Promise<{ size: number } | undefined> {
  const st = await fsp.lstat(realPath).catch(() => undefined);
  return st?.isFile() ? { size: st.size } : undefined;
}

const tmpName = (realPath: string) =>
  join(dirname(realPath), `.${basename(realPath)}.${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}.part`);

/**
 * Stream `src` into `realPath` (atomically: a temp file, fsync, rename) while
 * computing its sha256. On any failure the temp file is removed and
 * `realPath` is untouched. `onTemp` learns the temp path (for signal cleanup).
 */
export async function saveHashed(
  src: Readable,
  realPath: string,
  opts: { mode?: number; onTemp?: (tmp: string) => void } = {},
): Promise<{ bytes: number; sha256: string }> {
  const mode = opts.mode ?? 0o600;
  const tmp = tmpName(realPath);
  opts.onTemp?.(tmp);
  const early = () => {};
  src.on("error", early);
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  src.off("error", early);
  const hash = createHash("sha256");
  let bytes = 0;
  let since = 0;
  const collect = collector();
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      since += chunk.length;
      if (collect && since >= RECLAIM_EVERY) {
        since = 0;
        collect({ type: "minor", execution: "sync" });
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(src, tap, fh.createWriteStream());
    const synced = await fsp.open(tmp, "r");
    await synced.sync().finally(() => synced.close());
    await fsp.rename(tmp, realPath);
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** sha256 of a file, streamed. */
export async function sha256File(realPath: string): Promise<string> {
  const hash = createHash("sha256");
  const fh = await fsp.open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for await (const chunk of fh.createReadStream({ highWaterMark: 256 * 1024, autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await fh.close();
  }
  return hash.digest("hex");
}

/** Remove a file by its real path (signal-time cleanup of a temp file); missing is fine. */
export async function removeReal(realPath: string): Promise<void> {
  await fsp.rm(realPath, { force: true });
}
