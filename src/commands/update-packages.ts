import type { Ctx } from "../platform/context";
import { updatePackages } from "../updates/update-packages";
import { parse, program } from "./cli";

/** `update-packages`: apk update, then upgrade each upgradable package; output to syslog (SPEC §10). */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "update-packages", "Update the package lists and upgrade every upgradable package (log: tag update-packages).");
  if (!(await parse(cmd, args))) return 0;
  return (await updatePackages(ctx)).ok ? 0 : 1;
}
