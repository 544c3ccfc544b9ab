/**
 * send-heartbeat, send-inventory, subscription-info against the loopback
 * portal (SPEC §3.4): auth, bodies, enterprise dual-sends (best effort),
 * retries, /tmp/inventory-sent.json, unregistered → no request.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBundle } from "../helpers/bundle";
import { startPortal, DEMO_SYSTEMS } from "../servers/portal";
import { ISO_OFFSET, registeredConfig, routerRoot } from "./subscription-fixture";

const ENT = DEMO_SYSTEMS[0]!;
const COM = DEMO_SYSTEMS[1]!;

test("not registered: send-heartbeat, send-inventory exit 0 without a request; subscription-info prints {uuid: ''}", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  try {
    for (const cmd of ["send-heartbeat", "send-inventory"]) {
      const r = await runBundle([cmd], { dir, env: portal.env });
      assert.is(r.code, 0, `${cmd}: ${r.stderr}`);
      assert.is(r.stdout, "");
    }
    const info = await runBundle(["subscription-info"], { dir, env: portal.env });
    assert.is(info.code, 0);
    assert.is(info.stdout, '{"uuid":""}\n');
    assert.equal(portal.requests, []);
    assert.not.ok(dir.exists("/tmp/inventory-sent.json"));
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("community heartbeat: token auth, {lk}; no proxy call", async () => {
  const portal = await startPortal();
  const dir = routerRoot({ config: undefined });
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM));
  try {
    const r = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.requests.map((q) => `${q.method} ${q.path}`), ["POST /api/machine/heartbeats/store"]);
    assert.is(portal.requests[0]!.headers.authorization, `token ${COM.secret}`);
    assert.equal(portal.requests[0]!.json(), { lk: COM.uuid });
    assert.equal(portal.stored.heartbeats, [{ portal: "community", lk: COM.uuid }]);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("enterprise heartbeat: /isa/heartbeats/store plus /proxy/heartbeat with basic auth", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, ENT));
  try {
    const r = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.requests.map((q) => `${q.method} ${q.path}`), ["POST /isa/heartbeats/store", "POST /proxy/heartbeat"]);
    assert.is(
      portal.requests[1]!.headers.authorization,
      `Basic ${Buffer.from(`${ENT.uuid}:${ENT.secret}`).toString("base64")}`,
    );
    assert.equal(portal.stored.proxy.map((p) => p.path), ["heartbeat"]);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("enterprise: a failing /proxy/* never changes the exit status", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, ENT));
  portal.fail("proxy", 100, 500);
  try {
    const hb = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(hb.code, 0, hb.stderr);
    assert.match(hb.stderr, /warning: heartbeat to \/proxy\/heartbeat: .*HTTP 500/);
    const inv = await runBundle(["send-inventory"], { dir, env: portal.env });
    assert.is(inv.code, 0, inv.stderr);
    assert.match(inv.stderr, /warning: inventory to \/proxy\/inventory: .*HTTP 500/);
    assert.is(JSON.parse(dir.read("/tmp/inventory-sent.json")).status, "success");
    assert.is(portal.stored.heartbeats.length, 1);
    assert.is(portal.stored.inventories.length, 1);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("retries: the portal fails twice then answers → one heartbeat stored, exit 0", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM));
  portal.fail("heartbeat", 2, 503);
  try {
    const r = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.byRoute("heartbeat").map((q) => q.answered), [503, 503, 200]);
    assert.equal(portal.stored.heartbeats, [{ portal: "community", lk: COM.uuid }]);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("retries: a connection reset is retried too; three failures → exit 1 with the reason", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM));
  try {
    portal.fail("heartbeat", 1, "reset");
    const ok = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(ok.code, 0, ok.stderr);
    assert.is(portal.stored.heartbeats.length, 1);

    portal.fail("heartbeat", 3, 502);
    const bad = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /ns-plug: send-heartbeat: http:\/\/127\.0\.0\.1:\d+\/api\/machine\/heartbeats\/store answered HTTP 502\n$/);
    assert.is(portal.byRoute("heartbeat").length, 2 + 3);
    assert.is(portal.stored.heartbeats.length, 1);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("a refused heartbeat (401) is not retried: exit 1", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM, "revoked-secret"));
  try {
    const r = await runBundle(["send-heartbeat"], { dir, env: portal.env });
    assert.is(r.code, 1);
    assert.match(r.stderr, /HTTP 401/);
    assert.not.ok(r.stderr.includes("revoked-secret"));
    assert.is(portal.byRoute("heartbeat").length, 1);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("community send-inventory: {data: {lk, data}}, token auth, status file success with offset", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM));
  try {
    const r = await runBundle(["send-inventory"], { dir, env: { ...portal.env, TZ: "Europe/Rome" } });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.requests.map((q) => `${q.method} ${q.path}`), ["POST /api/machine/inventories/store/"]);
    const q = portal.requests[0]!;
    assert.is(q.headers.authorization, `token ${COM.secret}`);
    const body = q.json() as { data: { lk: string; data: Record<string, unknown> } };
    assert.equal(Object.keys(body), ["data"]);
    assert.equal(Object.keys(body.data), ["lk", "data"]);
    assert.is(body.data.lk, COM.uuid);
    assert.ok("kernel" in body.data.data && "features" in body.data.data);
    const status = JSON.parse(dir.read("/tmp/inventory-sent.json"));
    assert.equal(Object.keys(status), ["status", "last_attempt"]);
    assert.is(status.status, "success");
    assert.match(status.last_attempt, ISO_OFFSET);
    assert.match(status.last_attempt, /\+0[12]:00$/, "Europe/Rome is +01:00 or +02:00");
    assert.ok(Math.abs(Date.parse(status.last_attempt) - Date.now()) < 60_000);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("enterprise send-inventory: inventory, systems/info refresh, /proxy/inventory with the same inventory", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, ENT));
  try {
    const r = await runBundle(["send-inventory"], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.requests.map((q) => `${q.method} ${q.path}`), [
      "POST /isa/inventory/store/", "POST /api/systems/info", "POST /proxy/inventory",
    ]);
    assert.equal(portal.requests[1]!.json(), { secret: ENT.secret });
    const sent = (portal.requests[0]!.json() as { data: { data: unknown } }).data.data;
    assert.equal(portal.requests[2]!.json(), sent);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("send-inventory with the portal failing: status error, exit 1", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM));
  portal.fail("inventory", 3, 500);
  try {
    const r = await runBundle(["send-inventory"], { dir, env: portal.env });
    assert.is(r.code, 1);
    assert.match(r.stderr, /ns-plug: send-inventory: .*answered HTTP 500/);
    const status = JSON.parse(dir.read("/tmp/inventory-sent.json"));
    assert.is(status.status, "error");
    assert.match(status.last_attempt, ISO_OFFSET);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

for (const sys of [ENT, COM]) {
  test(`subscription-info ${sys.type}: the portal's answer, valid_until as sent`, async () => {
    const portal = await startPortal();
    const dir = routerRoot();
    dir.write("/etc/config/ns-plug", registeredConfig(portal, sys));
    try {
      const r = await runBundle(["subscription-info", "5"], { dir, env: portal.env });
      assert.is(r.code, 0, r.stderr);
      const info = JSON.parse(r.stdout);
      assert.is(info.uuid, sys.uuid);
      assert.is(info.id, sys.id);
      assert.is(info.subscription.valid_until, sys.validUntil);
      assert.is(info.subscription.subscription_plan.name, sys.plan);
      const q = portal.requests[0]!;
      if (sys.type === "enterprise") assert.equal([q.method, q.path, q.json()], ["POST", "/api/systems/info", { secret: sys.secret }]);
      else assert.equal([q.method, q.path, q.headers.authorization], ["GET", "/api/machine/info", `token ${sys.secret}`]);
    } finally {
      await portal.close();
      dir.cleanup();
    }
  });
}

test("subscription-info with a revoked secret: exit 1, HTTP 401 said, nothing on stdout", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM, "revoked-secret"));
  try {
    const r = await runBundle(["subscription-info"], { dir, env: portal.env });
    assert.is(r.code, 1);
    assert.is(r.stdout, "");
    assert.match(r.stderr, /subscription-info: the community portal refused the secret \(HTTP 401\)/);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test.run();
