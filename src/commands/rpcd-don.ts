/** rpcd exec plugin ns.don (run by the generated front dist/rpcd/ns.don for `call`). */
import type { Ctx } from "../platform/context";
import { runPlugin } from "../rpcd/protocol";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  return runPlugin(ctx, "ns.don", args, () => import("../rpcd/don"));
}
