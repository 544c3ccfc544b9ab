/**
 * A portal alert sink that can go away and come back on the same port (the
 * load test's flapping portal): down = connections refused, like a portal
 * being restarted. Records every accepted alert in arrival order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface StoredAlert {
  alertId: string;
  status: string;
  at: number;
}

export interface FlappingPortal {
  url: string;
  alerts: StoredAlert[];
  up: boolean;
  setUp(up: boolean): Promise<void>;
  /** Last status the portal holds for each alert id. */
  latest(): Map<string, string>;
  close(): Promise<void>;
}

export async function startFlappingPortal(lk: string, secret: string): Promise<FlappingPortal> {
  const alerts: StoredAlert[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: { lk?: unknown; alert_id?: unknown; status?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        /* refused below */
      }
      const ok =
        req.method === "POST" && req.url === "/isa/alerts/store" && req.headers.authorization === `token ${secret}` &&
        body.lk === lk && typeof body.alert_id === "string" && (body.status === "OK" || body.status === "FAILURE");
      if (ok) alerts.push({ alertId: body.alert_id as string, status: body.status as string, at: Date.now() });
      res.writeHead(ok ? 200 : 422, { "content-type": "application/json" }).end(ok ? '{"result":"success"}' : '{"error":"bad"}');
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const state = { up: true };
  return {
    url: `http://127.0.0.1:${port}`,
    alerts,
    get up() {
      return state.up;
    },
    async setUp(up) {
      if (up === state.up) return;
      state.up = up;
      if (!up) {
        const s = server;
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      } else {
        server = createServer(handler);
        await new Promise<void>((r, j) => server.once("error", j).listen(port, "127.0.0.1", () => r()));
      }
    },
    latest() {
      const m = new Map<string, string>();
      for (const a of alerts) m.set(a.alertId, a.status);
      return m;
    },
    async close() {
      if (!state.up) return;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
