/**
 * The OpenVPN hooks and the reports job (SPEC §3.7), run as installed
 * (links named after the command) against the loopback controller.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBundle, startBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { startController, type Controller } from "../servers/controller";
import { sendJson, startServer } from "../helpers/servers";

let pub: Controller; // the public URL: <server>/api/ingest/*
let tun: Controller; // stands for http://<vpn_address>:<api_port>/ingest/* through the tunnel
test.before(async () => {
  pub = await startController();
  tun = await startController({ tls: false, pki: pub.pki, token: pub.token });
});
test.after(async () => {
  await pub.close();
  await tun.close();
});

function unit(o: Record<string, string>, files: Record<string, string> = {}): TestDir {
  let conf = "\nconfig main 'config'\n";
  for (const [k, v] of Object.entries(o)) conf += `\toption ${k} '${v}'\n`;
  return testdir({
    "/etc/config/ns-plug": conf,
    "/etc/os-release": 'VERSION_ID="8-23.05.5"\nPRETTY_NAME="NethSecurity 8-23.05.5"\n',
    "/proc/sys/kernel/hostname": "fw.example\n",
    ...files,
  });
}

const basicUser = (h: unknown) => Buffer.from(String(h).replace(/^Basic /, ""), "base64").toString();

// ns.update stand-in: the original pushed the pending system update too.
const NS_UPDATE = `#!/bin/sh
read -r _input
printf '{"lastVersion": "8-24.10.0", "scheduledAt": 1735689600}\\n'
`;

// ns.controller stand-in: prints {"method": <name>, "n": 1} for every call, fails for dump-ts-attacks.
const NS_CONTROLLER = `#!/bin/sh
read -r _input
[ "$1" = call ] || exit 2
[ "$2" = dump-ts-attacks ] && { echo "boom" >&2; exit 1; }
printf '{"method": "%s", "n": 1}\\n' "$2"
`;

test("push-info without ns.controller: computed info to <server>/api/ingest/info, basic auth unit_id:token, tls_verify=0", async () => {
  const dir = unit({ server: pub.url, unit_id: "u-info", token: pub.token, tls_verify: "0", type: "community", system_id: "S1", description: "lab fw" },
    { "/etc/config/dropbear": "\nconfig dropbear\n\toption Port '2222'\n" });
  try {
    const before = pub.ingestRequests().length;
    // OpenVPN passes the device and addresses as arguments.
    const r = await runBundle(["tun-nsplug", "1500", "0", "172.21.0.5", "255.255.0.0", "init"], { dir, as: "ns-controller-push-info" });
    assert.is(r.code, 0, r.stderr);
    const req = pub.ingestRequests().slice(before);
    assert.is(req.length, 1);
    assert.is(req[0]!.path, "/api/ingest/info");
    assert.is(basicUser(req[0]!.headers.authorization), `u-info:${pub.token}`);
    assert.equal(req[0]!.json(), {
      unit_name: "fw.example", version: "NethSecurity 8-23.05.5", description: "lab fw", fqdn: "fw.example",
      system_id: "S1", subscription_type: "community", ssh_port: 2222,
    });
  } finally {
    dir.cleanup();
  }
});

/** `ip` answering for tun-nsplug with `cidr` (the tunnel the test pretends is up); anything else goes to the real ip. */
function tunnelIp(dir: ReturnType<typeof unit>, local: string, prefixlen: number): void {
  const json = JSON.stringify([{ ifname: "tun-nsplug", addr_info: [{ family: "inet", local, prefixlen }] }]);
  dir.standin("ip", `case "$*" in *tun-nsplug*) echo '${json}'; exit 0;; esac\nPATH="\${PATH#*:}" exec ip "$@"`);
}

test("push-info: a vpn_address outside the tunnel's network is not used: the public URL is", async () => {
  const dir = unit({ server: pub.url, unit_id: "u-out", token: pub.token, tls_verify: "0", vpn_address: "127.0.0.1", api_port: String(tun.port) });
  tunnelIp(dir, "172.21.0.5", 16);
  try {
    const tunBefore = tun.ingestRequests().length;
    const r = await runBundle([], { dir, as: "ns-controller-push-info" });
    assert.is(r.code, 0, r.stderr);
    assert.is(tun.ingestRequests().length, tunBefore, "plain HTTP to an address outside the tunnel: never");
    assert.is(pub.ingestRequests().at(-1)!.path, "/api/ingest/info");
  } finally {
    dir.cleanup();
  }
});

test("push-info with vpn_address/api_port: through the tunnel address; ns.controller's info is sent as is", async () => {
  const dir = unit({ server: pub.url, unit_id: "u-vpn", token: pub.token, vpn_address: "127.0.0.1", api_port: String(tun.port) });
  tunnelIp(dir, "127.0.0.5", 8); // the loopback "tunnel" holds vpn_address
  dir.write("/usr/libexec/rpcd/ns.controller", NS_CONTROLLER, 0o755);
  dir.write("/usr/libexec/rpcd/ns.update", NS_UPDATE, 0o755);
  try {
    const pubBefore = pub.ingestRequests().length;
    const r = await runBundle([], { dir, as: "ns-controller-push-info" });
    assert.is(r.code, 0, r.stderr);
    assert.is(pub.ingestRequests().length, pubBefore, "public URL not used");
    const req = tun.ingestRequests().at(-1)!;
    assert.is(req.path, "/ingest/info");
    assert.equal(req.json(), { method: "info", n: 1, scheduled_update: 1735689600, version_update: "8-24.10.0" });
  } finally {
    dir.cleanup();
  }
});

test("push-info as an OpenVPN hook (script_type set): exits while a detached copy is still sending", async () => {
  // An ingest endpoint that holds its answer until released: the hook must not wait for it
  // (OpenVPN moves no packets while a hook runs, and the info may go through the tunnel).
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  const slow = await startServer(async (_req, res) => {
    await held;
    sendJson(res, 200, { code: 200 });
  });
  const dir = unit({ server: pub.url, unit_id: "u-hook", token: pub.token, vpn_address: "127.0.0.1", api_port: String(slow.port) });
  tunnelIp(dir, "127.0.0.5", 8);
  try {
    const hook = startBundle(["tun-nsplug", "1500"], { dir, as: "ns-controller-push-info", env: { script_type: "route-up" } });
    // 'exit', not 'close': like OpenVPN, wait for the process, not for the stderr it passed on.
    const code = await new Promise<number | null>((r) => hook.on("exit", r));
    assert.is(code, 0);
    const req = await slow.waitFor((q) => q.path === "/ingest/info", 20_000);
    assert.is(basicUser(req.headers.authorization), `u-hook:${pub.token}`);
    // Called as `ns-plug.js ns-controller-push-info` (not through the link): the detached copy still knows what to run.
    const viaArg = startBundle(["ns-controller-push-info", "tun-nsplug"], { dir, env: { script_type: "route-up" } });
    assert.is(await new Promise<number | null>((r) => viaArg.on("exit", r)), 0);
    await slow.waitFor(() => slow.requests.filter((q) => q.path === "/ingest/info").length >= 2, 20_000);
  } finally {
    release();
    await slow.close();
    dir.cleanup();
  }
});

test("push-info: not joined → exit 0, nothing sent; controller down → exit 1 with a warning", async () => {
  const none = unit({});
  const before = pub.requests.length + tun.requests.length;
  const r = await runBundle([], { dir: none, as: "ns-controller-push-info" });
  assert.is(r.code, 0, r.stderr);
  assert.is(pub.requests.length + tun.requests.length, before);
  none.cleanup();
  const down = unit({ server: "http://127.0.0.1:1", unit_id: "u", token: "t0k3n" });
  const d = await runBundle([], { dir: down, as: "ns-controller-push-info" });
  assert.is(d.code, 1);
  assert.match(d.stderr, /could not send unit info to the controller: .*connection refused/);
  down.cleanup();
});

test("ns-push-reports: every dump in order, one failure logged and the rest still sent, exit 1", async () => {
  const dir = unit({ server: pub.url, unit_id: "u-rep", token: pub.token, tls_verify: "0" });
  dir.write("/usr/libexec/rpcd/ns.controller", NS_CONTROLLER, 0o755);
  try {
    const before = pub.ingestRequests().length;
    const r = await runBundle([], { dir, as: "ns-push-reports" });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /dump-ts-attacks: ns\.controller call dump-ts-attacks exited 1/);
    const sent = pub.ingestRequests().slice(before);
    assert.equal(sent.map((q) => q.path), [
      "/api/ingest/dump-nsplug-config", "/api/ingest/dump-ovpn-config", "/api/ingest/dump-wan-config",
      "/api/ingest/dump-ts-malware", "/api/ingest/dump-mwan-events", "/api/ingest/dump-dpi-stats", "/api/ingest/dump-ovpn-connections",
    ]);
    assert.equal(sent[2]!.json(), { method: "dump-wan-config", n: 1 });
    assert.ok(sent.every((q) => basicUser(q.headers.authorization) === `u-rep:${pub.token}`));
  } finally {
    dir.cleanup();
  }
});

test("ns-push-reports without ns.controller: dump-nsplug-config {name} only, exit 0; missing settings → 1/2/3", async () => {
  const dir = unit({ server: pub.url, unit_id: "u-min", token: pub.token, tls_verify: "0", unit_name: "my unit" });
  try {
    const before = pub.ingestRequests().length;
    const r = await runBundle([], { dir, as: "ns-push-reports" });
    assert.is(r.code, 0, r.stderr);
    const sent = pub.ingestRequests().slice(before);
    assert.equal(sent.map((q) => [q.path, q.json()]), [["/api/ingest/dump-nsplug-config", { name: "my unit" }]]);
  } finally {
    dir.cleanup();
  }
  for (const [o, code] of [[{ unit_id: "u", token: "t0k3n" }, 1], [{ server: pub.url, token: "t0k3n" }, 2], [{ server: pub.url, unit_id: "u" }, 3]] as const) {
    const d = unit(o as Record<string, string>);
    const r = await runBundle([], { dir: d, as: "ns-push-reports" });
    assert.is(r.code, code, r.stderr);
    d.cleanup();
  }
});

test("ns-controller-telegraf-down removes the controller's telegraf output; absent is fine", async () => {
  const dir = unit({}, { "/etc/telegraf.conf.d/controller-prometheus.conf": "[[outputs.prometheus_client]]\n", "/etc/telegraf.conf.d/other.conf": "x\n" });
  try {
    const r = await runBundle(["tun-nsplug", "1500"], { dir, as: "ns-controller-telegraf-down" });
    assert.is(r.code, 0, r.stderr);
    assert.not.ok(dir.exists("/etc/telegraf.conf.d/controller-prometheus.conf"));
    assert.ok(dir.exists("/etc/telegraf.conf.d/other.conf"));
    const again = await runBundle([], { dir, as: "ns-controller-telegraf-down" });
    assert.is(again.code, 0);
  } finally {
    dir.cleanup();
  }
});

async function poll<T>(what: string, get: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const EXPORTER = "/etc/telegraf.conf.d/controller-prometheus.conf";

test("route-up exports metrics on <ifconfig_local>:9273 for the controller (telegraf restarted); down withdraws them", async () => {
  const dir = unit({ server: pub.url, unit_id: "u-metrics", token: pub.token, tls_verify: "0" }, { "/etc/telegraf.conf.d/base.conf": "x\n" });
  dir.standin("/etc/init.d/telegraf");
  try {
    const up = startBundle(["tun-nsplug", "1500"], { dir, as: "ns-controller-push-info", env: { script_type: "route-up", ifconfig_local: "172.21.0.5" } });
    assert.is(await new Promise<number | null>((r) => up.on("exit", r)), 0);
    const text = await poll(EXPORTER, () => dir.readIfExists(EXPORTER));
    assert.match(text, /^\[\[outputs\.prometheus_client\]\]$/m);
    assert.match(text, /^ {2}listen = "172\.21\.0\.5:9273"$/m);
    assert.is(dir.mode(EXPORTER), 0o644);
    await poll("telegraf restart", () => (dir.calls().includes("/etc/init.d/telegraf restart") ? true : undefined));
    // The controller got the info too, from the same detached copy.
    await pub.waitFor((q) => q.path === "/api/ingest/info" && basicUser(q.headers.authorization) === `u-metrics:${pub.token}`, 20_000);

    const down = await runBundle(["tun-nsplug", "1500"], { dir, as: "ns-controller-telegraf-down", env: { script_type: "down" } });
    assert.is(down.code, 0, down.stderr);
    assert.not.ok(dir.exists(EXPORTER));
    assert.equal(dir.calls().filter((c) => c === "/etc/init.d/telegraf restart").length, 2, "restarted on up and on down");
    assert.ok(dir.exists("/etc/telegraf.conf.d/base.conf"));
  } finally {
    dir.cleanup();
  }
});

test("metrics exporter: a pushed address that is not plain IPv4 writes nothing; no telegraf → no file, no directory", async () => {
  const hostile = unit({}, { "/etc/telegraf.conf.d/base.conf": "x\n" });
  const bare = unit({});
  try {
    for (const local of ['172.21.0.5"\n[[inputs.exec]]\n  commands = ["sh"]', "172.21.0.5:1", "fd00::5", ""]) {
      const r = await runBundle([], { dir: hostile, as: "ns-controller-push-info", env: { ifconfig_local: local } });
      assert.is(r.code, 0, r.stderr);
      assert.not.ok(hostile.exists(EXPORTER), JSON.stringify(local));
      assert.match(r.stderr, /is not an IPv4 address: no metrics exporter/);
    }
    const r = await runBundle([], { dir: bare, as: "ns-controller-push-info", env: { ifconfig_local: "172.21.0.5" } });
    assert.is(r.code, 0, r.stderr);
    assert.not.ok(bare.exists("/etc/telegraf.conf.d"));
  } finally {
    hostile.cleanup();
    bare.cleanup();
  }
});

test.run();
