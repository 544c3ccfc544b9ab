/**
 * ns-controller-push-info (OpenVPN route-up, SPEC §3.7): tell the controller
 * who this unit is, once the tunnel is up.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import { readNsPlugConfig, type NsPlugConfig } from "../config";
import { ingestTarget, postIngest } from "./ingest";
import { readTunnelNetworks } from "./tunnel";
import { callNsController, callPlugin, hasNsController, hasPlugin, NS_UPDATE } from "./nsController";
import { readHostname, readOsRelease, readSshPort, unitName } from "./unitInfo";

/** The info document when ns.controller is not installed (same fields as its `info`). */
export async function computeUnitInfo(ctx: Ctx, config: NsPlugConfig): Promise<Record<string, unknown>> {
  const os = await readOsRelease(ctx);
  return {
    unit_name: await unitName(ctx, config),
    version: os.PRETTY_NAME ?? os.VERSION_ID ?? "",
    description: config.description ?? "",
    fqdn: await readHostname(ctx),
    system_id: config.systemId ?? "",
    subscription_type: config.type ?? "",
    ssh_port: await readSshPort(ctx),
  };
}

/** Like the original: the pending system update, when ns.update is installed. */
async function addUpdateInfo(ctx: Ctx, info: Record<string, unknown>): Promise<void> {
  if (!(await hasPlugin(ctx, NS_UPDATE))) return;
  try {
    const u = await callPlugin(ctx, NS_UPDATE, "check-system-update");
    info.scheduled_update = u.scheduledAt ?? -1;
    info.version_update = u.lastVersion ?? "";
  } catch (e) {
    ctx.log.warning(`no update info: ${errorMessage(e)}`);
  }
}

/** Returns the exit code: 0 sent or nothing to do, 1 when the controller could not be told. */
export async function pushInfo(ctx: Ctx): Promise<number> {
  const { config } = await readNsPlugConfig(ctx);
  const target = ingestTarget(config, config.vpnAddress ? await readTunnelNetworks(ctx) : []);
  if (!target) {
    ctx.log.debug("not joined to a controller: nothing to push");
    return 0;
  }
  try {
    const info = (await hasNsController(ctx)) ? await callNsController(ctx, "info") : await computeUnitInfo(ctx, config);
    await addUpdateInfo(ctx, info);
    await postIngest(ctx, target, "info", info);
    ctx.log.info("sent unit info to the controller");
    return 0;
  } catch (e) {
    ctx.log.warning(`could not send unit info to the controller: ${errorMessage(e)}`);
    return 1;
  }
}
