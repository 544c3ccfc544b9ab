/**
 * The controller's view of this unit's metrics (SPEC §3.7): on route-up, a
 * telegraf `prometheus_client` output listening on the unit's tunnel address,
 * port 9273, which the controller scrapes through the tunnel
 * (`GET /prometheus/targets` lists `<unit ip>:9273`); on down, removed. Only
 * where telegraf is installed (its drop-in directory exists).
 */
import type { Ctx } from "../platform/context";
import { initScript } from "../platform/services";
import { TELEGRAF_CONTROLLER_CONF } from "./paths";

const TELEGRAF_DIR = "/etc/telegraf.conf.d";
export const METRICS_PORT = 9273;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Pure: the telegraf drop-in for tunnel address `local` (OpenVPN's
 * `ifconfig_local`), or undefined when it is not a plain IPv4 address: the
 * value comes from the server's push and must never add a line to the file.
 */
export function renderTelegrafExporter(local: string): string | undefined {
  if (!IPV4.test(local)) return undefined;
  return [
    "# Written by ns-controller-push-info (OpenVPN route-up): the NethSecurity",
    "# controller scrapes this unit's metrics through the tunnel. Removed on down.",
    "[[outputs.prometheus_client]]",
    `  listen = "${local}:${METRICS_PORT}"`,
    "",
  ].join("\n");
}

/** route-up: write the exporter for `local` and restart telegraf when the file changed. */
export async function exportMetrics(ctx: Ctx, local: string): Promise<void> {
  if (!(await ctx.fs.stat(TELEGRAF_DIR))?.isDirectory) {
    ctx.log.debug(`${TELEGRAF_DIR} not found: telegraf is not installed, no metrics for the controller`);
    return;
  }
  const text = renderTelegrafExporter(local);
  if (!text) {
    ctx.log.warning(`tunnel address ${JSON.stringify(local.slice(0, 64))} is not an IPv4 address: no metrics exporter`);
    return;
  }
  if ((await ctx.fs.readIfExists(TELEGRAF_CONTROLLER_CONF)) === text) return;
  await ctx.fs.writeAtomic(TELEGRAF_CONTROLLER_CONF, text, { mode: 0o644 });
  ctx.log.info(`metrics for the controller on ${local}:${METRICS_PORT}`);
  // telegraf reads its drop-ins at start only.
  await initScript(ctx, "telegraf", "restart");
}

/** down / unregister: remove the exporter; restart telegraf when there was one. */
export async function withdrawMetrics(ctx: Ctx): Promise<void> {
  if (!(await ctx.fs.stat(TELEGRAF_CONTROLLER_CONF))) return;
  await ctx.fs.remove(TELEGRAF_CONTROLLER_CONF);
  await initScript(ctx, "telegraf", "restart");
}
