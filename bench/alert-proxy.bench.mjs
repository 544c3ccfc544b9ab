// Alert proxy throughput and memory (issue 6): wrk, 16 connections, 10 s, a
// realistic two-alert Alertmanager webhook, with the portal sink up and with
// it down (nothing listening). Figures: requests/s, p50/p99 latency, and the
// proxy's peak RSS (VmHWM) next to a bare `node -e "setInterval(()=>{},1e3)"`
// started in the same run. The proxy runs with the node flags of
// init.d/ns-plug-alert-proxy, as procd starts it.
// Goals: >= 8000 req/s sink up (10x the Python proxy's ~800), p99 <= 10 ms in
// both cases, peak RSS <= 1.6x bare node. Printed, never enforced.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fmt } from "./lib.mjs";

const REPO = resolve(new URL("..", import.meta.url).pathname);
const BUNDLE = join(REPO, "dist", "ns-plug.js");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

if (spawnSync("wrk", ["--version"]).error) {
  console.log("wrk is not installed (Debian package wrk, scripts/install-deps.sh): alert-proxy bench not run");
  process.exit(1);
}

const nodeFlags = (() => {
  const m = /^NODE_FLAGS="([^"]*)"/m.exec(readFileSync(join(REPO, "init.d", "ns-plug-alert-proxy"), "utf8"));
  return m ? m[1].split(/\s+/).filter(Boolean) : [];
})();

const now = Date.now();
const BODY = JSON.stringify({
  receiver: "ns-plug",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "WanDown", interface: "wan", instance: "localhost:9100", job: "node", severity: "critical" },
      annotations: { summary: "WAN interface wan is down", description: "The WAN interface wan has been down for more than 1 minute." },
      startsAt: new Date(now - 120_000).toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://localhost:9090/graph?g0.expr=wan_up+%3D%3D+0&g0.tab=1",
      fingerprint: "a1b2c3d4e5f60708",
    },
    {
      status: "resolved",
      labels: { alertname: "DiskSpaceCritical", path: "/", instance: "localhost:9100", job: "node", severity: "critical" },
      annotations: { summary: "Disk space critical on /", description: "Less than 10% free on /." },
      startsAt: new Date(now - 3_600_000).toISOString(),
      endsAt: new Date(now - 60_000).toISOString(),
      generatorURL: "http://localhost:9090/graph?g0.expr=node_filesystem_avail_bytes",
      fingerprint: "0807f6e5d4c3b2a1",
    },
  ],
  groupLabels: { alertname: "WanDown" },
  commonLabels: { instance: "localhost:9100", job: "node", severity: "critical" },
  commonAnnotations: {},
  externalURL: "http://localhost:9093",
  version: "4",
  groupKey: '{}:{alertname="WanDown"}',
  truncatedAlerts: 0,
});

const work = mkdtempSync(join(tmpdir(), "nsplug-bench-alerts-"));
const lua = join(work, "post.lua");
writeFileSync(lua, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(BODY)}\nwrk.headers["Content-Type"] = "application/json"\n`);

const status = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);

function listen(server) {
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server.address().port)));
}

// The portal sink: counts deliveries. "Down" = an alerts_url where nothing listens.
let delivered = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    delivered++;
    res.writeHead(200, { "content-type": "application/json" }).end('{"result":"ok"}');
  });
});
const sinkPort = await listen(sink);
// A port that was free a moment ago: connection refused, like a portal that is down.
const holder = createServer();
const downPort = await listen(holder);
await new Promise((r) => holder.close(r));

function startProxy(alertsPort) {
  const root = join(work, `root-${alertsPort}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(root, "etc/config"), { recursive: true });
  mkdirSync(join(root, "usr/sbin"), { recursive: true });
  writeFileSync(
    join(root, "etc/config/ns-plug"),
    `\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id 'BENCH-1'\n\toption secret 'bench-secret'\n\toption alerts_url 'http://127.0.0.1:${alertsPort}/isa/'\n`,
  );
  symlinkSync(BUNDLE, join(root, "usr/sbin/ns-plug-alert-proxy"));
  const env = { ...process.env, NS_PLUG_ROOT: root };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [...nodeFlags, join(root, "usr/sbin/ns-plug-alert-proxy"), "--listen", "127.0.0.1:0"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (b) => (err += b));
  return new Promise((resolvePort, reject) => {
    let out = "";
    child.stdout.on("data", (b) => {
      out += b;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolvePort({ child, port: Number(m[1]), stderr: () => err });
    });
    child.on("exit", (c) => reject(new Error(`proxy exited ${c}: ${err}`)));
  });
}

function wrk(port) {
  return new Promise((resolveRun) => {
    const p = spawn("wrk", ["-t2", "-c16", `-d${SECONDS}s`, "--latency", "-s", lua, `http://127.0.0.1:${port}/`]);
    let out = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (out += b));
    p.on("exit", () => {
      const ms = (q) => {
        const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(out);
        if (!m) return NaN;
        return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
      };
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const errors = /Socket errors: (.*)/.exec(out)?.[1];
      resolveRun({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50: ms(50), p99: ms(99), non2xx, errors, raw: out });
    });
  });
}

const bare = spawn(process.execPath, ["-e", "setInterval(()=>{},1e3)"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 1000));

console.log(`proxy node flags (init.d): ${nodeFlags.join(" ") || "(none)"}; wrk -t2 -c16 -d${SECONDS}s, ${ROUNDS} round(s), body ${BODY.length} bytes`);
const results = { up: [], down: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ["up", "down"]) {
    const proxy = await startProxy(mode === "up" ? sinkPort : downPort);
    const idleRss = kb(status(proxy.child.pid), "VmRSS");
    const before = delivered;
    const r = await wrk(proxy.port);
    const peak = kb(status(proxy.child.pid), "VmHWM");
    proxy.child.kill("SIGTERM");
    await new Promise((res) => proxy.child.on("exit", res));
    results[mode].push({ ...r, peak, idleRss, forwarded: delivered - before });
    const extra = r.non2xx || r.errors ? `  (non-2xx ${r.non2xx}${r.errors ? `, socket errors ${r.errors}` : ""})` : "";
    console.log(
      `sink ${mode.padEnd(4)}  ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  ` +
        `peak RSS ${fmt(peak / 1024)} MiB (idle ${fmt(idleRss / 1024)})  forwarded to portal ${delivered - before}${extra}`,
    );
  }
}
const bareStatus = status(bare.pid);
const bareRss = kb(bareStatus, "VmHWM");
bare.kill();
sink.close();
rmSync(work, { recursive: true, force: true });

const best = (xs, k, f) => f(...xs.map((x) => x[k]));
const peak = Math.max(...[...results.up, ...results.down].map((x) => x.peak));
console.log(`bare node RSS            ${fmt(bareRss / 1024)} MiB`);
console.log(`proxy peak RSS           ${fmt(peak / 1024)} MiB   ratio ${fmt(peak / bareRss, 2)}  (goal <= 1.6)`);
console.log(`sink up:   best ${fmt(best(results.up, "rps", Math.max), 0)} req/s (goal >= 8000), worst p99 ${fmt(best(results.up, "p99", Math.max), 2)} ms (goal <= 10)`);
console.log(`sink down: best ${fmt(best(results.down, "rps", Math.max), 0)} req/s, worst p99 ${fmt(best(results.down, "p99", Math.max), 2)} ms (goal <= 10; the Python proxy: 0 req/s)`);
