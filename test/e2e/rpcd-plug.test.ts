// ns.plug through the generated plugin file, as rpcd runs it, against a test root.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { call } from "../helpers/rpcd";
import { testdir, type TestDir } from "../helpers/testdir";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
const JOIN = { fqdn: "ctl.example.org", token: "9f86d081884c7d65", unit_id: "7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8b" };
const FIREWALL = "\nconfig defaults\n\toption input 'ACCEPT'\n\nconfig zone\n\toption name 'lan'\n\tlist network 'lan'\n\nconfig zone\n\toption name 'wan'\n\tlist network 'wan'\n";
const REGISTERED = [
  "",
  "config main 'config'",
  "\toption server 'https://ctl.example.org'",
  "\toption unit_id 'u-1'",
  "\toption token 'tok-secret-1'",
  "\toption unit_name 'fw1'",
  "\toption vpn_address '172.21.0.1'",
  "\toption api_port '20001'",
  "\toption tls_verify '1'",
  "",
].join("\n");

function root(files: Record<string, string> = {}): TestDir {
  const dir = testdir({ "/proc/sys/kernel/hostname": "fw.test.local\n", "/etc/config/firewall": FIREWALL, ...files });
  dir.standin("/etc/init.d/firewall");
  return dir;
}

test("register: join code → UCI, ns-plug restarted, tun-nsplug in the lan zone", async () => {
  const dir = root({ "/etc/config/ns-plug": "\nconfig main 'config'\n\toption type 'enterprise'\n" });
  try {
    const { answer } = await call(dir, "ns.plug", "register", {
      join_code: b64(JOIN), tls_verify: false, unit_name: "", description: "branch office", ubus_rpc_session: "abcdef",
    });
    assert.equal(answer, { result: "success" });
    assert.is(dir.read("/etc/config/ns-plug"), [
      "", "config main 'config'", "\toption type 'enterprise'", `\toption unit_id '${JOIN.unit_id}'`,
      "\toption server 'https://ctl.example.org'", `\toption token '${JOIN.token}'`,
      "\toption unit_name 'fw.test.local'", "\toption description 'branch office'", "\toption tls_verify '0'", "", "",
    ].join("\n"));
    assert.match(dir.read("/etc/config/firewall"), "\toption name 'lan'\n\tlist network 'lan'\n\tlist device 'tun-nsplug'\n");
    assert.equal(dir.calls(), ["/etc/init.d/ns-plug restart", "/etc/init.d/firewall reload"]);
  } finally {
    dir.cleanup();
  }
});

test("register: loose tls_verify forms and a missing config file", async () => {
  for (const [v, want] of [[1, "1"], ["1", "1"], ["true", "1"], [0, "0"], ["0", "0"], ["false", "0"], [true, "1"]] as const) {
    const dir = root();
    try {
      const { answer } = await call(dir, "ns.plug", "register", { join_code: b64(JOIN), tls_verify: v, unit_name: "u" });
      assert.equal(answer, { result: "success" });
      assert.match(dir.read("/etc/config/ns-plug"), `\toption tls_verify '${want}'\n`);
      assert.match(dir.read("/etc/config/ns-plug"), "\toption unit_name 'u'\n");
    } finally {
      dir.cleanup();
    }
  }
});

test("register: a bad join code changes nothing", async () => {
  const dir = root({ "/etc/config/ns-plug": REGISTERED });
  try {
    for (const join_code of ["%%%", b64({ fqdn: "x" }), b64({ ...JOIN, fqdn: "a\nb" })]) {
      const { answer } = await call(dir, "ns.plug", "register", { join_code, tls_verify: true, unit_name: "x" });
      assert.equal(answer, { error: "join_code_decode_failed" });
    }
    assert.is(dir.read("/etc/config/ns-plug"), REGISTERED);
    assert.is(dir.read("/etc/config/firewall"), FIREWALL);
    assert.equal(dir.calls(), []);
  } finally {
    dir.cleanup();
  }
});

test("register: ns-plug failing to restart is reported", async () => {
  const dir = root();
  try {
    dir.standin("/etc/init.d/ns-plug", "exit 1");
    const { answer, run } = await call(dir, "ns.plug", "register", { join_code: b64(JOIN), unit_name: "x" });
    assert.equal(answer, { error: "failed_to_restart_ns-plug" }); // the original's word, hyphen kept
    assert.is(run.code, 0);
    assert.is(run.stderr, "");
    assert.not.match(run.stderr + dir.syslog().join("\n"), JOIN.token);
  } finally {
    dir.cleanup();
  }
});

test("status: unregistered", async () => {
  const dir = root({ "/etc/config/ns-plug": "\nconfig main 'config'\n\toption description 'd'\n" });
  try {
    const { answer } = await call(dir, "ns.plug", "status", "{ }");
    assert.equal(answer, {
      status: "unregistered", address: null, server: null, unit_name: "fw.test.local", unit_id: "", tls_verify: true,
      description: "d", push_status: "disabled", push_last_sent: -1,
    });
    assert.equal(dir.calls(), []);
  } finally {
    dir.cleanup();
  }
});

test("status: pending until the tunnel has an address; connected with it", async () => {
  const dir = root({ "/etc/config/ns-plug": REGISTERED });
  try {
    const pending = { status: "pending", address: null, server: "https://ctl.example.org", unit_name: "fw1", unit_id: "u-1",
      tls_verify: true, description: "", push_status: "disabled", push_last_sent: -1 };
    assert.equal((await call(dir, "ns.plug", "status")).answer, pending); // no client.conf yet
    dir.write("/usr/share/ns-plug/client.conf", "client\n");
    dir.standin("ip", `echo 'Device "tun-nsplug" does not exist.' >&2; exit 1`);
    assert.equal((await call(dir, "ns.plug", "status")).answer, pending);
    dir.standin("ip", `printf '%s' '[{"ifname":"tun-nsplug","addr_info":[{"family":"inet6","local":"fe80::2"},{"family":"inet","local":"172.21.0.5","prefixlen":16}]}]'`);
    assert.equal((await call(dir, "ns.plug", "status")).answer, { ...pending, status: "connected", address: "172.21.0.5" });
    assert.equal(dir.calls().slice(-1), ["ip -j address show dev tun-nsplug"]);
  } finally {
    dir.cleanup();
  }
});

test("status: the real `ip` in a network namespace with a real tun-nsplug device", async () => {
  const ns = `rpcdt${process.pid}`;
  const ip = (...a: string[]) => spawnSync("ip", a, { encoding: "utf8" });
  const added = ip("netns", "add", ns);
  assert.is(added.status, 0, `cannot create network namespace ${ns}: ${added.stderr}`);
  const dir = root({ "/etc/config/ns-plug": REGISTERED, "/usr/share/ns-plug/client.conf": "client\n" });
  try {
    for (const a of [
      ["tuntap", "add", "dev", "tun-nsplug", "mode", "tun"], // what OpenVPN's `dev tun-nsplug` creates
      ["addr", "add", "172.21.0.9/16", "dev", "tun-nsplug"],
      ["addr", "add", "fd00::9/64", "dev", "tun-nsplug", "nodad"],
      ["link", "set", "tun-nsplug", "up"],
    ]) assert.is(ip("-n", ns, ...a).status, 0, a.join(" "));
    const { answer } = await call(dir, "ns.plug", "status", {}, {}, ["ip", "netns", "exec", ns]);
    assert.is(answer.status, "connected");
    assert.is(answer.address, "172.21.0.9");
  } finally {
    dir.cleanup();
    ip("netns", "del", ns);
  }
});

test("status: push to the controller enabled with a subscription; last cron run from syslog", async () => {
  const dir = root({
    "/etc/config/ns-plug": REGISTERED.replace("\toption tls_verify '1'\n", "\toption tls_verify '0'\n\toption type 'community'\n"),
    "/var/log/messages": "Jun  2 08:15:01 fw crond[99]: USER root pid 4242 cmd sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports\nJun  2 08:16:00 fw kernel: x\n",
  });
  try {
    const { answer } = await call(dir, "ns.plug", "status", {}, { TZ: "UTC" });
    assert.is(answer.push_status, "enabled");
    assert.is(answer.tls_verify, false);
    const year = new Date().getUTCFullYear();
    let want = Date.UTC(year, 5, 2, 8, 15, 1) / 1000;
    if (want * 1000 > Date.now() + 86_400_000) want = Date.UTC(year - 1, 5, 2, 8, 15, 1) / 1000;
    assert.is(answer.push_last_sent, want);
  } finally {
    dir.cleanup();
  }
});

test("status: a config value the parser refuses is reported, not a crash", async () => {
  const dir = root({ "/etc/config/ns-plug": "\nconfig main 'config'\n\toption tls_verify 'maybe'\n" });
  try {
    const { answer, run } = await call(dir, "ns.plug", "status");
    assert.equal(answer, { error: "invalid_config" });
    assert.is(run.stderr, ""); // SPEC §7: the log goes to syslog
    assert.match(dir.syslog().join("\n"), /^ns-plug daemon\.err ns\.plug: error: .*tls_verify/m);
  } finally {
    dir.cleanup();
  }
});

test("restart: success, and failure of the init script", async () => {
  const dir = root();
  try {
    assert.equal((await call(dir, "ns.plug", "restart")).answer, { result: "success" });
    assert.equal(dir.calls(), ["/etc/init.d/ns-plug restart"]);
    dir.standin("/etc/init.d/ns-plug", "exit 3");
    assert.equal((await call(dir, "ns.plug", "restart")).answer, { error: "restart_failed" });
  } finally {
    dir.cleanup();
  }
});

test("unregister: also removes the original's leftovers: rsyslog.promtail, $PreserveFQDN, the telegraf exporter", async () => {
  const RSYSLOG_CONF = "# rsyslog.conf\n$PreserveFQDN on\nmodule(load=\"imuxsock\")\n*.* /var/log/messages\n";
  const dir = root({
    "/etc/config/ns-plug": REGISTERED,
    "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\toption port '514'\n\nconfig forwarder 'promtail'\n\toption source 'ns-plug'\n\toption target '172.21.0.1'\n\toption port '5151'\n",
    "/etc/rsyslog.conf": RSYSLOG_CONF,
    "/etc/telegraf.conf.d/controller-prometheus.conf": '[[outputs.prometheus_client]]\n  listen = "172.21.0.5:9273"\n',
    "/etc/telegraf.conf.d/other.conf": "# kept\n",
  });
  try {
    const { answer, run } = await call(dir, "ns.plug", "unregister", {});
    assert.equal(answer, { result: "success" });
    assert.is(run.stderr, "");
    assert.is(dir.read("/etc/config/rsyslog"), "\nconfig syslog 'syslog'\n\toption port '514'\n\n");
    assert.is(dir.read("/etc/rsyslog.conf"), RSYSLOG_CONF.replace("$PreserveFQDN on\n", ""));
    assert.not.ok(dir.exists("/etc/telegraf.conf.d/controller-prometheus.conf"));
    assert.ok(dir.exists("/etc/telegraf.conf.d/other.conf"));
    assert.ok(dir.calls().includes("/etc/init.d/rsyslog restart"));
  } finally {
    dir.cleanup();
  }
});

test("unregister: settings cleared, tunnel config, log forwarding and push cron removed, services restarted", async () => {
  const dir = root({
    "/etc/config/ns-plug": REGISTERED,
    "/usr/share/ns-plug/client.conf": "client\n",
    "/var/etc/rsyslog.ns-plug.conf": "$PreserveFQDN on\n",
    "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\tlist includes '/etc/rsyslog.d/x.conf'\n\tlist includes '/var/etc/rsyslog.ns-plug.conf'\n",
    "/etc/crontabs/root": "*/10 * * * * sleep 1; /usr/bin/send-heartbeat\n*/15 * * * * sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports\n",
    "/etc/config/firewall": FIREWALL.replace("\tlist network 'lan'\n", "\tlist network 'lan'\n\tlist device 'tun-nsplug'\n"),
  });
  try {
    const { answer } = await call(dir, "ns.plug", "unregister", {});
    assert.equal(answer, { result: "success" });
    assert.is(dir.read("/etc/config/ns-plug"), "\nconfig main 'config'\n\toption unit_id 'u-1'\n\toption token 'tok-secret-1'\n\toption tls_verify '1'\n\n");
    assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
    assert.not.ok(dir.exists("/var/etc/rsyslog.ns-plug.conf"));
    assert.is(dir.read("/etc/config/rsyslog"), "\nconfig syslog 'syslog'\n\tlist includes '/etc/rsyslog.d/x.conf'\n\n");
    assert.is(dir.read("/etc/crontabs/root"), "*/10 * * * * sleep 1; /usr/bin/send-heartbeat\n");
    assert.is(dir.read("/etc/config/firewall"), FIREWALL + "\n");
    assert.equal(dir.calls(), [
      "/etc/init.d/ns-plug stop", "/etc/init.d/cron restart", "/etc/init.d/rsyslog restart", "/etc/init.d/firewall reload",
    ]);
    const { answer: st } = await call(dir, "ns.plug", "status");
    assert.is(st.status, "unregistered");
  } finally {
    dir.cleanup();
  }
});

// Written by hand the way admins do: comments, double quotes, unquoted words, a list.
const HAND_WRITTEN = `# ns-plug: controller connection
package 'ns-plug'

config main 'config'
	option server "https://ctl.example.org"   # the controller
	option unit_id u-1
	option unit_name "fw \\"one\\""
	option description 'old'
	list tags 'a'
	list tags "b c"
	option tls_verify 1

# something else in the same file
config extra named
	option keep "it's kept"
`;
const LIBUCI_AFTER = `
config main 'config'
	option server 'https://ctl.example.org'
	option unit_id 'u-1'
	option unit_name 'fw "one"'
	option description 'l'\\''unità "nuova"'
	list tags 'a'
	list tags 'b c'
	option tls_verify '1'

config extra 'named'
	option keep 'it'\\''s kept'

`;

test("update: a hand-written UCI file comes out in libuci's format, other sections intact", async () => {
  const dir = root({ "/etc/config/ns-plug": HAND_WRITTEN });
  try {
    const { answer } = await call(dir, "ns.plug", "update", { description: 'l\'unità "nuova"', ubus_rpc_session: "x" });
    assert.equal(answer, { result: "success" });
    assert.is(dir.read("/etc/config/ns-plug"), LIBUCI_AFTER);
    // Commit only (SPEC §7): the controller reads the description at the next route-up; the tunnel stays up.
    assert.equal(dir.calls(), []);
  } finally {
    dir.cleanup();
  }
});

test("update: unchanged description writes nothing; unregistered unit is not restarted", async () => {
  const dir = root({ "/etc/config/ns-plug": "config main 'config'\n\toption description 'same' # c\n" });
  try {
    assert.equal((await call(dir, "ns.plug", "update", { description: "same" })).answer, { result: "success" });
    assert.is(dir.read("/etc/config/ns-plug"), "config main 'config'\n\toption description 'same' # c\n");
    assert.equal(dir.calls(), []);
    assert.equal((await call(dir, "ns.plug", "update", { description: "" })).answer, { result: "success" });
    assert.is(dir.read("/etc/config/ns-plug"), "\nconfig main 'config'\n\n");
    assert.equal(dir.calls(), []);
  } finally {
    dir.cleanup();
  }
});

test("update: description held as a list → replaced in place by an option, as libuci's `uci set` does", async () => {
  const before = "\nconfig main 'config'\n\toption server 'https://ctl.example.org'\n\tlist description 'a'\n\tlist description 'b'\n\toption tls_verify '1'\n";
  const dir = root({ "/etc/config/ns-plug": before });
  try {
    // status refuses the list (its typed config has no list there) …
    assert.equal((await call(dir, "ns.plug", "status")).answer, { error: "invalid_config" });
    // … but `uci set ns-plug.config.description=new; uci commit` succeeds on this file, so update does too.
    const { answer, run } = await call(dir, "ns.plug", "update", { description: "new" });
    assert.equal(answer, { result: "success" });
    assert.is(run.stderr, "");
    assert.is(dir.read("/etc/config/ns-plug"), "\nconfig main 'config'\n\toption server 'https://ctl.example.org'\n\toption description 'new'\n\toption tls_verify '1'\n\n");
    assert.equal(dir.calls(), []);
    assert.is((await call(dir, "ns.plug", "status")).answer.description, "new");
  } finally {
    dir.cleanup();
  }
});

test("update/status: a file libuci itself refuses → invalid_config, not internal_error; file untouched", async () => {
  for (const broken of ["config main 'config\n", "\nconfig main 'config'\n\toption description 'a' 'b' 'c'\n", "option x 'y'\n"]) {
    const dir = root({ "/etc/config/ns-plug": broken });
    try {
      for (const m of ["update", "status", "register", "unregister"] as const) {
        const args = m === "update" ? { description: "x" } : m === "register" ? { join_code: b64(JOIN) } : {};
        const { answer, run } = await call(dir, "ns.plug", m, args);
        assert.equal(answer, { error: "invalid_config" }, `${m} on ${JSON.stringify(broken)}`);
        assert.is(run.code, 0);
        assert.is(run.stderr, "");
      }
      assert.is(dir.read("/etc/config/ns-plug"), broken);
    } finally {
      dir.cleanup();
    }
  }
});

test("update: a description that would break the config file is refused", async () => {
  const dir = root({ "/etc/config/ns-plug": REGISTERED });
  try {
    const { answer } = await call(dir, "ns.plug", "update", { description: "x\n\toption server 'https://evil'" });
    assert.equal(answer, { validation: { errors: [{ parameter: "description", message: "invalid_characters", value: "x\n\toption server 'https://evil'" }] } });
    assert.is(dir.read("/etc/config/ns-plug"), REGISTERED);
  } finally {
    dir.cleanup();
  }
});

test.run();
