/**
 * SPEC §3.1 step 5: after the controller said 200, make the unit ready for
 * OpenVPN: password hash for rpcd, vpn_address/api_port, client.conf, log
 * forwarding, the reports cron line. Every write is atomic.
 */
import type { Ctx } from "../platform/context";
import { hashPassword } from "../platform/crypt";
import { initScript } from "../platform/services";
import { ensureSchedule } from "../schedule/index";
import { commitPackage, loadPackage } from "../platform/uci/store";
import { PACKAGE, SECTION, type NsPlugConfig } from "../config";
import { renderClientConf } from "./clientConf";
import { setControllerPassword } from "./controllerLogin";
import { renderRsyslogConf } from "./rsyslogConf";
import { CLIENT_CONF, PUSH_INFO, RSYSLOG_FILE, RSYSLOG_SPOOL, TELEGRAF_DOWN } from "./paths";
import type { ControllerData } from "./validate";


/** Save vpn_address/api_port (only both together), re-reading the config: LuCI may have changed it meanwhile. */
async function saveApiAddress(ctx: Ctx, data: ControllerData): Promise<void> {
  if (data.vpnAddress === undefined || data.apiPort === undefined) return;
  const pkg = await loadPackage(ctx.fs, PACKAGE);
  if (!pkg.section(SECTION)) pkg.setSection(SECTION, "main");
  pkg.set(SECTION, "vpn_address", data.vpnAddress);
  pkg.set(SECTION, "api_port", String(data.apiPort));
  await commitPackage(ctx.fs, pkg);
}

/** Make sure rsyslog includes our file (SPEC §5); returns whether the list changed. */
async function ensureRsyslogInclude(ctx: Ctx): Promise<boolean> {
  const pkg = await loadPackage(ctx.fs, "rsyslog");
  if (pkg.getList("syslog", "includes").includes(RSYSLOG_FILE)) return false;
  if (!pkg.section("syslog")) pkg.setSection("syslog", "syslog");
  pkg.addList("syslog", "includes", RSYSLOG_FILE);
  return commitPackage(ctx.fs, pkg);
}

export async function applyRegistration(
  ctx: Ctx,
  config: NsPlugConfig,
  login: { username: string; password: string },
  data: ControllerData,
): Promise<void> {
  await setControllerPassword(ctx, login.username, hashPassword(login.password));
  await saveApiAddress(ctx, data);
  const conf = renderClientConf(data, {
    tunMtu: config.tunMtu,
    mssfix: config.mssfix,
    // Identity on the router; under a test root the hooks are the root's own links (docs/controller.md).
    routeUp: ctx.path(PUSH_INFO),
    down: ctx.path(TELEGRAF_DOWN),
  });
  // Holds the unit's private key: 0600 from the first byte on (writeAtomic creates the temp file with it).
  await ctx.fs.writeAtomic(CLIENT_CONF, conf, { mode: 0o600 });
  ctx.log.info(`wrote ${CLIENT_CONF} for ${data.host} port ${data.port}`);

  await ctx.fs.writeAtomic(RSYSLOG_FILE, renderRsyslogConf(data.promtailAddress, data.promtailPort), { mode: 0o644 });
  await ctx.fs.mkdirp(RSYSLOG_SPOOL, 0o700);
  if (await ensureRsyslogInclude(ctx)) ctx.log.info(`added ${RSYSLOG_FILE} to rsyslog.syslog.includes`);
  // A restart (not reload): OpenWrt's rsyslog init script rebuilds its config from UCI on start.
  await initScript(ctx, "rsyslog", "restart");

  // At this unit's offset in the 15-minute window; a line left by the original (/usr/bin) or by an
  // earlier release (/usr/sbin) is migrated to it, never doubled (SPEC §3.1 step 5, §6).
  await ensureSchedule(ctx, config.type ? ["reports"] : []);
}
