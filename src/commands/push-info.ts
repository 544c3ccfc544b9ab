import type { Ctx } from "../platform/context";
import { parse, program } from "./cli";

/**
 * `ns-controller-push-info`: OpenVPN route-up hook (SPEC §3.7). OpenVPN waits
 * for its hooks and moves no packets meanwhile, while the info may travel
 * through this very tunnel (vpn_address): run as a hook (OpenVPN sets
 * `script_type`), it hands the work to a detached copy of itself and returns
 * at once. Run by hand, it sends in the foreground and reports the outcome.
 * With OpenVPN's `ifconfig_local` (the hook, and its detached copy) it also
 * exports this unit's metrics on the tunnel address for the controller.
 */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  // OpenVPN passes the tun device and addresses as arguments: accept and ignore them.
  const cmd = program(ctx, "ns-controller-push-info", "Send this unit's info to the controller (OpenVPN route-up).")
    .allowExcessArguments(true)
    .allowUnknownOption(true)
    .addHelpText("after", "\nRun by OpenVPN (script_type set), it returns at once and sends from a detached process.\n");
  if (!(await parse(cmd, args))) return 0;
  if (ctx.env.script_type) {
    const { detachSelf } = await import("../platform/detach");
    const pid = detachSelf("ns-controller-push-info", [], { ...ctx.env, script_type: undefined });
    ctx.log.debug(`sending the unit info from process ${pid ?? "?"}`);
    return 0;
  }
  if (ctx.env.ifconfig_local !== undefined) {
    const { exportMetrics } = await import("../controller/metricsExporter");
    await exportMetrics(ctx, ctx.env.ifconfig_local);
  }
  const { pushInfo } = await import("../controller/pushInfo");
  return pushInfo(ctx);
}
