/**
 * The configuration archive is made and restored by OpenWrt's sysupgrade:
 * `-b <file>` writes a tar.gz of /etc/config and the keep lists
 * (/etc/sysupgrade.conf, /lib/upgrade/keep.d/*), `-r <file>` unpacks one over /.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import type { Readable } from "../platform/fs";
import { BackupError } from "./errors";

const TIMEOUT_MS = 5 * 60_000;

function why(r: { code: number | null; signal: string | null; stderr: string; timedOut: boolean }): string {
  if (r.timedOut) return "timed out";
  const last = r.stderr.trim().split("\n").pop() ?? "";
  return `${r.code !== null ? `exit status ${r.code}` : `killed by ${r.signal}`}${last ? `: ${last}` : ""}`;
}

/** `sysupgrade [-k] -b <file>`; `withPackages` (-k) adds the installed-packages list. */
export async function createArchive(
  ctx: Ctx,
  file: string,
  opts: { withPackages: boolean; signal?: AbortSignal; track?: <T>(p: Promise<T>) => Promise<T> },
): Promise<void> {
  const args = [...(opts.withPackages ? ["-k"] : []), "-b", ctx.path(file)];
  const run = ctx.exec("sysupgrade", args, { timeoutMs: TIMEOUT_MS, signal: opts.signal });
  let r;
  try {
    r = await (opts.track ? opts.track(run) : run);
  } catch (e) {
    throw new BackupError("backup_failed", `create backup: sysupgrade: ${errorMessage(e)}`);
  }
  if (r.code !== 0) throw new BackupError("backup_failed", `create backup: sysupgrade -b failed (${why(r)})`);
  const st = await ctx.fs.stat(file);
  if (!st?.isFile || st.size === 0) throw new BackupError("backup_failed", "create backup: sysupgrade -b wrote no archive");
}

/** `sysupgrade -r <file>`: unpack a plain (decrypted) archive over the system. */
export async function restoreArchive(ctx: Ctx, file: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  let r;
  try {
    r = await ctx.exec("sysupgrade", ["-r", ctx.path(file)], { timeoutMs: TIMEOUT_MS, signal: opts.signal });
  } catch (e) {
    throw new BackupError("restore_failed", `restore: sysupgrade: ${errorMessage(e)}`);
  }
  if (r.code !== 0) throw new BackupError("restore_failed", `restore: sysupgrade -r failed (${why(r)})`);
}

/** Pure: does the file start like a gzip stream (a plain archive) rather than OpenPGP data? */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The first bytes of a file, to tell a plain archive from an encrypted one. */
export async function readHead(stream: Readable, n = 4): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let len = 0;
  for await (const c of stream) {
    parts.push(c as Uint8Array);
    len += (c as Uint8Array).length;
    if (len >= n) break;
  }
  stream.destroy();
  const out = new Uint8Array(Math.min(n, len));
  let off = 0;
  for (const p of parts) {
    const k = Math.min(p.length, out.length - off);
    out.set(p.subarray(0, k), off);
    off += k;
    if (off >= out.length) break;
  }
  return out;
}
