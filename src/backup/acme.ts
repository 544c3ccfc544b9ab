/**
 * acme.sh rewrites `/etc/acme/http.header` (the headers of its last HTTP
 * answer) on every run, so a backup holding it would look changed after any
 * certificate check. Like the original, it is moved aside while sysupgrade
 * makes the archive, and the digest ignores it too (SPEC §3.5).
 *
 * The file is acme.sh's scratch data, rewritten with each request it makes:
 * if we die before putting it back, nothing of value is lost. /etc is on
 * flash and the workspace on tmpfs, so "moving" is read, remove, write back.
 */
import type { Ctx } from "../platform/context";

export const ACME_HEADER = "/etc/acme/http.header";
/** The archive path of ACME_HEADER, as the digest sees it. */
export const ACME_HEADER_ENTRY = "etc/acme/http.header";

export async function withoutAcmeHeader<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  const st = await ctx.fs.stat(ACME_HEADER);
  if (!st?.isFile) return fn();
  const saved = await ctx.fs.readBytes(ACME_HEADER);
  await ctx.fs.remove(ACME_HEADER);
  try {
    return await fn();
  } finally {
    // acme.sh may have written a fresh one meanwhile: that one wins.
    if (!(await ctx.fs.stat(ACME_HEADER))) await ctx.fs.writeAtomic(ACME_HEADER, saved, { mode: st.mode & 0o777 });
  }
}
