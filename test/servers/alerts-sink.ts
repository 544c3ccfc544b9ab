/**
 * Test side of the alert proxy: a recording portal sink for
 * POST <alerts_url>alerts/store, and a launcher for the proxy bundle.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { startServer, sendJson, type RecordedRequest, type TestServer } from "../helpers/servers";
import { BUNDLE, REPO, bundleEnv } from "../helpers/bundle";
import type { TestDir } from "../helpers/testdir";

/** The node flags procd starts the proxy with (init.d/ns-plug-alert-proxy): tests run it the same way. */
export function initdNodeFlags(): string[] {
  const m = /^NODE_FLAGS="([^"]*)"/m.exec(readFileSync(join(REPO, "init.d", "ns-plug-alert-proxy"), "utf8"));
  if (!m) throw new Error("init.d/ns-plug-alert-proxy: no NODE_FLAGS line");
  return m[1]!.split(/\s+/).filter(Boolean);
}

/** up: 200; down: alternately drop the connection and answer 503; hang: never answer (until release()). */
export type SinkMode = "up" | "down" | "hang";

export interface Accepted {
  lk: string;
  alert_id: string;
  status: string;
  at: number;
}

export interface AlertSink {
  server: TestServer;
  /** alerts_url to put in UCI (ends with '/'). */
  alertsUrl: string;
  mode: SinkMode;
  /** Alerts answered 200, in the order they were answered. */
  accepted: Accepted[];
  /** Every request that reached the sink, answered or not. */
  requests: RecordedRequest[];
  /** Answer the requests held in "hang" mode with 200. */
  release(): void;
  /** Resolve when `pred` holds for the accepted list. */
  until(pred: (a: Accepted[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAlertSink(): Promise<AlertSink> {
  const held: Array<{ rec: RecordedRequest; res: ServerResponse }> = [];
  const waiters: Array<() => void> = [];
  let downCount = 0;
  const accept = (rec: RecordedRequest, res: ServerResponse) => {
    let body: { lk: string; alert_id: string; status: string };
    try {
      body = rec.json() as typeof body;
    } catch {
      return sendJson(res, 400, { error: "bad json" });
    }
    sink.accepted.push({ ...body, at: Date.now() });
    sendJson(res, 200, { result: "ok" });
    waiters.splice(0).forEach((w) => w());
  };
  const server = await startServer((rec, res) => {
    if (sink.mode === "hang") return void held.push({ rec, res });
    if (sink.mode === "down") {
      if (downCount++ % 2 === 0) return void res.socket?.destroy();
      return sendJson(res, 503, { error: "maintenance" });
    }
    accept(rec, res);
  });
  const sink: AlertSink = {
    server,
    alertsUrl: `${server.url}/isa/`,
    mode: "up",
    accepted: [],
    requests: server.requests,
    release: () => held.splice(0).forEach(({ rec, res }) => accept(rec, res)),
    until(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`sink: condition not met within ${timeoutMs} ms; accepted: ${JSON.stringify(sink.accepted)}`)),
          timeoutMs,
        );
        const check = () => {
          if (pred(sink.accepted)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    close: async () => {
      for (const { res } of held.splice(0)) res.destroy();
      await server.close();
    },
  };
  return sink;
}

/** /etc/config/ns-plug for a registered unit whose alerts_url is the sink. */
export function registeredConfig(alertsUrl: string, extra: Record<string, string> = {}): string {
  const options = { type: "enterprise", system_id: "SYS-0001", secret: "s3cr3t-token-value", alerts_url: alertsUrl, ...extra };
  return `\nconfig main 'config'\n${Object.entries(options).map(([k, v]) => `\toption ${k} '${v}'\n`).join("")}`;
}

export interface RunningProxy {
  child: ChildProcess;
  url: string;
  port: number;
  stderr(): string;
  /** Resolve when stderr matches. */
  logged(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Send a signal and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start the bundle as procd does (node with the init script's flags, through a
 * link named ns-plug-alert-proxy) on a free loopback port; resolves once it listens.
 */
export async function startProxy(dir: TestDir, args: string[] = ["--listen", "127.0.0.1:0"]): Promise<RunningProxy> {
  const links = join(dir.root, ".standins", "links");
  const link = join(links, "ns-plug-alert-proxy");
  mkdirSync(links, { recursive: true });
  if (!existsSync(link)) symlinkSync(BUNDLE, link);
  const child = spawn(process.execPath, [...initdNodeFlags(), link, ...args], { env: bundleEnv({ dir }), stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const errWaiters: Array<() => void> = [];
  child.stderr!.on("data", (b) => {
    err += b;
    errWaiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${out} ${err}`)), 15_000);
    child.stdout!.on("data", (b) => {
      out += b;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((e) => reject(new Error(`proxy exited (${e.code ?? e.signal}) before listening: ${err}`)));
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => err,
    logged(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not logged within ${timeoutMs} ms: ${re}; stderr:\n${err}`)), timeoutMs);
        const check = () => {
          if (re.test(err)) {
            clearTimeout(timer);
            resolve();
          } else errWaiters.push(check);
        };
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** POST a webhook body (object → JSON) to the proxy; returns status and answer text. */
export async function postWebhook(url: string, body: unknown, path = "/"): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

export const FIRING = "0001-01-01T00:00:00Z";
export const RESOLVED = "2020-01-01T00:00:00.123456789Z";

/** An Alertmanager-shaped webhook for these alerts ([alertname, labels, endsAt]). */
export function webhook(alerts: Array<[string, Record<string, string>, string]>): unknown {
  return {
    receiver: "ns-plug",
    status: alerts.some((a) => a[2] === FIRING) ? "firing" : "resolved",
    alerts: alerts.map(([alertname, labels, endsAt]) => ({
      status: endsAt === FIRING ? "firing" : "resolved",
      labels: { alertname, ...labels },
      annotations: { summary: `${alertname} test` },
      startsAt: "2020-01-01T00:00:00Z",
      endsAt,
      generatorURL: "http://localhost:9090/graph",
      fingerprint: "00000000000000ff",
    })),
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://localhost:9093",
    version: "4",
    groupKey: "{}:{}",
    truncatedAlerts: 0,
  };
}
