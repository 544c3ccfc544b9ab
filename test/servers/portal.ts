/**
 * A loopback subscription portal: both my.nethesis.it (enterprise) and
 * my.nethserver.com (community) on one server, since their paths do not
 * overlap (except /api/Utils/freekey, told apart by the system it names).
 * Point the bundle at it with `portal.env` (NS_PLUG_*_PORTAL).
 *
 * Records every request with the route it hit, keeps what a real portal
 * would store (heartbeats, inventories, alerts, freed keys, proxy uploads),
 * and can fail a route N times before answering (`fail`). Used by the
 * subscription tests, the alert-proxy tests and the demo.
 */
import type { ServerResponse } from "node:http";
import { sendJson, startServer, type RecordedRequest, type TestServer } from "../helpers/servers";

export type PortalType = "enterprise" | "community";

export interface PortalSystem {
  type: PortalType;
  secret: string;
  uuid: string;
  id?: number;
  /** "valid" = active. */
  status?: string;
  /** As the portal sends it: RFC 3339 with or without fractional seconds, or null. */
  validUntil?: string | null;
  plan?: string;
}

export type Route =
  | "enterprise-info"
  | "community-info"
  | "heartbeat"
  | "inventory"
  | "alert"
  | "freekey"
  | "proxy"
  | "unknown";

export interface PortalRequest extends RecordedRequest {
  route: Route;
  /** Which portal the path belongs to (freekey: the one of the system it names). */
  portal: PortalType | "unknown";
  /** For /proxy/*: the part after /proxy/. */
  proxyPath?: string;
  /** How the request was answered. */
  answered: number | "reset" | "hang";
}

export type Failure = number | "reset" | "hang";

export interface PortalOptions {
  /** Systems the portal knows; default DEMO_SYSTEMS. */
  systems?: PortalSystem[];
  tls?: { key: string; cert: string };
  host?: string;
}

export interface Stored {
  heartbeats: Array<{ portal: PortalType; lk: string }>;
  inventories: Array<{ portal: PortalType; lk: string; data: unknown }>;
  alerts: Array<{ portal: PortalType; lk: string; alert_id: string; status: string }>;
  freed: Array<{ portal: PortalType; lk: string }>;
  proxy: Array<{ path: string; user: string; headers: Record<string, string | string[] | undefined>; body: Buffer }>;
}

export interface Portal {
  url: string;
  /** Environment that points both portals of the bundle here. */
  env: Record<string, string>;
  requests: PortalRequest[];
  stored: Stored;
  systems: PortalSystem[];
  byRoute(route: Route): PortalRequest[];
  /** Answer the next `times` requests of `route` with `how` (HTTP status, a reset, or no answer), then normally. */
  fail(route: Route, times: number, how?: Failure): void;
  waitFor(pred: (r: PortalRequest) => boolean, timeoutMs?: number): Promise<PortalRequest>;
  close(): Promise<void>;
}

export const DEMO_SYSTEMS: PortalSystem[] = [
  {
    type: "enterprise",
    secret: "ent-secret-0001",
    uuid: "11111111-2222-4333-8444-555555555555",
    id: 1001,
    status: "valid",
    validUntil: "2030-01-02T03:04:05Z",
    plan: "Enterprise Gold",
  },
  {
    type: "community",
    secret: "com-secret-0001",
    uuid: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    id: 2002,
    status: "valid",
    validUntil: "2031-05-06T07:08:09.123456Z",
    plan: "Community Subscription",
  },
];

function infoOf(s: PortalSystem): unknown {
  return {
    id: s.id ?? 1,
    uuid: s.uuid,
    name: `${s.type}-unit`,
    subscription: {
      status: s.status ?? "valid",
      valid_until: s.validUntil === undefined ? "2030-01-01T00:00:00Z" : s.validUntil,
      subscription_plan: { name: s.plan ?? "Plan" },
    },
  };
}

function tokenOf(req: RecordedRequest): string | undefined {
  const h = req.headers.authorization;
  return typeof h === "string" && h.startsWith("token ") ? h.slice(6) : undefined;
}

function basicOf(req: RecordedRequest): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (typeof h !== "string" || !h.startsWith("Basic ")) return undefined;
  const raw = Buffer.from(h.slice(6), "base64").toString("utf8");
  const i = raw.indexOf(":");
  return i < 0 ? undefined : { user: raw.slice(0, i), password: raw.slice(i + 1) };
}

function jsonOf(req: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(req.text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Path → route and portal. Trailing slashes do not matter. */
export function routeOf(method: string, path: string): { route: Route; portal: PortalType | "unknown"; proxyPath?: string } {
  const p = path.replace(/\/+$/, "");
  if (p.startsWith("/proxy/")) return { route: "proxy", portal: "enterprise", proxyPath: p.slice(7) };
  const table: Record<string, [Route, PortalType | "unknown", string]> = {
    "/api/systems/info": ["enterprise-info", "enterprise", "POST"],
    "/api/machine/info": ["community-info", "community", "GET"],
    "/isa/heartbeats/store": ["heartbeat", "enterprise", "POST"],
    "/api/machine/heartbeats/store": ["heartbeat", "community", "POST"],
    "/isa/inventory/store": ["inventory", "enterprise", "POST"],
    "/api/machine/inventories/store": ["inventory", "community", "POST"],
    "/isa/alerts/store": ["alert", "enterprise", "POST"],
    "/api/machine/alerts/store": ["alert", "community", "POST"],
    "/api/Utils/freekey": ["freekey", "unknown", "POST"],
  };
  const hit = table[p];
  if (!hit || hit[2] !== method) return { route: "unknown", portal: "unknown" };
  return { route: hit[0], portal: hit[1] };
}

export async function startPortal(opts: PortalOptions = {}): Promise<Portal> {
  const systems = [...(opts.systems ?? DEMO_SYSTEMS)];
  const requests: PortalRequest[] = [];
  const stored: Stored = { heartbeats: [], inventories: [], alerts: [], freed: [], proxy: [] };
  const failures = new Map<Route, { times: number; how: Failure }>();
  const waiters: Array<() => void> = [];
  const hanging = new Set<ServerResponse>();

  const bySecret = (type: PortalType, secret: string | undefined) =>
    systems.find((s) => s.type === type && secret !== undefined && s.secret === secret);

  const handler = (rec: RecordedRequest, res: ServerResponse) => {
    const { route, portal, proxyPath } = routeOf(rec.method, rec.path);
    const preq = Object.assign(rec, { route, portal, proxyPath, answered: 0 as PortalRequest["answered"] });
    requests.push(preq);
    const answer = (status: number, body: unknown) => {
      preq.answered = status;
      sendJson(res, status, body);
    };
    const planned = failures.get(route);
    if (planned && planned.times > 0) {
      planned.times--;
      preq.answered = planned.how;
      if (planned.how === "reset") res.socket?.destroy();
      else if (planned.how === "hang") hanging.add(res);
      else sendJson(res, planned.how, { message: "injected failure" });
    } else {
      dispatch(preq, answer);
    }
    waiters.splice(0).forEach((w) => w());
  };

  const unauthorized = (answer: (s: number, b: unknown) => void) => answer(401, { message: "Unauthorized" });

  function dispatch(req: PortalRequest, answer: (s: number, b: unknown) => void): void {
    const body = jsonOf(req);
    const type = req.portal === "unknown" ? undefined : req.portal;
    switch (req.route) {
      case "enterprise-info": {
        const s = bySecret("enterprise", typeof body?.secret === "string" ? body.secret : undefined);
        return s ? answer(200, infoOf(s)) : unauthorized(answer);
      }
      case "community-info": {
        const s = bySecret("community", tokenOf(req));
        return s ? answer(200, infoOf(s)) : unauthorized(answer);
      }
      case "heartbeat": {
        const s = bySecret(type!, tokenOf(req));
        if (!s) return unauthorized(answer);
        if (body?.lk !== s.uuid) return answer(422, { message: "lk does not match" });
        stored.heartbeats.push({ portal: type!, lk: s.uuid });
        return answer(200, { result: "success" });
      }
      case "inventory": {
        const s = bySecret(type!, tokenOf(req));
        if (!s) return unauthorized(answer);
        const data = body?.data as { lk?: unknown; data?: unknown } | undefined;
        if (data?.lk !== s.uuid || typeof data.data !== "object" || data.data === null) {
          return answer(422, { message: "expected {data: {lk, data}}" });
        }
        stored.inventories.push({ portal: type!, lk: s.uuid, data: data.data });
        return answer(200, { result: "success" });
      }
      case "alert": {
        const s = bySecret(type!, tokenOf(req));
        if (!s) return unauthorized(answer);
        if (body?.lk !== s.uuid || typeof body.alert_id !== "string" || typeof body.status !== "string") {
          return answer(422, { message: "expected {lk, alert_id, status}" });
        }
        stored.alerts.push({ portal: type!, lk: s.uuid, alert_id: body.alert_id, status: body.status });
        return answer(200, { result: "success" });
      }
      case "freekey": {
        const s = systems.find((x) => x.uuid === body?.lk && x.secret === body?.secret);
        if (!s) return unauthorized(answer);
        req.portal = s.type;
        stored.freed.push({ portal: s.type, lk: s.uuid });
        return answer(200, { result: "success" });
      }
      case "proxy": {
        const cred = basicOf(req);
        const s = systems.find((x) => x.type === "enterprise" && x.uuid === cred?.user && x.secret === cred?.password);
        if (!s) return unauthorized(answer);
        stored.proxy.push({ path: req.proxyPath ?? "", user: s.uuid, headers: req.headers, body: req.body });
        return answer(200, { result: "success" });
      }
      default:
        return answer(404, { message: "not found" });
    }
  }

  const server: TestServer = await startServer(handler, { tls: opts.tls, host: opts.host });
  return {
    url: server.url,
    env: { NS_PLUG_ENTERPRISE_PORTAL: server.url, NS_PLUG_COMMUNITY_PORTAL: server.url },
    requests,
    stored,
    systems,
    byRoute: (route) => requests.filter((r) => r.route === route),
    fail(route, times, how = 503) {
      failures.set(route, { times, how });
    },
    waitFor(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`portal: no matching request within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          const hit = requests.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
    async close() {
      for (const r of hanging) r.socket?.destroy();
      await server.close();
    },
  };
}
