// The web UI's Controller page (ControllerView.vue, RealTimeMonitoringView.vue) through the
// ns-api-server stand-in: every ns.plug method it calls, with the fields it reads (SPEC §7).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testdir, type TestDir } from "../helpers/testdir";
import { startNsApiServer, ubusCall } from "../servers/ns-api-server";
import { b64, uiData, uiError } from "./ui-fixture";

const JOIN = { fqdn: "ctl.example.org", token: "9f86d081884c7d65aa", unit_id: "7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8b" };
const FIREWALL = "\nconfig zone\n\toption name 'lan'\n\tlist network 'lan'\n";
const REGISTERED = "\nconfig main 'config'\n\toption server 'https://ctl.example.org'\n\toption unit_id 'u-1'\n\toption token 'tok-1234'\n\toption unit_name 'fw1'\n\toption description 'first'\n\toption tls_verify '1'\n";

function root(files: Record<string, string> = {}): TestDir {
  const dir = testdir({ "/proc/sys/kernel/hostname": "fw.ui.test\n", "/etc/config/firewall": FIREWALL, ...files });
  dir.standin("/etc/init.d/firewall");
  return dir;
}

async function withRoot(files: Record<string, string>, fn: (dir: TestDir) => Promise<void>): Promise<void> {
  const dir = root(files);
  try {
    await fn(dir);
  } finally {
    dir.cleanup();
  }
}

const STATUS_KEYS = ["address", "description", "push_last_sent", "push_status", "server", "status", "tls_verify", "unit_id", "unit_name"];

test("status: every field ControllerView reads, unregistered and pending", () =>
  withRoot({ "/etc/config/ns-plug": "\nconfig main 'config'\n" }, async (dir) => {
    const un = uiData(await ubusCall("ns.plug", "status", {}, { dir }));
    assert.equal(Object.keys(un).sort(), STATUS_KEYS);
    assert.equal(un, {
      status: "unregistered", address: null, server: null, unit_name: "fw.ui.test", unit_id: "", tls_verify: true,
      description: "", push_status: "disabled", push_last_sent: -1,
    });
    dir.write("/etc/config/ns-plug", REGISTERED);
    const pending = uiData(await ubusCall("ns.plug", "status", {}, { dir }));
    assert.equal([pending.status, pending.server, pending.unit_id, pending.description], ["pending", "https://ctl.example.org", "u-1", "first"]);
    assert.equal(dir.syslog(), [], "the UI's status poll logs nothing (and so starts no logger)");
  }));

test("register: success; bad join code → join_code_decode_failed; failed restart → failed_to_restart_ns-plug", () =>
  withRoot({ "/etc/config/ns-plug": "\nconfig main 'config'\n" }, async (dir) => {
    const args = { join_code: b64(JOIN), tls_verify: true, unit_name: "branch", description: "Branch office" };
    assert.equal(uiData(await ubusCall("ns.plug", "register", args, { dir })), { result: "success" });
    assert.ok(dir.calls().includes("/etc/init.d/ns-plug restart"));
    assert.match(dir.read("/etc/config/firewall"), "list device 'tun-nsplug'");
    const st = uiData(await ubusCall("ns.plug", "status", {}, { dir }));
    assert.equal([st.status, st.unit_name, st.description, st.unit_id], ["pending", "branch", "Branch office", JOIN.unit_id]);

    const before = dir.read("/etc/config/ns-plug");
    const bad = await ubusCall("ns.plug", "register", { ...args, join_code: "bm90IGEgam9pbiBjb2Rl" }, { dir });
    uiError(bad, "join_code_decode_failed");
    assert.is(dir.read("/etc/config/ns-plug"), before);

    dir.standin("/etc/init.d/ns-plug", "exit 1");
    uiError(await ubusCall("ns.plug", "register", args, { dir }), "failed_to_restart_ns-plug");
    assert.not.match(JSON.stringify(dir.syslog()), JOIN.token);
  }));

test("restart: success; failing init script → restart_failed", () =>
  withRoot({ "/etc/config/ns-plug": REGISTERED }, async (dir) => {
    assert.equal(uiData(await ubusCall("ns.plug", "restart", {}, { dir })), { result: "success" });
    dir.standin("/etc/init.d/ns-plug", "exit 3");
    uiError(await ubusCall("ns.plug", "restart", {}, { dir }), "restart_failed");
  }));

test("update {description}: commit only, the tunnel stays up (no restart, no reload_config)", () =>
  withRoot({ "/etc/config/ns-plug": REGISTERED, "/usr/share/ns-plug/client.conf": "client\n" }, async (dir) => {
    assert.equal(uiData(await ubusCall("ns.plug", "update", { description: "Second floor" }, { dir })), { result: "success" });
    assert.match(dir.read("/etc/config/ns-plug"), "\toption description 'Second floor'\n");
    assert.equal(dir.calls(), []);
    assert.ok(dir.exists("/usr/share/ns-plug/client.conf"));
    assert.is(uiData(await ubusCall("ns.plug", "status", {}, { dir })).description, "Second floor");
  }));

test("unregister: success, and status says unregistered afterwards", () =>
  withRoot({ "/etc/config/ns-plug": REGISTERED, "/usr/share/ns-plug/client.conf": "client\n" }, async (dir) => {
    assert.equal(uiData(await ubusCall("ns.plug", "unregister", {}, { dir })), { result: "success" });
    assert.ok(dir.calls().includes("/etc/init.d/ns-plug stop"));
    assert.is(uiData(await ubusCall("ns.plug", "status", {}, { dir })).status, "unregistered");
  }));

test("the HTTP face: POST /api/ubus/call as UI/lib/standalone/ubus.ts sends it", () =>
  withRoot({ "/etc/config/ns-plug": REGISTERED }, async (dir) => {
    const api = await startNsApiServer({ dir });
    try {
      const post = async (body: unknown) => {
        const res = await fetch(`${api.url}/api/ubus/call`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as { message: string; data: Record<string, unknown> } };
      };
      const st = await post({ path: "ns.plug", method: "status", payload: {} });
      assert.is(st.status, 200);
      assert.is(st.body.data.unit_name, "fw1");
      const bad = await post({ path: "ns.plug", method: "register", payload: { join_code: "x" } });
      assert.equal([bad.status, bad.body.message], [500, "join_code_decode_failed"]);
    } finally {
      await api.close();
    }
  }));

test.run();
