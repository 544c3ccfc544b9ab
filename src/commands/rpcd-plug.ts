/** rpcd exec plugin ns.plug (run by the generated front dist/rpcd/ns.plug for `call`). */
import type { Ctx } from "../platform/context";
import { runPlugin } from "../rpcd/protocol";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  return runPlugin(ctx, "ns.plug", args, () => import("../rpcd/plug"));
}
