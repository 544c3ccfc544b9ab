import type { Ctx } from "../platform/context";
import { parse, program } from "./cli";

/** `ns-push-reports`: post the ns.controller dumps to the controller (cron, SPEC §3.7). */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "ns-push-reports", "Send the unit's reports (ns.controller dumps) to the controller.").addHelpText(
    "after",
    "\nExit status: 0 all sent, 1 some failed or server missing, 2 unit_id missing, 3 token missing.\n",
  );
  if (!(await parse(cmd, args))) return 0;
  const { pushReports } = await import("../controller/pushReports");
  return pushReports(ctx);
}
