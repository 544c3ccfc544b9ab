// Alert proxy under load (issue 9 §5): wrk for 15 s against the built bundle
// with the portal up the whole time (baseline), then 15 s with the portal
// flapping (5 s up / 5 s down, connections refused), same run. Prints
// webhooks/s, p99 latency, RSS and the ratio flapping / steady. Never fails
// on timing. The pass/fail checks live in test/reliability/alert-proxy-load.test.ts.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt } from "./lib.mjs";

const SECONDS = 15;
const LK = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const SECRET = "bench-secret";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A portal that can be switched off and on again on the same port.
let delivered = 0;
const handler = (req, res) => {
  req.resume();
  req.on("end", () => {
    delivered++;
    res.writeHead(200, { "content-type": "application/json" }).end('{"result":"success"}');
  });
};
let portal = createServer(handler);
await new Promise((r) => portal.listen(0, "127.0.0.1", r));
const portalPort = portal.address().port;
const setUp = async (up) => {
  if (!up) {
    portal.closeAllConnections();
    await new Promise((r) => portal.close(r));
  } else {
    portal = createServer(handler);
    await new Promise((r) => portal.listen(portalPort, "127.0.0.1", r));
  }
};

const root = mkdtempSync(join(tmpdir(), "nsplug-bench-"));
mkdirSync(join(root, "etc/config"), { recursive: true });
writeFileSync(join(root, "etc/config/ns-plug"),
  `\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id '${LK}'\n\toption secret '${SECRET}'\n\toption alerts_url 'http://127.0.0.1:${portalPort}/isa/'\n`);
const proxy = spawn(process.execPath, ["dist/ns-plug.js", "ns-plug-alert-proxy", "--listen", "127.0.0.1:0"], {
  env: { ...process.env, NS_PLUG_ROOT: root },
  stdio: ["ignore", "pipe", "ignore"],
});
const port = await new Promise((resolve) => {
  let out = "";
  proxy.stdout.on("data", (b) => {
    out += b;
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
});

const ifaces = Array.from({ length: 12 }, (_, i) => `wan${i}`);
const bodies = Array.from({ length: 40 }, (_, i) => JSON.stringify({ alerts: [{
  status: "firing", labels: { alertname: "WanDown", interface: ifaces[i % ifaces.length] },
  endsAt: i % 2 ? "2999-01-01T00:00:00Z" : "2020-01-01T00:00:00Z",
}] }));
const script = join(root, "load.lua");
writeFileSync(script, `local b = {\n${bodies.map((x) => `[==[${x}]==]`).join(",\n")}\n}\nlocal i = 0\n` +
  `request = function()\n  i = i % #b + 1\n  return wrk.format("POST", "/api/v2/alerts", {["Content-Type"] = "application/json"}, b[i])\nend\n`);

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proxy.pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
const wrk = () => new Promise((resolve, reject) =>
  execFile("wrk", ["-t2", "-c16", `-d${SECONDS}s`, "--latency", "-s", script, `http://127.0.0.1:${port}/`], (e, out) => (e ? reject(e) : resolve(out))));

async function phase(name, flap) {
  let running = true;
  let maxRss = rss();
  const d0 = delivered;
  const flapper = (async () => {
    while (running) {
      await sleep(5000);
      if (running && flap) await setUp(!portal.listening);
    }
  })();
  const sampler = (async () => {
    while (running) {
      await sleep(1000);
      maxRss = Math.max(maxRss, rss());
    }
  })();
  const out = await wrk();
  running = false;
  await Promise.all([flapper, sampler]);
  if (!portal.listening) await setUp(true);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /99%\s+(\S+)/.exec(out)?.[1];
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  console.log(`${name.padEnd(26)} ${fmt(rps, 0).padStart(7)} webhooks/s  p99 ${p99}  non-2xx ${non2xx}  RSS max ${fmt(maxRss)} MiB  deliveries ${delivered - d0}`);
  return rps;
}

try {
  console.log(`alert proxy, wrk -t2 -c16, ${SECONDS} s per phase; RSS at start ${fmt(rss())} MiB`);
  const steady = await phase("portal up (baseline)", false);
  const flapping = await phase("portal flapping 5 s/5 s", true);
  console.log(`ratio flapping / steady   ${fmt(flapping / steady, 3)}  (≥ 1: answers never wait for the portal; with it down, fewer deliveries compete for the CPU)`);
} finally {
  proxy.kill("SIGTERM");
  portal.close();
  rmSync(root, { recursive: true, force: true });
}
