/**
 * ns-push-reports (cron, every 15 min, SPEC §3.7): post each ns.controller
 * dump to the controller's ingest API. dump-nsplug-config goes first (the
 * controller creates the unit's report record from it); one failure is
 * logged and the rest still go.
 */
import type { Ctx } from "../platform/context";
import { ConfigError, errorMessage } from "../platform/errors";
import { readNsPlugConfig } from "../config";
import { ingestTarget, postIngest } from "./ingest";
import { readTunnelNetworks } from "./tunnel";
import { callNsController, hasNsController } from "./nsController";
import { unitName } from "./unitInfo";

export const REPORTS = [
  "dump-nsplug-config",
  "dump-ovpn-config",
  "dump-wan-config",
  "dump-ts-malware",
  "dump-ts-attacks",
  "dump-mwan-events",
  "dump-dpi-stats",
  "dump-ovpn-connections",
] as const;

/**
 * One run may take 12 min at most, all reports together: cron starts the next
 * one 15 min later. Without it a controller answering slowly held a run up
 * to 16 min (8 reports × 2 attempts × 60 s) and runs piled up. A report
 * whose turn comes after the budget is spent is logged as not sent.
 */
export const RUN_BUDGET_MS = 12 * 60_000;

/** Exit code: 0 all sent; 1 some failed; 1/2/3 server/unit_id/token missing (like the original). */
export async function pushReports(ctx: Ctx): Promise<number> {
  const { config } = await readNsPlugConfig(ctx);
  if (!config.server) throw new ConfigError("ns-push-reports: server is not set", 1);
  if (!config.unitId) throw new ConfigError("ns-push-reports: unit_id is not set", 2);
  if (!config.token) throw new ConfigError("ns-push-reports: token is not set", 3);
  const target = ingestTarget(config, config.vpnAddress ? await readTunnelNetworks(ctx) : []);
  if (!target) throw new ConfigError("ns-push-reports: server is not an http(s) URL", 1);
  const haveDumps = await hasNsController(ctx);
  if (!haveDumps) ctx.log.warning("/usr/libexec/rpcd/ns.controller not installed: sending dump-nsplug-config only");
  let failed = 0;
  const until = ctx.clock.now().getTime() + RUN_BUDGET_MS;
  for (const name of REPORTS) {
    const left = until - ctx.clock.now().getTime();
    if (left <= 0) {
      failed++;
      ctx.log.warning(`${name}: not sent: this run's ${RUN_BUDGET_MS / 60_000} min are spent`);
      continue;
    }
    try {
      let body: unknown;
      if (haveDumps) body = await callNsController(ctx, name);
      else if (name === "dump-nsplug-config") body = { name: await unitName(ctx, config) };
      else continue;
      await postIngest(ctx, target, name, body, left);
      ctx.log.debug(`sent ${name}`);
    } catch (e) {
      failed++;
      ctx.log.warning(`${name}: ${errorMessage(e)}`);
    }
  }
  return failed ? 1 : 0;
}
