/**
 * The controller's ingest API (SPEC §3.7): through the tunnel at
 * http://<vpn_address>:<api_port>/ingest/<name> when registration gave us
 * that address and it is an IP address inside the tunnel's network (plain
 * HTTP with unit_id:token must never leave the tunnel: tunnel.ts), else
 * through the public proxy at <server>/api/ingest/<name>.
 * HTTP basic auth unit_id:token, built in-process (never in argv).
 */
import type { Ctx } from "../platform/context";
import { RemoteError } from "../platform/errors";
import { displayUrl } from "../platform/http";
import type { NsPlugConfig } from "../config";
import { toPort } from "./validate";
import { insideTunnel, type Network } from "./tunnel";
import { controllerBase } from "./server";

export interface IngestTarget {
  base: string;
  /** Certificate checks follow tls_verify only on the public URL; the tunnel URL is plain HTTP. */
  tlsVerify: boolean;
  auth: { user: string; password: string };
}

/**
 * Pure: where ingest requests go, or undefined when the unit is not joined to
 * a controller. `tunnel`: the tunnel device's networks (readTunnelNetworks).
 */
export function ingestTarget(config: NsPlugConfig, tunnel: readonly Network[] = []): IngestTarget | undefined {
  if (!config.unitId || !config.token) return undefined;
  const auth = { user: config.unitId, password: config.token };
  if (config.vpnAddress && toPort(config.apiPort) !== undefined && insideTunnel(config.vpnAddress, tunnel)) {
    const host = config.vpnAddress.includes(":") ? `[${config.vpnAddress}]` : config.vpnAddress;
    return { base: `http://${host}:${config.apiPort}/ingest`, tlsVerify: true, auth };
  }
  const server = config.server ? controllerBase(config.server) : undefined;
  if (!server) return undefined;
  return { base: `${server}/api/ingest`, tlsVerify: config.tlsVerify, auth };
}

/**
 * POST one JSON document to <base>/<name>; throws RemoteError unless the
 * answer is 2xx. `overallMs` caps both attempts together (default: each
 * attempt 60 s at most).
 */
export async function postIngest(ctx: Ctx, t: IngestTarget, name: string, body: unknown, overallMs?: number): Promise<void> {
  const url = `${t.base}/${name}`;
  const res = await ctx.http.request({
    method: "POST",
    url,
    json: body,
    auth: { basic: t.auth },
    tlsVerify: t.tlsVerify,
    timeoutMs: 20_000,
    deadlineMs: 60_000,
    retries: 1,
    overallMs,
    remote: "controller",
  });
  await res.dump();
  if (res.status < 200 || res.status > 299) {
    throw new RemoteError(`controller ${displayUrl(url)}: HTTP ${res.status}`, { status: res.status });
  }
}
