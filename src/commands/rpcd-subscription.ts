/** rpcd exec plugin ns.subscription (run by the generated front dist/rpcd/ns.subscription for `call`). */
import type { Ctx } from "../platform/context";
import { runPlugin } from "../rpcd/protocol";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  return runPlugin(ctx, "ns.subscription", args, () => import("../rpcd/subscription"));
}
