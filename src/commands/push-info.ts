import type { Ctx } from "../platform/context";
import { parse, program } from "./cli";

/** `ns-controller-push-info`: OpenVPN route-up hook (SPEC §3.7). */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  // OpenVPN passes the tun device and addresses as arguments: accept and ignore them.
  const cmd = program(ctx, "ns-controller-push-info", "Send this unit's info to the controller (OpenVPN route-up).")
    .allowExcessArguments(true)
    .allowUnknownOption(true);
  if (!(await parse(cmd, args))) return 0;
  const { pushInfo } = await import("../controller/pushInfo");
  return pushInfo(ctx);
}
