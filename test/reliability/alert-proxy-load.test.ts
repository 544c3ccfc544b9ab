/**
 * Issue 9 §5, load: the alert proxy (the built bundle, as procd runs it)
 * under wrk for 60 s while the portal flaps (up 5 s, down 5 s: connections
 * refused). The proxy must keep answering (every webhook 200, health checks
 * answered throughout), its RSS must stay bounded (samples printed), and once
 * the portal stays up every alert id must end in the status of the last
 * webhook that mentioned it. Prints the figures.
 */
import { test } from "uvu";
import { seeded } from "../helpers/seed";
import * as assert from "uvu/assert";
import { execFile, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { startBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { startFlappingPortal, type FlappingPortal } from "./lib/flapping-portal";
import { table } from "./lib/pool";

const LK = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const SECRET = "Load-Secret-93c1";
const DURATION_S = 60;
const FLAP_MS = 5_000;
const RSS_LIMIT_KIB = 200 * 1024;

const past = "2020-01-01T00:00:00.123456789Z";
const future = "2999-01-01T00:00:00Z";
type Spec = { name: string; labels?: Record<string, string>; firing: boolean };

/** Every legacy id the proxy knows, with the alert that sets it to OK or FAILURE. */
const IDS: Array<{ id: string; alert: (status: "OK" | "FAILURE") => Spec }> = [
  ...Array.from({ length: 12 }, (_, i) => ({
    id: `wan:wan${i}:down`,
    alert: (s: "OK" | "FAILURE") => ({ name: "WanDown", labels: { interface: `wan${i}` }, firing: s === "FAILURE" }),
  })),
  { id: "df:root:percent_bytes:free", alert: (s) => ({ name: "DiskSpaceCritical", labels: { path: "/" }, firing: s === "FAILURE" }) },
  { id: "df:boot:percent_bytes:free", alert: (s) => ({ name: "DiskSpaceCritical", labels: { path: "/boot" }, firing: s === "FAILURE" }) },
  { id: "backup:config:notencrypted", alert: (s) => ({ name: "BackupEncryptionDisabled", firing: s === "FAILURE" }) },
  { id: "storage:status", alert: (s) => ({ name: "StorageStatus", firing: s === "FAILURE" }) },
  { id: "ha:sync:failed", alert: (s) => ({ name: "HaSyncFailed", firing: s === "FAILURE" }) },
  // HA events: FAILURE when the primary fails, OK when it recovers (both are firing alerts).
  { id: "ha:primary:failed", alert: (s) => ({ name: s === "FAILURE" ? "HaPrimaryFailed" : "HaPrimaryRecovered", firing: true }) },
];

function webhook(specs: Spec[]): string {
  return JSON.stringify({
    version: "4",
    status: "firing",
    alerts: specs.map((s) => ({
      status: s.firing ? "firing" : "resolved",
      labels: { alertname: s.name, ...s.labels },
      startsAt: "2024-01-01T00:00:00Z",
      endsAt: s.firing ? future : past,
    })),
  });
}

function luaScript(bodies: string[]): string {
  const list = bodies.map((b) => `[==[${b}]==]`).join(",\n");
  return `local bodies = {\n${list}\n}\nlocal i = 0\n` +
    `request = function()\n  i = i % #bodies + 1\n  return wrk.format("POST", "/api/v2/alerts", {["Content-Type"] = "application/json"}, bodies[i])\nend\n`;
}

/**
 * One request; 0 when it failed or took longer than `timeoutMs`. Health checks run while wrk
 * saturates both cores: they get 30 s, which only a proxy that stopped answering exceeds.
 */
function post(port: number, body: string | undefined, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve) => {
    const r = request(
      { host: "127.0.0.1", port, path: "/api/v2/alerts", method: body === undefined ? "GET" : "POST", timeout: timeoutMs, headers: { "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    r.on("timeout", () => r.destroy(new Error("timeout")));
    r.on("error", () => resolve(0));
    r.end(body);
  });
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let portal: FlappingPortal;
let dir: TestDir;
let proxy: ChildProcess;
let stderr = "";

test.after(async () => {
  if (proxy && proxy.exitCode === null) proxy.kill("SIGKILL");
  await portal?.close();
  dir?.cleanup();
});

test(`alert proxy under wrk for ${DURATION_S} s, portal flapping ${FLAP_MS / 1000} s up / ${FLAP_MS / 1000} s down`, async () => {
  portal = await startFlappingPortal(LK, SECRET);
  dir = testdir({
    "/etc/config/ns-plug": {
      content: `\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id '${LK}'\n\toption secret '${SECRET}'\n\toption alerts_url '${portal.url}/isa/'\n`,
      mode: 0o600,
    },
  });
  proxy = startBundle(["ns-plug-alert-proxy", "--listen", "127.0.0.1:0"], { dir });
  proxy.stderr!.on("data", (b) => (stderr += b));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    proxy.stdout!.on("data", (b) => {
      out += b;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proxy.on("exit", (c) => reject(new Error(`the proxy exited (${c}): ${stderr}`)));
  });

  // 60 different webhooks of 1–4 alerts with random statuses (seeded: TEST_SEED replays them).
  const rnd = seeded("alert-proxy-load webhook bodies");
  const bodies = Array.from({ length: 60 }, () => {
    const n = 1 + Math.floor(rnd.random() * 4);
    return webhook(Array.from({ length: n }, () => IDS[Math.floor(rnd.random() * IDS.length)]!.alert(rnd.random() < 0.5 ? "OK" : "FAILURE")));
  });
  const script = dir.path("/tmp/load.lua");
  writeFileSync(script, luaScript(bodies));

  const t0 = Date.now();
  const rss: Array<[number, number]> = [[0, rssKiB(proxy.pid!)]];
  let flaps = 0;
  let healthOk = 0;
  let healthBad = 0;
  let running = true;
  const flapper = (async () => {
    while (running) {
      await sleep(FLAP_MS);
      if (!running) break;
      await portal.setUp(!portal.up);
      flaps++;
    }
  })();
  const sampler = (async () => {
    while (running) {
      await sleep(5_000);
      if (running) rss.push([Math.round((Date.now() - t0) / 1000), rssKiB(proxy.pid!)]);
    }
  })();
  const health = (async () => {
    while (running) {
      (await post(port, undefined)) === 200 ? healthOk++ : healthBad++;
      await sleep(500);
    }
  })();
  const wrkOut = await new Promise<string>((resolve, reject) =>
    execFile(
      "wrk",
      ["-t2", "-c16", `-d${DURATION_S}s`, "--timeout", "10s", "--latency", "-s", script, `http://127.0.0.1:${port}/api/v2/alerts`],
      { timeout: (DURATION_S + 60) * 1000 },
      (e, out, err) => (e ? reject(new Error(`wrk failed (is it installed? scripts/install-deps.sh): ${e.message} ${err}`)) : resolve(out)),
    ),
  );
  running = false;
  await Promise.all([flapper, sampler, health]);
  rss.push([Math.round((Date.now() - t0) / 1000), rssKiB(proxy.pid!)]);
  await portal.setUp(true);

  // The last word on every id, after the load; then wait for the portal to hold exactly that.
  const final = new Map(IDS.map((x, i) => [x.id, i % 2 ? "OK" : "FAILURE"] as [string, "OK" | "FAILURE"]));
  const settleStart = Date.now();
  assert.is(await post(port, webhook(IDS.map((x) => x.alert(final.get(x.id)!)))), 200, "final webhook accepted");
  const mismatches = () => IDS.filter((x) => portal.latest().get(x.id) !== final.get(x.id)).map((x) => `${x.id}: ${portal.latest().get(x.id)} ≠ ${final.get(x.id)}`);
  // The queue keeps a pending backoff (≤ 100 s) when a newer status arrives: allow for it, generously.
  while (mismatches().length && Date.now() - settleStart < 300_000) await sleep(500);
  const settleMs = Date.now() - settleStart;

  const requests = Number(/(\d+) requests in/.exec(wrkOut)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(wrkOut)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(wrkOut);
  const p99 = /99%\s+(\S+)/.exec(wrkOut)?.[1] ?? "?";
  const maxRss = Math.max(...rss.map((r) => r[1]));
  const warnings = stderr.split("\n").filter((l) => /not delivered/.test(l)).length;

  console.log("\nAlert proxy under load (RSS samples):\n");
  console.log(table(["t (s)", "RSS (MiB)"], rss.map(([t, k]) => [String(t), (k / 1024).toFixed(1)])));
  console.log(`\nFIGURE alert proxy load: ${requests} webhooks in ${DURATION_S} s (${rps} req/s, p99 ${p99}), non-2xx ${non2xx}, ` +
    `socket errors ${sockErr ? sockErr.slice(1).join("/") : "0/0/0/0"} (connect/read/write/timeout), health checks ${healthOk} ok / ${healthBad} failed`);
  console.log(`FIGURE alert proxy load: portal flapped ${flaps} times; ${portal.alerts.length} deliveries accepted, ${warnings} failed deliveries logged; ` +
    `RSS max ${(maxRss / 1024).toFixed(1)} MiB; every id at its latest status ${(settleMs / 1000).toFixed(1)} s after the last webhook`);

  assert.ok(requests > 0, `wrk ran: ${wrkOut}`);
  assert.is(non2xx, 0, "every webhook answered 2xx");
  assert.is(Number(sockErr?.[1] ?? 0), 0, "no refused connection");
  assert.is(healthBad, 0, "health checks answered throughout");
  assert.ok(flaps >= Math.floor((DURATION_S * 1000) / FLAP_MS) - 2, `portal flapped (${flaps})`);
  assert.is(proxy.exitCode, null, `the proxy is still running: ${stderr.slice(-2000)}`);
  assert.ok(maxRss < RSS_LIMIT_KIB, `RSS stayed under ${RSS_LIMIT_KIB / 1024} MiB (max ${(maxRss / 1024).toFixed(1)})`);
  assert.equal(mismatches(), [], "every alert id ends in its latest status at the portal");
  assert.not.match(stderr, /internal error|^\s+at /m);

  proxy.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => (proxy.exitCode !== null ? r(proxy.exitCode) : proxy.on("exit", (c) => r(c))));
  assert.is(code, 0, "SIGTERM: clean exit");
  void join;
});

test.run();
