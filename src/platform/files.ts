/**
 * Streams to and from files given as *this machine's* paths: a path typed by
 * the admin on the command line (`remote-backup upload ./x`), or a router
 * path already mapped with ctx.path(). ctx.fs covers router paths only.
 */
import { createReadStream, createWriteStream } from "node:fs";
import * as fsp from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable, Writable } from "node:stream";
import { makeResolver } from "./paths";

/**
 * A file argument of a command: absolute → a router path (under NS_PLUG_ROOT,
 * which is / on the router), relative → from the working directory.
 */
export function argPath(root: string, p: string): string {
  return isAbsolute(p) ? makeResolver(root)(p) : resolve(process.cwd(), p);
}

export async function fileSize(realPath: string): Promise<number | undefined> {
  try {
    const s = await fsp.stat(realPath);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** 256 KiB reads: fewer syscalls and HTTP writes than the 64 KiB default, still a small, bounded buffer. */
export function openFileRead(realPath: string): Readable {
  return createReadStream(realPath, { highWaterMark: 256 * 1024 });
}

/**
 * Copy a stream into `realPath` atomically: a temp file in the same directory
 * (created with `mode`), fsync, rename. On any failure the temp file is
 * removed and the target is untouched. Returns the number of bytes written.
 */
export async function saveStream(src: Readable, realPath: string, mode = 0o600): Promise<number> {
  const dir = dirname(realPath);
  const tmp = join(dir, `.${basename(realPath)}.${randomBytes(6).toString("hex")}.tmp`);
  let bytes = 0;
  src.on("data", (c: Uint8Array) => {
    bytes += c.length;
  });
  try {
    const out = createWriteStream(tmp, { mode, flags: "wx" });
    await pipeline(src, out);
    const fh = await fsp.open(tmp, "r");
    await fh.sync().finally(() => fh.close());
    await fsp.chmod(tmp, mode);
    await fsp.rename(tmp, realPath);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  return bytes;
}

/**
 * Copy a stream into a writable that stays open (stdout), honouring
 * backpressure. Rejects when either side fails (e.g. EPIPE: the reader left).
 */
export function pipeInto(src: Readable, dst: Writable): Promise<number> {
  return new Promise((res, rej) => {
    let bytes = 0;
    const fail = (e: unknown) => {
      src.destroy();
      rej(e);
    };
    dst.on("error", fail);
    src.on("error", fail);
    src.on("data", (c: Uint8Array) => {
      bytes += c.length;
      if (!dst.write(c)) {
        src.pause();
        dst.once("drain", () => src.resume());
      }
    });
    src.on("end", () => {
      // An empty write calls back once everything before it was handed to the OS.
      dst.write(new Uint8Array(0), (e) => {
        dst.removeListener("error", fail);
        if (e) rej(e);
        else res(bytes);
      });
    });
  });
}
