// ns.plug with the real controller client behind it: the join code given to
// `ns.plug register` reaches the loopback controller through `connect` (run by
// the ns-plug init script stand-in, as procd would), `status` follows, and
// `unregister` removes everything `connect` set up.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BUNDLE } from "../helpers/bundle";
import { call } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";
import { startController } from "../servers/controller";

const FIREWALL = "\nconfig zone\n\toption name 'lan'\n\tlist network 'lan'\n";

test("register → connect at the controller → status → unregister undoes it", async () => {
  const ctl = await startController({ vpnHost: "vpn.example.org", vpnPort: "1194", apiPort: 8080, vpnAddress: "172.21.0.1" });
  const dir = testdir({
    "/etc/config/ns-plug": "\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id 'SYS-1'\n",
    "/etc/config/firewall": FIREWALL,
    "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\tlist includes '/etc/rsyslog.d/other.conf'\n",
    "/etc/os-release": 'VERSION_ID="8-23.05.5-ns.1.6.0"\n',
    "/proc/sys/kernel/hostname": "fw-rpcd.example\n",
    "/var/run/ns-plug.booted": "", // not the first start after boot: connect does not wait
  });
  try {
    // procd's `restart` runs the instance: here, the bundle's connect (steps 1–5; OpenVPN not started).
    dir.standin("/etc/init.d/ns-plug", `[ "$1" = restart ] || exit 0\nexec '${process.execPath}' '${BUNDLE}' connect`);
    // (stop: nothing to do here; a real procd would kill the OpenVPN instance.)
    dir.standin("/etc/init.d/firewall");
    await ctl.approve("unit-rpcd");
    const port = new URL(ctl.url).port;
    const join = Buffer.from(JSON.stringify({ fqdn: `127.0.0.1:${port}`, token: ctl.token, unit_id: "unit-rpcd" })).toString("base64");

    const reg = await call(dir, "ns.plug", "register", { join_code: join, tls_verify: false, unit_name: "", description: "lab" });
    assert.equal(reg.answer, { result: "success" }, reg.run.stderr);
    assert.not.match(reg.run.stderr + reg.run.stdout + dir.syslog().join("\n"), ctl.token);
    const sent = ctl.registerRequests().map((r) => r.json() as Record<string, string>);
    assert.equal(sent.map((b) => [b.unit_id, b.unit_name, b.subscription_type]), [["unit-rpcd", "fw-rpcd.example", "enterprise"]]);
    assert.is(ctl.registerRequests()[0]!.headers.registrationtoken, ctl.token);
    assert.ok(dir.exists("/usr/share/ns-plug/client.conf"));
    assert.match(dir.read("/etc/config/ns-plug"), `\toption server 'https://127.0.0.1:${port}'\n`);

    // No tunnel device in this root: pending; with one (ip stand-in): connected.
    assert.is((await call(dir, "ns.plug", "status")).answer.status, "pending");
    dir.standin("ip", `printf '%s' '[{"ifname":"tun-nsplug","addr_info":[{"family":"inet","local":"172.21.0.9","prefixlen":16}]}]'`);
    const st = (await call(dir, "ns.plug", "status")).answer;
    assert.equal({ ...st, push_last_sent: 0 }, {
      status: "connected", address: "172.21.0.9", server: `https://127.0.0.1:${port}`, unit_name: "fw-rpcd.example",
      unit_id: "unit-rpcd", tls_verify: false, description: "lab", push_status: "enabled", push_last_sent: 0,
    });

    // What connect set up, then what unregister leaves.
    assert.match(dir.read("/etc/config/rsyslog"), "/var/etc/rsyslog.ns-plug.conf");
    assert.match(dir.read("/etc/crontabs/root"), "ns-push-reports");
    assert.ok(dir.exists("/var/etc/rsyslog.ns-plug.conf"));
    const un = await call(dir, "ns.plug", "unregister", {});
    assert.equal(un.answer, { result: "success" }, un.run.stderr);
    assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
    assert.not.ok(dir.exists("/var/etc/rsyslog.ns-plug.conf"));
    assert.is(dir.read("/etc/config/rsyslog"), "\nconfig syslog 'syslog'\n\tlist includes '/etc/rsyslog.d/other.conf'\n\n");
    assert.not.match(dir.readIfExists("/etc/crontabs/root") ?? "", "ns-push-reports");
    assert.is(dir.read("/etc/config/firewall"), `${FIREWALL}\n`);
    assert.ok(dir.calls().includes("/etc/init.d/ns-plug stop"));
    assert.is(ctl.registerRequests().length, 1);
    assert.is((await call(dir, "ns.plug", "status")).answer.status, "unregistered");
  } finally {
    dir.cleanup();
    await ctl.close();
  }
});

test.run();
