/**
 * The portal feature's public face: what the commands (register, unregister,
 * send-heartbeat, send-inventory, subscription-info) and the rpcd plugin
 * `ns.subscription` call. Every function takes ctx; none prints on stdout.
 */
import type { Ctx } from "../platform/context";
import { readNsPlugConfig } from "../config";
import { fetchInfo } from "./lookup";
import { offlineSummary, summarize, type PortalInfo, type SubscriptionSummary } from "./info";
import { registerUnit, registrationOf, unregisterUnit, type RegisterOutcome } from "./register";
import { sendHeartbeatFor, sendInventoryFor } from "./send";
import { readInventoryStatus, type InventoryStatus } from "./status";
import { portalBase, portalUrls, PORTAL_TYPES, type PortalType } from "./urls";

export { registerUnit, unregisterUnit, registrationOf, type RegisterOutcome };
export { sendHeartbeatFor, sendInventoryFor };
export { readInventoryStatus, type InventoryStatus };
export { COMMAND_BUDGET, proxyUrl, type Registration, type SendBudget } from "./client";
import type { SendBudget } from "./client";
export { parseValidUntil, summarize, type SubscriptionSummary } from "./info";
export { ENV_HELP, isPortalType, portalBase, portalUrls, PORTAL_TYPES, type PortalType } from "./urls";

/** The registration from UCI, or undefined when not registered. */
export async function currentRegistration(ctx: Ctx) {
  return registrationOf((await readNsPlugConfig(ctx)).config);
}

/**
 * rpcd `register {secret}`: enterprise first, then community, each with a
 * short timeout (LuCI waits for the answer). One JSON-able result, never throws.
 */
export async function registerAnyPortal(
  ctx: Ctx,
  secret: string,
  timeoutMs = 5000,
  budget?: SendBudget,
): Promise<{ result: "success"; type: PortalType } | { error: "invalid_secret_or_server_not_found" }> {
  for (const type of PORTAL_TYPES) {
    try {
      await registerUnit(ctx, type, secret, { timeoutMs, budget });
      return { result: "success", type };
    } catch (e) {
      ctx.log.info(`register with the ${type} portal failed: ${(e as Error).message}`);
    }
  }
  return { error: "invalid_secret_or_server_not_found" };
}

/** rpcd `unregister`. */
export async function unregisterForRpc(
  ctx: Ctx,
  budget?: SendBudget,
): Promise<{ result: "success" } | { error: "unregister_failure" }> {
  try {
    await unregisterUnit(ctx, budget);
    return { result: "success" };
  } catch (e) {
    ctx.log.error(`unregister: ${(e as Error).message}`);
    return { error: "unregister_failure" };
  }
}

/**
 * The portal's raw info answer for `subscription-info`; undefined when not
 * registered (no system_id). Throws when the portal refuses or fails.
 */
export async function fetchSubscriptionInfo(
  ctx: Ctx,
  timeoutMs: number,
): Promise<{ raw: unknown; info: PortalInfo } | undefined> {
  const { config } = await readNsPlugConfig(ctx);
  if (!config.systemId) return undefined;
  const type = config.type ?? "community";
  const apiUrl = config.apiUrl ?? portalUrls(type, portalBase(type, ctx.env)).apiUrl;
  return fetchInfo(ctx, type, apiUrl, config.secret ?? "", timeoutMs, "subscription-info", false);
}

/**
 * rpcd `info` → {server_id, systemd_id, plan, expiration (ms), active, type};
 * `{systemd_id: ""}` when unregistered. When the portal can't be asked, the
 * saved system id with an inactive, unknown plan (as the original did).
 */
export async function subscriptionSummary(ctx: Ctx, timeoutMs = 5000): Promise<SubscriptionSummary> {
  const { config } = await readNsPlugConfig(ctx);
  if (!config.systemId) return { systemd_id: "" };
  const type = config.type ?? "";
  try {
    const got = await fetchSubscriptionInfo(ctx, timeoutMs);
    return got ? summarize(got.info, type) : { systemd_id: "" };
  } catch (e) {
    ctx.log.warning(`subscription info: ${(e as Error).message}`);
    return offlineSummary(config.systemId, type);
  }
}

/** rpcd `inventory-status`: the last upload's outcome, `{status: "not attempted"}` before the first. */
export function inventoryStatus(ctx: Ctx) {
  return readInventoryStatus(ctx);
}

/**
 * rpcd `send-inventory`: inventory then heartbeat, like the original; the
 * outcome is read back with inventory-status. Not registered: nothing sent.
 */
export async function sendInventoryNow(ctx: Ctx, budget?: SendBudget): Promise<{ status: "success" }> {
  const reg = await currentRegistration(ctx);
  if (reg) {
    await sendInventoryFor(ctx, reg, budget);
    await sendHeartbeatFor(ctx, reg, budget);
  }
  return { status: "success" };
}
