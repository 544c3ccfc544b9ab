/**
 * I/O of the ns.plug methods: UCI, init scripts, the tunnel device.
 * The methods (plug.ts) compose these and map failures to LuCI's error names.
 */
import type { Ctx } from "../platform/context";
import { ConfigError, NsPlugError } from "../platform/errors";
import { UciParseError } from "../platform/uci/codec";
import { initScript } from "../platform/services";
import { commitPackage, loadPackage, type UciPackage } from "../platform/uci/store";
import { readNsPlugConfig, PACKAGE, SECTION, type NsPlugConfig } from "../config";
import { RSYSLOG_FILE } from "../controller/paths";

const RSYSLOG_CONF = "/etc/rsyslog.conf";
import { RpcdFailure } from "./answer";
import { addDeviceToZone, removeDeviceFromZones, TUN_DEVICE } from "./firewall-zone";
import { tunAddress } from "./plug-status";

/** A file libuci itself would refuse (a syntax error), or a value we cannot use: `invalid_config`, not a crash. */
function asInvalidConfig(e: unknown): unknown {
  if (e instanceof ConfigError || (e instanceof NsPlugError && e.cause instanceof UciParseError)) {
    return new RpcdFailure("invalid_config", e.message);
  }
  return e;
}

/** The ns-plug package and its parsed main section; a bad value is `invalid_config`, not a crash. */
export async function readConfig(ctx: Ctx): Promise<{ pkg: UciPackage; config: NsPlugConfig }> {
  try {
    const r = await readNsPlugConfig(ctx);
    if (!r.pkg.section(SECTION)) r.pkg.setSection(SECTION, "main");
    return r;
  } catch (e) {
    throw asInvalidConfig(e);
  }
}

/**
 * The ns-plug package as `uci set` sees it: not parsed into the typed config,
 * so a value the typed config refuses (`description` held as `list` lines)
 * does not stop a set that libuci accepts (it replaces the list in place).
 */
export async function loadNsPlug(ctx: Ctx): Promise<UciPackage> {
  try {
    const pkg = await loadPackage(ctx.fs, PACKAGE);
    if (!pkg.section(SECTION)) pkg.setSection(SECTION, "main");
    return pkg;
  } catch (e) {
    throw asInvalidConfig(e);
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

/** The original's line in /etc/rsyslog.conf, added for its promtail forwarder. */
const PRESERVE_FQDN = /^\s*\$PreserveFQDN\s+on\s*$/;

/**
 * Stop forwarding logs to the controller: undo what `connect` set up (SPEC §5),
 * and what the original package left on units upgraded from it (its
 * `rsyslog.promtail` forwarder section and `$PreserveFQDN on` line), or the
 * unit would keep sending logs after "disconnect".
 */
export async function removeLogForwarding(ctx: Ctx): Promise<void> {
  const rs = await loadPackage(ctx.fs, "rsyslog");
  if (rs.section("syslog")) rs.delList("syslog", "includes", RSYSLOG_FILE);
  if (rs.section("promtail")) rs.deleteSection("promtail");
  await commitPackage(ctx.fs, rs);
  await ctx.fs.remove(RSYSLOG_FILE);
  const conf = await ctx.fs.readIfExists(RSYSLOG_CONF);
  if (conf === undefined) return;
  const lines = conf.split("\n");
  const kept = lines.filter((l) => !PRESERVE_FQDN.test(l));
  if (kept.length !== lines.length) await ctx.fs.writeAtomic(RSYSLOG_CONF, kept.join("\n"), { defaultMode: 0o644 });
}

export { PACKAGE, SECTION };
