// ns.subscription through the generated plugin file, against a test root and
// the loopback portal (test/servers/portal.ts, both portals on one server).
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { PORTAL_TIMEOUT_MS } from "../../src/rpcd/subscription";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { call } from "../helpers/rpcd";
import { startPortal } from "../servers/portal";
import { COM, ENT, nsPlugOptions, registeredConfig, routerRoot, withPortal } from "./subscription-fixture";


test("register: an enterprise secret registers with the enterprise portal", () =>
  withPortal(async (portal) => {
    const dir = routerRoot();
    try {
      const { answer, run } = await call(dir, "ns.subscription", "register", { secret: ENT.secret, ubus_rpc_session: "s" }, portal.env);
      assert.equal(answer, { result: "success" });
      const o = nsPlugOptions(dir);
      assert.is(o.type, "enterprise");
      assert.is(o.system_id, ENT.uuid);
      assert.is(o.secret, ENT.secret);
      assert.equal(portal.byRoute("community-info"), []);
      assert.is(portal.stored.heartbeats.length, 1);
      assert.not.match(run.stderr + dir.syslog().join("\n"), ENT.secret);
    } finally {
      dir.cleanup();
    }
  }));

test("register: a community secret is tried on enterprise first, then community", () =>
  withPortal(async (portal) => {
    const dir = routerRoot();
    try {
      const { answer } = await call(dir, "ns.subscription", "register", { secret: COM.secret }, portal.env);
      assert.equal(answer, { result: "success" });
      assert.is(nsPlugOptions(dir).type, "community");
      assert.is(nsPlugOptions(dir).system_id, COM.uuid);
      const order = portal.requests.map((r) => r.route).filter((r) => r.endsWith("-info"));
      assert.equal(order, ["enterprise-info", "community-info"]);
    } finally {
      dir.cleanup();
    }
  }));

test("register: an unknown secret → invalid_secret_or_server_not_found, UCI untouched", () =>
  withPortal(async (portal) => {
    const dir = routerRoot();
    try {
      const before = dir.read("/etc/config/ns-plug");
      const { answer, run } = await call(dir, "ns.subscription", "register", { secret: "no-such-secret-42" }, portal.env);
      assert.equal(answer, { error: "invalid_secret_or_server_not_found" });
      assert.is(dir.read("/etc/config/ns-plug"), before);
      assert.not.match(run.stdout + run.stderr + dir.syslog().join("\n"), "no-such-secret-42");
      assert.ok(dir.syslog().length > 0, "why it failed is in syslog");
    } finally {
      dir.cleanup();
    }
  }));

test("register: no portal answering (accepts, never answers) → the same error, in about the short timeout per portal", async () => {
  // A closed port refuses at once and never runs the timeout path: this one accepts and stays silent.
  const sockets: Socket[] = [];
  const silent = createNetServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const dir = routerRoot();
  try {
    const env = { NS_PLUG_ENTERPRISE_PORTAL: url, NS_PLUG_COMMUNITY_PORTAL: url };
    const t0 = Date.now();
    const { answer } = await call(dir, "ns.subscription", "register", { secret: "x-secret" }, env);
    const took = Date.now() - t0;
    assert.equal(answer, { error: "invalid_secret_or_server_not_found" });
    assert.ok(sockets.length >= 2, `${sockets.length} connections: both portals should have been tried`);
    // Each portal gets PORTAL_TIMEOUT_MS (5 s): at least that, and far below the 100 s protocol
    // deadline (the long send budgets would take minutes). Generous upper bound for a loaded machine.
    assert.ok(took >= PORTAL_TIMEOUT_MS, `answered after ${took} ms: the timeout did not run`);
    assert.ok(took < 4 * 2 * PORTAL_TIMEOUT_MS, `answered after ${took} ms, expected about 2 × ${PORTAL_TIMEOUT_MS} ms`);
  } finally {
    dir.cleanup();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test("register: the secret is required and never echoed", async () => {
  const dir = routerRoot();
  try {
    assert.equal((await call(dir, "ns.subscription", "register", {})).answer, {
      validation: { errors: [{ parameter: "secret", message: "required", value: "" }] },
    });
    assert.equal((await call(dir, "ns.subscription", "register", { secret: "a\nb" })).answer, {
      validation: { errors: [{ parameter: "secret", message: "invalid_characters", value: "" }] },
    });
  } finally {
    dir.cleanup();
  }
});

test("info: unregistered → {systemd_id: ''} without asking anyone", () =>
  withPortal(async (portal) => {
    const dir = routerRoot();
    try {
      assert.equal((await call(dir, "ns.subscription", "info", "{ }", portal.env)).answer, { systemd_id: "" });
      assert.equal(portal.requests, []);
    } finally {
      dir.cleanup();
    }
  }));

test("info: both valid_until forms, expiration in ms", () =>
  withPortal(async (portal) => {
    for (const [sys, expiration] of [
      [ENT, Date.UTC(2030, 0, 2, 3, 4, 5)], // 2030-01-02T03:04:05Z
      [COM, Date.UTC(2031, 4, 6, 7, 8, 9, 123)], // 2031-05-06T07:08:09.123456Z
    ] as const) {
      const dir = routerRoot({ config: registeredConfig(portal, sys) });
      try {
        const { answer } = await call(dir, "ns.subscription", "info", {}, portal.env);
        assert.equal(answer, { server_id: sys.id, systemd_id: sys.uuid, plan: sys.plan, expiration, active: true, type: sys.type });
      } finally {
        dir.cleanup();
      }
    }
  }));

test("info: portal unreachable → the saved system id, inactive", async () => {
  const portal = await startPortal();
  const config = registeredConfig(portal, COM);
  await portal.close();
  const dir = routerRoot({ config });
  try {
    const { answer } = await call(dir, "ns.subscription", "info", {});
    assert.equal(answer, { server_id: null, systemd_id: COM.uuid, plan: "-", expiration: 0, active: false, type: "community" });
  } finally {
    dir.cleanup();
  }
});

test("send-inventory: inventory and heartbeat reach the portal; inventory-status reads the outcome", () =>
  withPortal(async (portal) => {
    const dir = routerRoot({ config: registeredConfig(portal, COM) });
    try {
      assert.equal((await call(dir, "ns.subscription", "inventory-status")).answer, { status: "not attempted" });
      assert.equal((await call(dir, "ns.subscription", "send-inventory", {}, portal.env)).answer, { status: "success" });
      assert.is(portal.stored.inventories.length, 1);
      assert.is(portal.stored.heartbeats.length, 1);
      const { answer } = await call(dir, "ns.subscription", "inventory-status");
      assert.is(answer.status, "success");
      assert.match(String(answer.last_attempt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      assert.equal(answer, JSON.parse(dir.read("/tmp/inventory-sent.json")));
    } finally {
      dir.cleanup();
    }
  }));

test("inventory-status: a damaged file reads as not attempted", async () => {
  const dir = routerRoot();
  try {
    dir.write("/tmp/inventory-sent.json", "{garbage");
    assert.equal((await call(dir, "ns.subscription", "inventory-status")).answer, { status: "not attempted" });
  } finally {
    dir.cleanup();
  }
});

test("unregister: the key is freed and the subscription settings cleared", () =>
  withPortal(async (portal) => {
    const dir = routerRoot({ config: registeredConfig(portal, ENT) });
    try {
      assert.equal((await call(dir, "ns.subscription", "unregister", {}, portal.env)).answer, { result: "success" });
      assert.equal(portal.stored.freed.map((f) => f.lk), [ENT.uuid]);
      const o = nsPlugOptions(dir);
      for (const k of ["type", "system_id", "secret", "api_url", "alerts_url", "inventory_url"]) assert.is(o[k], undefined, k);
      assert.equal((await call(dir, "ns.subscription", "info", {}, portal.env)).answer, { systemd_id: "" });
    } finally {
      dir.cleanup();
    }
  }));

test.run();
