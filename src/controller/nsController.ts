/**
 * /usr/libexec/rpcd/ns.controller (another package's rpcd plugin): its
 * `call <method>` prints the JSON the controller ingests. Run directly, the
 * way rpcd would, with `{}` on stdin.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";

export const NS_CONTROLLER = "/usr/libexec/rpcd/ns.controller";

export async function hasNsController(ctx: Ctx): Promise<boolean> {
  const st = await ctx.fs.stat(NS_CONTROLLER);
  return !!st?.isFile && (st.mode & 0o111) !== 0;
}

/** The JSON value printed by `ns.controller call <method>`, or an Error saying why not. */
export async function callNsController(ctx: Ctx, method: string): Promise<unknown> {
  const r = await ctx.exec(ctx.path(NS_CONTROLLER), ["call", method], { stdin: "{}", timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`ns.controller call ${method} exited ${r.code ?? r.signal}`);
  try {
    const v: unknown = JSON.parse(r.stdout);
    if (v === null || typeof v !== "object") throw new Error("not an object");
    return v;
  } catch (e) {
    throw new Error(`ns.controller call ${method}: not a JSON object (${errorMessage(e)})`);
  }
}
