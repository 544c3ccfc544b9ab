/**
 * The portal's sends (SPEC §3.3, §3.4): heartbeat, inventory, freekey and
 * the enterprise /proxy/* dual-sends. Each builds its request from a
 * Registration and checks the answer; none touches UCI. (Lookup: lookup.ts.)
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import { displayUrl, type HttpRequest } from "../platform/http";
import { apiEndpoint, portalBase, portalUrls, type PortalType } from "./urls";

/** What a registered unit knows about its portal (from UCI). */
export interface Registration {
  type: PortalType | undefined;
  systemId: string;
  secret: string;
  apiUrl?: string;
  alertsUrl?: string;
  inventoryUrl?: string;
}

/**
 * How long one send may take, all attempts included: 180 s for the commands
 * (SPEC §3.4); the rpcd plugin gives less (rpcd kills a plugin at 120 s).
 */
export interface SendBudget {
  overallMs: number;
}
export const COMMAND_BUDGET: SendBudget = { overallMs: 180_000 };

/**
 * Heartbeat/inventory: 3 attempts with jittered backoff, each bounded, within
 * the budget. The enterprise dual-sends run alongside the main send, so a
 * failing portal holds a command for one budget, not one per request.
 */
function sendLimits(b: SendBudget = COMMAND_BUDGET) {
  return { retries: 2, timeoutMs: Math.min(30_000, b.overallMs), deadlineMs: Math.min(58_000, b.overallMs), overallMs: b.overallMs };
}
const ACCEPT = { accept: "application/json" };

const ok = (status: number) => status >= 200 && status < 300;

/** The enterprise collector URL (…/proxy/<path>), following NS_PLUG_ENTERPRISE_PORTAL. */
export function proxyUrl(ctx: Ctx, path: string): string {
  return `${portalUrls("enterprise", portalBase("enterprise", ctx.env)).proxyUrl}${path.replace(/^\/+/, "")}`;
}

/** Best effort: a failure is logged at warning level and never changes the caller's outcome. */
async function bestEffort(ctx: Ctx, what: string, req: HttpRequest): Promise<boolean> {
  try {
    const res = await ctx.http.request(req);
    await res.dump();
    if (ok(res.status)) {
      ctx.log.debug(`${what}: HTTP ${res.status}`);
      return true;
    }
    ctx.log.warning(`${what}: ${req.remote ?? "server"} ${displayUrl(req.url)} answered HTTP ${res.status}`);
  } catch (e) {
    ctx.log.warning(`${what}: ${errorMessage(e)}`);
  }
  return false;
}

/** One POST that must succeed; returns an error message instead of throwing. */
async function mustPost(ctx: Ctx, req: HttpRequest): Promise<string | undefined> {
  try {
    const res = await ctx.http.request(req);
    await res.dump();
    return ok(res.status) ? undefined : `${req.remote ?? "server"} ${displayUrl(req.url)} answered HTTP ${res.status}`;
  } catch (e) {
    return errorMessage(e);
  }
}

const basic = (r: Registration) => ({ basic: { user: r.systemId, password: r.secret } });

/**
 * `POST <alerts_url>heartbeats/store`; enterprise also tells the new
 * collector (/proxy/heartbeat), best effort. Returns an error message, or
 * undefined on success.
 */
export async function postHeartbeat(ctx: Ctx, reg: Registration, budget?: SendBudget): Promise<string | undefined> {
  if (!reg.alertsUrl) return "alerts_url is not set";
  const limits = sendLimits(budget);
  const main = mustPost(ctx, {
    method: "POST",
    url: apiEndpoint(reg.alertsUrl, "heartbeats/store"),
    auth: { token: reg.secret },
    json: { lk: reg.systemId },
    headers: ACCEPT,
    ...limits,
    remote: "portal",
  });
  const extra =
    reg.type === "enterprise"
      ? bestEffort(ctx, "heartbeat to /proxy/heartbeat", {
          method: "POST",
          url: proxyUrl(ctx, "heartbeat"),
          auth: basic(reg),
          json: { lk: reg.systemId },
          headers: ACCEPT,
          ...limits,
          remote: "portal proxy",
        })
      : undefined;
  const [err] = await Promise.all([main, extra]);
  return err;
}

/**
 * `POST <inventory_url>` `{"data": {"lk", "data": inventory}}`. Enterprise
 * also refreshes `<api_url>systems/info` (the portal updates the unit's
 * last-seen date on it) and sends the phonehome facts document to
 * /proxy/inventory (the new collector validates the facts schema, not the NS7
 * inventory), both best effort. Returns an error message, or undefined on success.
 */
export async function postInventory(
  ctx: Ctx,
  reg: Registration,
  inventory: unknown,
  budget?: SendBudget,
  phonehome?: unknown,
): Promise<string | undefined> {
  if (!reg.inventoryUrl) return "inventory_url is not set";
  const limits = sendLimits(budget);
  const main = mustPost(ctx, {
    method: "POST",
    url: reg.inventoryUrl,
    auth: { token: reg.secret },
    json: { data: { lk: reg.systemId, data: inventory } },
    headers: ACCEPT,
    ...limits,
    remote: "portal",
  });
  const extras: Array<Promise<boolean>> = [];
  if (reg.type === "enterprise") {
    if (reg.apiUrl) {
      extras.push(
        bestEffort(ctx, "systems/info refresh", {
          method: "POST",
          url: apiEndpoint(reg.apiUrl, "systems/info"),
          json: { secret: reg.secret },
          headers: ACCEPT,
          ...limits,
          remote: "portal",
        }),
      );
    }
    if (phonehome !== undefined) extras.push(
      bestEffort(ctx, "inventory to /proxy/inventory", {
        method: "POST",
        url: proxyUrl(ctx, "inventory"),
        auth: basic(reg),
        json: phonehome,
        headers: ACCEPT,
        ...limits,
        remote: "portal proxy",
      }),
    );
  }
  const [err] = await Promise.all([main, ...extras]);
  return err;
}

/** `POST <api_url>Utils/freekey` `{"lk", "secret"}`: releases the key. Failure is logged, not fatal. */
export async function freeKey(ctx: Ctx, reg: Registration, budget?: SendBudget): Promise<boolean> {
  if (!reg.apiUrl) {
    ctx.log.warning("unregister: api_url is not set: the portal was not told");
    return false;
  }
  return bestEffort(ctx, "unregister: freekey", {
    method: "POST",
    url: apiEndpoint(reg.apiUrl, "Utils/freekey"),
    json: { lk: reg.systemId, secret: reg.secret },
    headers: ACCEPT,
    ...sendLimits(budget),
    remote: "portal",
  });
}
