/**
 * I/O of the ns.plug methods: UCI, init scripts, the tunnel device.
 * The methods (plug.ts) compose these and map failures to LuCI's error names.
 */
import type { Ctx } from "../platform/context";
import { ConfigError } from "../platform/errors";
import { initScript } from "../platform/services";
import { commitPackage, loadPackage, type UciPackage } from "../platform/uci/store";
import { readNsPlugConfig, PACKAGE, SECTION, type NsPlugConfig } from "../config";
import { RSYSLOG_FILE } from "../controller/paths";
import { RpcdFailure } from "./answer";
import { addDeviceToZone, removeDeviceFromZones, TUN_DEVICE } from "./firewall-zone";
import { tunAddress } from "./plug-status";

/** The ns-plug package and its parsed main section; a bad value is `invalid_config`, not a crash. */
export async function readConfig(ctx: Ctx): Promise<{ pkg: UciPackage; config: NsPlugConfig }> {
  try {
    const r = await readNsPlugConfig(ctx);
    if (!r.pkg.section(SECTION)) r.pkg.setSection(SECTION, "main");
    return r;
  } catch (e) {
    if (e instanceof ConfigError) throw new RpcdFailure("invalid_config", e.message);
    throw e;
  }
}

export async function commitNsPlug(ctx: Ctx, pkg: UciPackage): Promise<boolean> {
  return commitPackage(ctx.fs, pkg);
}

/** `/etc/init.d/<name> <action>`; a missing script or a non-zero exit is `reason`. */
export async function service(ctx: Ctx, name: string, action: string, reason: string): Promise<void> {
  const code = await initScript(ctx, name, action);
  if (code !== 0) throw new RpcdFailure(reason, `/etc/init.d/${name} ${action}: ${code === undefined ? "missing" : `exit ${code}`}`);
}

/** IPv4 of tun-nsplug, null when the device or its address is not there (yet). */
export async function readTunAddress(ctx: Ctx): Promise<string | null> {
  try {
    const r = await ctx.exec("ip", ["-j", "address", "show", "dev", TUN_DEVICE], { timeoutMs: 5_000 });
    return r.code === 0 ? tunAddress(r.stdout) : null;
  } catch (e) {
    ctx.log.warning(`ip: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

/** Put tun-nsplug in (or out of) the lan zone and reload the firewall when that changed anything. */
export async function setTunInLan(ctx: Ctx, inLan: boolean): Promise<void> {
  const fw = await loadPackage(ctx.fs, "firewall");
  const changed = inLan ? addDeviceToZone(fw, "lan", TUN_DEVICE) : removeDeviceFromZones(fw, TUN_DEVICE);
  if (!changed) return;
  await commitPackage(ctx.fs, fw);
  // A missing firewall script (no firewall package) is not a failure of ns-plug.
  const code = await initScript(ctx, "firewall", "reload");
  if (code !== undefined && code !== 0) throw new RpcdFailure("failed_to_reload_firewall", `exit ${code}`);
}

/** Stop forwarding logs to the controller: undo what `connect` set up (SPEC §5). */
export async function removeLogForwarding(ctx: Ctx): Promise<void> {
  const rs = await loadPackage(ctx.fs, "rsyslog");
  if (rs.section("syslog")) rs.delList("syslog", "includes", RSYSLOG_FILE);
  await commitPackage(ctx.fs, rs);
  await ctx.fs.remove(RSYSLOG_FILE);
}

export { PACKAGE, SECTION };
