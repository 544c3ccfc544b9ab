/**
 * The portals' system lookup: `POST …/systems/info {"secret"}` (enterprise)
 * or `GET …/machine/info` with `Authorization: token` (community). A
 * refused secret is an error that says so and never quotes the secret.
 */
import type { Ctx } from "../platform/context";
import { NsPlugError, RemoteError, errorMessage } from "../platform/errors";
import { displayUrl, type HttpRequest } from "../platform/http";
import { parseWith } from "../platform/schema";
import { InfoSchema, systemIdOf, type PortalInfo } from "./info";
import { apiEndpoint, type PortalType } from "./urls";

const ACCEPT = { accept: "application/json" };
const ok = (status: number) => status >= 200 && status < 300;

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
