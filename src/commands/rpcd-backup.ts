/** rpcd exec plugin ns.backup (run by the generated front dist/rpcd/ns.backup for `call`). */
import type { Ctx } from "../platform/context";
import { runPlugin } from "../rpcd/protocol";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  return runPlugin(ctx, "ns.backup", args, () => import("../rpcd/backup"));
}
