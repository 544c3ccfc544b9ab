/**
 * The real thing: /usr/sbin/ns-plug (the sh wrapper, from a test root) in
 * its own network namespace registers with the loopback controller in
 * another, then becomes OpenVPN and brings up tun-nsplug against a real
 * OpenVPN server holding the controller's certificates. The route-up hook
 * then reaches the controller's API through the tunnel itself.
 * Needs root and /dev/net/tun: without them this test FAILS saying so.
 * Two runs (each ~5 s): IPv4 endpoint with mtu-test; IPv6 endpoint with tun_mtu/mssfix.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ChildProcess } from "node:child_process";
import { bundleEnv } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { installUnitFiles } from "../servers/controller-unit";
import { addressIn, mtuIn, startTunnelLab, type LabOptions } from "../servers/controller-lab";

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tunnelRun(lab: LabOptions, extra: Record<string, string>, check: (ctx: { ns: string; conf: string }) => void) {
  const l = await startTunnelLab(lab);
  const unitId = `unit-${process.pid}-${lab.vpnFamily ?? "ipv4"}`;
  let conf = `\nconfig main 'config'\n\toption server '${l.controllerUrl}'\n\toption unit_id '${unitId}'\n\toption token '${l.token}'\n\toption tls_verify '0'\n`;
  for (const [k, v] of Object.entries(extra)) conf += `\toption ${k} '${v}'\n`;
  const dir = testdir({
    "/etc/config/ns-plug": conf,
    "/var/run/ns-plug.booted": "",
    "/proc/sys/kernel/hostname": "tunnel-unit\n",
    "/etc/telegraf.conf.d/controller-prometheus.conf": "[[outputs.prometheus_client]]\n",
  });
  installUnitFiles(dir);
  let unit: ChildProcess | undefined;
  let out = "";
  try {
    // The wrapper, as procd would run it; NS_PLUG_ROOT relocates its paths and the bundle's.
    unit = l.spawnInUnit(dir.path("/usr/sbin/ns-plug"), [], bundleEnv({ dir }));
    unit.stdout!.on("data", (b) => (out += b));
    unit.stderr!.on("data", (b) => (out += b));
    const exited = new Promise<number | null>((r) => unit!.on("exit", r));
    const address = await Promise.race([
      until("tun-nsplug address in the unit's namespace", () => addressIn(l.unitNs, "tun-nsplug")),
      exited.then((c) => {
        throw new Error(`the wrapper exited (${c}) before the tunnel came up:\n${out}`);
      }),
    ]);
    assert.match(address, /^172\.21\.\d+\.\d+$/);
    await until("the OpenVPN server lists the client", () => l.connectedClients().includes(unitId) || undefined);
    // Node is gone: the wrapper's process is OpenVPN now.
    assert.match(out, /OpenVPN 2\.\d/);
    // route-up ran ns-controller-push-info, which reached the controller through the tunnel (vpn_address:api_port).
    const info = await l.waitForRequest((r) => r.via === "tunnel" && r.path === "/ingest/info", 20_000);
    assert.is(Buffer.from(info.headers.authorization!.replace(/^Basic /, ""), "base64").toString(), `${unitId}:${l.token}`);
    assert.is((JSON.parse(info.text) as { unit_name: string }).unit_name, "tunnel-unit");
    check({ ns: l.unitNs, conf: dir.read("/usr/share/ns-plug/client.conf") });
    // SIGTERM as procd does: OpenVPN tells the server (explicit-exit-notify) and runs the down hook.
    unit.kill("SIGTERM");
    await exited;
    assert.not.ok(dir.exists("/etc/telegraf.conf.d/controller-prometheus.conf"), "down hook removed the telegraf output");
  } catch (e) {
    (e as Error).message += `\n--- unit output ---\n${out}`;
    throw e;
  } finally {
    unit?.kill("SIGKILL");
    await l.close();
    dir.cleanup();
  }
}

test("IPv4 endpoint: the wrapper registers, execs OpenVPN, tun-nsplug gets an address, the server sees the client (mtu-test)", async () => {
  await tunnelRun({ vpnFamily: "ipv4" }, {}, ({ ns, conf }) => {
    assert.ok(conf.endsWith("verb 3\nmtu-test\n"));
    assert.is(mtuIn(ns, "tun-nsplug"), 1500);
  });
});

test("IPv6 endpoint with tun_mtu/mssfix: same, and the tunnel uses the configured MTU", async () => {
  // The controller's server on the same MTU: OpenVPN 2.6 servers push theirs to the client (see docs/controller.md).
  await tunnelRun({ vpnFamily: "ipv6", serverTunMtu: 1400 }, { tun_mtu: "1400", mssfix: "1360" }, ({ ns, conf }) => {
    assert.ok(conf.endsWith("verb 3\ntun-mtu 1400\nmssfix 1360\n"));
    assert.match(conf, /\nremote fd57:[0-9a-f]+::1 1194 udp\n/);
    assert.is(mtuIn(ns, "tun-nsplug"), 1400);
  });
});

test.run();
