/**
 * Remote support sessions end to end (SPEC §9, issue 15): the built bundle's
 * `don` and the generated ns.don plugin, in a unit namespace, against a real
 * OpenVPN support server (UDP 1194 + TCP 443, auth-user-pass-verify) in
 * another namespace; support logs in with real ssh to the unit's real sshd.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, symlinkSync } from "node:fs";
import { BUNDLE, bundleEnv } from "../helpers/bundle";
import { pluginFile } from "../helpers/rpcd";
import { ubusCall } from "../servers/ns-api-server";
import type { TestDir } from "../helpers/testdir";
import { addressOf, processesWith, startSupportLab, type SupportLab } from "../servers/support-lab";
import { donRoot, type Ran } from "./don-fixture";

let lab: SupportLab;
const roots: TestDir[] = [];

function root(opts: Parameters<typeof donRoot>[1] = {}): TestDir {
  const d = donRoot(lab, opts);
  roots.push(d);
  return d;
}

/** Run `don <args>` (the bundle through its installed name) in the unit namespace. */
function don(dir: TestDir, args: string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn("ip", ["netns", "exec", lab.unitNs, dir.path("/usr/sbin/don"), ...args], { env: bundleEnv({ dir }), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b) => (stdout += b));
    p.stderr.on("data", (b) => (stderr += b));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/**
 * The web UI's path: ns-api-server runs the plugin itself and reads stdout and
 * stderr together (test/servers/ns-api-server.ts), here inside the unit's namespace.
 */
async function api(dir: TestDir, method: string, body: Record<string, unknown> = {}): Promise<{ status: number; data: unknown; message: string; raw: string }> {
  const r = await ubusCall("ns.don", method, { ubus_rpc_session: "0123456789abcdef0123456789abcdef", ...body }, {
    dir,
    prefix: ["ip", "netns", "exec", lab.unitNs],
  });
  return { status: r.status, data: r.body.data, message: r.body.message, raw: `exit ${r.exit}: ${r.output}` };
}

/** Nothing of the session is left: daemons, state, login, cron line. */
function assertNoTrace(dir: TestDir, what: string): void {
  assert.equal(processesWith(dir.path("/var/run/don")), [], `${what}: no openvpn/sshd of this root`);
  assert.not.ok(dir.exists("/var/run/don"), `${what}: state directory removed`);
  assert.not.ok((dir.readIfExists("/etc/config/rpcd") ?? "").includes("ns_don"), `${what}: rpcd login removed`);
  assert.not.ok((dir.readIfExists("/etc/crontabs/root") ?? "").includes("don expire"), `${what}: cron line removed`);
  assert.is(addressOf(lab.unitNs, "tunDON"), undefined, `${what}: tunDON gone`);
}

/** Run `body`; whatever happens, stop the session after (one unit namespace has one tunDON). */
async function guarded(dir: TestDir, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await don(dir, ["stop"]);
  }
}

async function until<T>(f: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test.before(async () => {
  lab = await startSupportLab();
});

test.after(async () => {
  for (const d of roots) {
    await don(d, ["stop"]).catch(() => {});
    d.cleanup();
  }
  await lab?.close();
});

test("no system_id → exit 2; a CA without a subject CN → exit 3; nothing left behind", async () => {
  const a = root({ systemId: "" });
  const r2 = await don(a, ["start", "-j"]);
  assert.is(r2.code, 2, r2.stderr);
  assert.is(r2.stdout, "");
  const b = root({ ca: readFileSync(lab.pki.noCnCaPath, "utf8") });
  const r3 = await don(b, ["start", "-j"]);
  assert.is(r3.code, 3, r3.stderr);
  assert.match(r3.stderr, /no subject CN/);
  assertNoTrace(b, "CA without CN");
});

test("don start -j: tunnel over UDP, credentials checked by the server, support's ssh key runs a command, others refused", async () => {
  const dir = root();
  await guarded(dir, async () => {
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 0, `${r.stderr}\n${r.stdout}`);
    const j = JSON.parse(r.stdout) as { server_id: string; session_id: string; expiry_time: number };
    assert.equal(Object.keys(j).sort(), ["expiry_time", "server_id", "session_id"]);
    assert.is(j.server_id, lab.systemId);
    assert.match(j.session_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(j.expiry_time - (now + 86400)) < 300, `expiry ~24 h ahead: ${j.expiry_time - now}`);
    // The server's verify script got exactly what was printed.
    assert.ok(lab.verified().includes(`${lab.systemId} ${j.session_id}`), `verified: ${lab.verified().join(", ")}`);
    const address = addressOf(lab.unitNs, "tunDON");
    assert.ok(address?.startsWith("172.29.0."), `tunDON on the UDP server's network: ${address}`);

    // Files: the state directory is private, every file in it 0600.
    assert.is(dir.mode("/var/run/don"), 0o700);
    for (const f of ["credentials", "openvpn.conf", "sshd.conf", "authorized_keys", "session.json"]) assert.is(dir.mode(`/var/run/don/${f}`), 0o600, f);
    const conf = dir.read("/var/run/don/openvpn.conf");
    for (const l of ["dev tunDON", `remote ${lab.serverIp} 1194 udp`, `remote ${lab.serverIp} 443 tcp`, `verify-x509-name "${lab.pki.cn}" name`, "auth-nocache", "inactive 604800"]) {
      assert.ok(conf.includes(l), `openvpn.conf has ${l}`);
    }
    assert.ok(/^down ".*\/usr\/sbin\/don stop"$/m.test(conf));
    assert.match(dir.read("/var/run/don/sshd.conf"), new RegExp(`^ListenAddress ${address!.replace(/\./g, "\\.")}:981$`, "m"));
    const rpcd = dir.read("/etc/config/rpcd");
    assert.match(rpcd, /config login 'ns_don'\n\toption username 'nethsupport'\n\toption password '\$6\$[^']+'\n\tlist read '\*'\n\tlist write '\*'\n/);
    assert.not.ok(rpcd.includes(j.session_id), "rpcd holds the hash only");
    assert.is(dir.mode("/etc/config/rpcd"), 0o600);
    assert.ok(dir.read("/etc/crontabs/root").includes("*/10 * * * * /usr/sbin/don expire\n"));
    assert.ok(dir.read("/etc/crontabs/root").includes("/usr/sbin/send-backup"), "other cron lines kept");

    // Support's side.
    const ok = await lab.ssh(address!, "echo ok-from-$(id -un)");
    assert.is(ok.code, 0, ok.stderr);
    assert.is(ok.stdout, "ok-from-root\n");
    const other = await lab.ssh(address!, "echo no", { key: lab.otherKey });
    assert.is(other.code, 255);
    assert.match(other.stderr, /Permission denied \(publickey\)/);
    const pw = await lab.ssh(address!, "echo no", { password: true });
    assert.is(pw.code, 255);
    assert.match(pw.stderr, /Permission denied \(publickey\)/, "the server offers public keys only: no password, no keyboard-interactive");

    // status (text and JSON) tells the same session; start again returns it unchanged.
    const st = await don(dir, ["status"]);
    assert.is(st.code, 0);
    assert.match(st.stdout, new RegExp(`^Server ID:\\t${lab.systemId}\\nSession ID:\\t${j.session_id}\\nExpires in:\\t(23h 5\\dm|1d 0h 0m)\\n$`));
    const again = await don(dir, ["start", "-j"]);
    assert.equal(JSON.parse(again.stdout), j);

    const stop = await don(dir, ["stop"]);
    assert.is(stop.code, 0, stop.stderr);
    assertNoTrace(dir, "after stop");
    assert.ok(dir.calls().some((c) => c.startsWith("ubus call session destroy") && c.includes("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")), "nethsupport's web session destroyed");
    assert.not.ok(dir.calls().some((c) => c.includes("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")), "root's web session kept");
    const twice = await don(dir, ["stop"]);
    assert.is(twice.code, 0, "stop is safe twice");
    const none = await don(dir, ["status", "-j"]);
    assert.is(none.code, 1);
    assert.is(none.stdout, "null\n");
  });
});

test("the web UI (ns-api-server stand-in → ns.don): start → status → extend ×2 → stop, nothing left", async () => {
  const dir = root();
  await guarded(dir, async () => {
    const start = await api(dir, "start");
    assert.is(start.status, 200, start.raw);
    const s = start.data as { server_id: string; session_id: string; expiry_time: number };
    assert.is(s.server_id, lab.systemId);
    assert.match(s.session_id, /^[0-9a-f-]{36}$/);
    const status = await api(dir, "status");
    assert.is(status.status, 200);
    assert.equal(status.data, s);
    const e1 = await api(dir, "extend");
    assert.is(e1.status, 200, e1.raw);
    assert.equal(e1.data, { status: "extended", server_id: s.server_id, session_id: s.session_id, expiry_time: s.expiry_time + 7 * 86400 });
    const e2 = await api(dir, "extend");
    assert.equal(e2.data, { status: "already_extended", server_id: s.server_id, session_id: s.session_id, expiry_time: s.expiry_time + 7 * 86400 });
    const stop = await api(dir, "stop");
    assert.is(stop.status, 200, stop.raw);
    assert.equal(stop.data, { result: "success" });
    assertNoTrace(dir, "after ns.don stop");
    assert.equal((await api(dir, "status")).data, { result: "no_session" });
    assert.equal((await api(dir, "extend")).data, { status: "no_session" });
  });
});

test("expire: a session past its expiry is stopped; one before it is kept", async () => {
  const dir = root();
  await guarded(dir, async () => {
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 0, r.stderr);
    const keep = await don(dir, ["expire"]);
    assert.is(keep.code, 0);
    assert.is((await don(dir, ["status"])).code, 0, "not expired yet: still running");
    // The clock moved past the expiry: the recorded expiry is now in the past.
    const state = JSON.parse(dir.read("/var/run/don/session.json")) as { expiry_time: number };
    dir.write("/var/run/don/session.json", JSON.stringify({ ...state, expiry_time: Math.floor(Date.now() / 1000) - 1 }), 0o600);
    const exp = await don(dir, ["expire"]);
    assert.is(exp.code, 0, exp.stderr);
    assertNoTrace(dir, "after expire");
  });
});

test("UDP blocked: the TCP 443 connection is used (and sshd's host key comes from dropbear's)", async () => {
  await lab.stopServer("udp");
  try {
    const dir = root();
    // The router's dropbear host key, and a dropbearconvert stand-in that writes an OpenSSH key at its output path.
    dir.write("/etc/dropbear/dropbear_ed25519_host_key", "dropbear key bytes", 0o600);
    dir.standin("dropbearconvert", 'ssh-keygen -q -t ed25519 -N "" -f "$4" >/dev/null && rm -f "$4.pub"');
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(dir.calls().includes(`dropbearconvert dropbear openssh ${dir.path("/etc/dropbear/dropbear_ed25519_host_key")} ${dir.path("/var/run/don/ssh_host_ed25519_key")}`), dir.calls().join("\n"));
    assert.match(dir.read("/var/run/don/sshd.conf"), /^HostKey .*\/var\/run\/don\/ssh_host_ed25519_key$/m);
    assert.is(dir.mode("/var/run/don/ssh_host_ed25519_key"), 0o600);
    const address = addressOf(lab.unitNs, "tunDON");
    assert.ok(address?.startsWith("172.29.1."), `tunDON on the TCP server's network: ${address}`);
    const ok = await lab.ssh(address!, "echo ok");
    assert.is(ok.stdout, "ok\n", ok.stderr);
    assert.is((await don(dir, ["stop"])).code, 0);
    assertNoTrace(dir, "after stop over TCP");
  } finally {
    await lab.startServer("udp");
  }
});

test("OpenVPN going down (server side gone) runs don stop through `down`: everything removed", async () => {
  const dir = root();
  await guarded(dir, async () => {
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 0, r.stderr);
    // What `inactive` or a SIGTERM does: OpenVPN exits and its down script stops the session.
    const pid = Number(dir.read("/var/run/don/openvpn.pid").trim());
    process.kill(pid, "SIGTERM");
    await until(() => (dir.exists("/var/run/don") || processesWith(dir.path("/var/run/don")).length ? undefined : true), 30_000, "down → don stop");
    assertNoTrace(dir, "after OpenVPN's down");
  });
});

test("a support server that never answers → exit 8 within the bound, everything cleaned up", async () => {
  const dir = root({ server: lab.deadIp, connectTimeout: 10 });
  await guarded(dir, async () => {
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 8, r.stderr);
    assert.is(r.stdout, "");
    assert.match(r.stderr, /no tunnel to the support server within 10 s/);
    assert.ok(r.ms < 10_000 + 20_000, `bounded: ${r.ms} ms`);
    assertNoTrace(dir, "after a failed start");
  });
});

test("a server certificate of the support CA with another CN is refused: no credentials sent, exit 8, cleaned up", async () => {
  const dir = root({ server: lab.impostorIp, connectTimeout: 10 });
  await guarded(dir, async () => {
    const before = lab.verified().length;
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 8, r.stderr);
    assert.is(r.stdout, "");
    assert.is(lab.verified().length, before, "the impostor never got the credentials");
    assertNoTrace(dir, "after refusing the impostor");
  });
});

test("OpenVPN that does not start → exit 7, cleaned up", async () => {
  const dir = root();
  await guarded(dir, async () => {
    dir.standin("openvpn", "echo 'Options error: stand-in refuses' >&2\nexit 1");
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 7, r.stderr);
    assert.match(r.stderr, /openvpn did not start: Options error: stand-in refuses/);
    assertNoTrace(dir, "after openvpn failed");
  });
});

test("stop is safe concurrently: the CLI twice and the web UI at once", async () => {
  const dir = root();
  await guarded(dir, async () => {
    assert.is((await don(dir, ["start", "-j"])).code, 0);
    const all = await Promise.all([don(dir, ["stop"]), don(dir, ["stop"]), api(dir, "stop")]);
    assert.equal(all.map((r) => ("code" in r ? r.code : r.status)), [0, 0, 200], JSON.stringify(all));
    assertNoTrace(dir, "after concurrent stops");
  });
});

test("two starts at once (a double click): one session, both answer it; the start lock is gone after", async () => {
  const dir = root();
  await guarded(dir, async () => {
    const [a, b] = await Promise.all([don(dir, ["start", "-j"]), api(dir, "start")]);
    assert.is(a.code, 0, a.stderr);
    assert.is(b.status, 200, b.raw);
    assert.equal(b.data, JSON.parse(a.stdout));
    assert.is(processesWith(dir.path("/var/run/don/openvpn.conf")).length, 1, "one OpenVPN");
    assert.not.ok(dir.exists("/var/run/don.lock"));
  });
});

test("a link planted at /var/run/don is never followed: removed, its target untouched", async () => {
  const dir = root();
  await guarded(dir, async () => {
    dir.write("/tmp/target/keep", "precious\n", 0o644);
    symlinkSync(dir.path("/tmp/target"), dir.path("/var/run/don"));
    dir.standin("openvpn", "exit 1");
    const r = await don(dir, ["start", "-j"]);
    assert.is(r.code, 7, r.stderr);
    assert.equal(readdirSync(dir.path("/tmp/target")), ["keep"], "nothing written into the link's target");
    assert.is(dir.read("/tmp/target/keep"), "precious\n");
    assert.is(dir.mode("/tmp/target"), 0o755, "target's mode untouched");
    assert.not.ok(dir.exists("/var/run/don"));
  });
});

test("the installed wrapper name and the rpcd front: list answers without Node, unknown args refused", async () => {
  const list = spawn(pluginFile("ns.don"), ["list"], { env: { PATH: "/nonexistent" } });
  let out = "";
  list.stdout.on("data", (b) => (out += b));
  await new Promise((r) => list.on("close", r));
  assert.equal(JSON.parse(out), { start: {}, status: {}, stop: {}, extend: {} });
  const dir = root();
  const bad = await don(dir, ["stop", "now"]);
  assert.is(bad.code, 2);
  void BUNDLE;
});

test.run();
