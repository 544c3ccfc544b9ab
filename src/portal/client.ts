/**
 * The portal's HTTP calls (SPEC §3.2–§3.4). Each builds its request from a
 * Registration and checks the answer; none touches UCI.
 */
import type { Ctx } from "../platform/context";
import { NsPlugError, RemoteError, errorMessage } from "../platform/errors";
import { displayUrl, type HttpRequest } from "../platform/http";
import { parseWith } from "../platform/schema";
import { InfoSchema, systemIdOf, type PortalInfo } from "./info";
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

/** Heartbeat/inventory: 3 attempts with jittered backoff, each bounded, ≈ 180 s at worst (SPEC §3.4). */
const SEND = { retries: 2, timeoutMs: 30_000, deadlineMs: 58_000 } as const;
const ACCEPT = { accept: "application/json" };

export const ok = (status: number) => status >= 200 && status < 300;

async function readJson(ctx: Ctx, res: { text(): Promise<string> }, what: string): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    ctx.log.debug(`${what}: answer is not JSON (${text.length} bytes)`);
    throw new NsPlugError(1, `${what}: the portal's answer is not JSON`);
  }
}

/** POST …/systems/info or GET …/machine/info with the secret. */
function infoRequest(type: PortalType, apiUrl: string, secret: string, timeoutMs: number): HttpRequest {
  if (type === "enterprise") {
    return {
      method: "POST",
      url: apiEndpoint(apiUrl, "systems/info"),
      json: { secret },
      headers: ACCEPT,
      timeoutMs,
      deadlineMs: timeoutMs,
      retries: 2,
      remote: "enterprise portal",
    };
  }
  return {
    method: "GET",
    url: apiEndpoint(apiUrl, "machine/info"),
    auth: { token: secret },
    headers: ACCEPT,
    timeoutMs,
    deadlineMs: timeoutMs,
    retries: 2,
    remote: "community portal",
  };
}

/**
 * Ask the portal about the system this secret belongs to. A refused secret
 * (401/403, or an answer without a uuid) is an error that says so and never
 * quotes the secret.
 */
export function fetchInfo(
  ctx: Ctx,
  type: PortalType,
  apiUrl: string,
  secret: string,
  timeoutMs: number,
  what: string,
): Promise<{ raw: unknown; info: PortalInfo; systemId: string }>;
export async function fetchInfo(
  ctx: Ctx,
  type: PortalType,
  apiUrl: string,
  secret: string,
  timeoutMs: number,
  what: string,
  requireSystem: false,
): Promise<{ raw: unknown; info: PortalInfo; systemId: string | undefined }>;
export async function fetchInfo(
  ctx: Ctx,
  type: PortalType,
  apiUrl: string,
  secret: string,
  timeoutMs: number,
  what: string,
  requireSystem = true,
): Promise<{ raw: unknown; info: PortalInfo; systemId: string | undefined }> {
  const req = infoRequest(type, apiUrl, secret, timeoutMs);
  let res;
  try {
    res = await ctx.http.request(req);
  } catch (e) {
    throw new RemoteError(`${what}: ${errorMessage(e)}`, { cause: e });
  }
  if (res.status === 401 || res.status === 403) {
    await res.dump();
    throw new RemoteError(`${what}: the ${type} portal refused the secret (HTTP ${res.status})`, { status: res.status });
  }
  if (!ok(res.status)) {
    await res.dump();
    throw new RemoteError(`${what}: ${type} portal ${displayUrl(req.url)} answered HTTP ${res.status}`, {
      status: res.status,
    });
  }
  const raw = await readJson(ctx, res, what);
  const info = parseWith(InfoSchema, raw, `${what}: ${type} portal answer`);
  const systemId = systemIdOf(info);
  if (!systemId && requireSystem) {
    throw new RemoteError(`${what}: the ${type} portal refused the secret (no system found for it)`, {
      status: res.status,
    });
  }
  return { raw, info, systemId };
}

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
    ctx.log.warning(`${what}: ${displayUrl(req.url)} answered HTTP ${res.status}`);
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
    return ok(res.status) ? undefined : `${displayUrl(req.url)} answered HTTP ${res.status}`;
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
export async function postHeartbeat(ctx: Ctx, reg: Registration): Promise<string | undefined> {
  if (!reg.alertsUrl) return "alerts_url is not set";
  const err = await mustPost(ctx, {
    method: "POST",
    url: `${reg.alertsUrl}heartbeats/store`,
    auth: { token: reg.secret },
    json: { lk: reg.systemId },
    headers: ACCEPT,
    ...SEND,
    remote: "portal",
  });
  if (reg.type === "enterprise") {
    await bestEffort(ctx, "heartbeat to /proxy/heartbeat", {
      method: "POST",
      url: proxyUrl(ctx, "heartbeat"),
      auth: basic(reg),
      json: { lk: reg.systemId },
      headers: ACCEPT,
      ...SEND,
      remote: "portal proxy",
    });
  }
  return err;
}

/**
 * `POST <inventory_url>` `{"data": {"lk", "data": inventory}}`. Enterprise
 * also refreshes `<api_url>systems/info` (the portal updates the unit's
 * last-seen date on it) and sends the inventory to /proxy/inventory, both
 * best effort. Returns an error message, or undefined on success.
 */
export async function postInventory(ctx: Ctx, reg: Registration, inventory: unknown): Promise<string | undefined> {
  if (!reg.inventoryUrl) return "inventory_url is not set";
  const err = await mustPost(ctx, {
    method: "POST",
    url: reg.inventoryUrl,
    auth: { token: reg.secret },
    json: { data: { lk: reg.systemId, data: inventory } },
    headers: ACCEPT,
    ...SEND,
    remote: "portal",
  });
  if (reg.type === "enterprise") {
    if (reg.apiUrl) {
      await bestEffort(ctx, "systems/info refresh", {
        method: "POST",
        url: apiEndpoint(reg.apiUrl, "systems/info"),
        json: { secret: reg.secret },
        headers: ACCEPT,
        ...SEND,
        remote: "portal",
      });
    }
    await bestEffort(ctx, "inventory to /proxy/inventory", {
      method: "POST",
      url: proxyUrl(ctx, "inventory"),
      auth: basic(reg),
      json: inventory,
      headers: ACCEPT,
      ...SEND,
      remote: "portal proxy",
    });
  }
  return err;
}

/** `POST <api_url>Utils/freekey` `{"lk", "secret"}`: releases the key. Failure is logged, not fatal. */
export async function freeKey(ctx: Ctx, reg: Registration): Promise<boolean> {
  if (!reg.apiUrl) {
    ctx.log.warning("unregister: api_url is not set: the portal was not told");
    return false;
  }
  return bestEffort(ctx, "unregister: freekey", {
    method: "POST",
    url: apiEndpoint(reg.apiUrl, "Utils/freekey"),
    json: { lk: reg.systemId, secret: reg.secret },
    headers: ACCEPT,
    ...SEND,
    remote: "portal",
  });
}
