/**
 * Other packages' rpcd plugins the controller feature reads from:
 * /usr/libexec/rpcd/ns.controller (`info`, the `dump-*` reports) and
 * /usr/libexec/rpcd/ns.update (`check-system-update`). Run directly, the
 * way rpcd would, with `{}` on stdin.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";

export const NS_CONTROLLER = "/usr/libexec/rpcd/ns.controller";
export const NS_UPDATE = "/usr/libexec/rpcd/ns.update";

export async function hasPlugin(ctx: Ctx, plugin: string): Promise<boolean> {
  const st = await ctx.fs.stat(plugin);
  return !!st?.isFile && (st.mode & 0o111) !== 0;
}

export const hasNsController = (ctx: Ctx) => hasPlugin(ctx, NS_CONTROLLER);

/** The JSON object printed by `<plugin> call <method>`; throws saying why not. */
export async function callPlugin(ctx: Ctx, plugin: string, method: string): Promise<Record<string, unknown>> {
  const name = plugin.split("/").pop();
  const r = await ctx.exec(ctx.path(plugin), ["call", method], { stdin: "{}", timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${name} call ${method} exited ${r.code ?? r.signal}`);
  let v: unknown;
  try {
    v = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`${name} call ${method}: not JSON (${errorMessage(e)})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${name} call ${method}: not a JSON object`);
  return v as Record<string, unknown>;
}

export const callNsController = (ctx: Ctx, method: string) => callPlugin(ctx, NS_CONTROLLER, method);
