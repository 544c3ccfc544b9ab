/**
 * send-heartbeat, send-inventory, subscription-info against the loopback
 * portal (SPEC §3.4): auth, bodies, enterprise dual-sends (best effort),
 * retries, /tmp/inventory-sent.json, unregistered → no request.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBundle } from "../helpers/bundle";
import { startPortal, DEMO_SYSTEMS } from "../servers/portal";
import { checkFacts202212 } from "./facts-schema";
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
    assert.match(bad.stderr, /ns-plug: send-heartbeat: portal http:\/\/127\.0\.0\.1:\d+\/api\/machine\/heartbeats\/store answered HTTP 502\n$/);
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

test("enterprise send-inventory: NS7 inventory to the portal, systems/info refresh, phonehome facts to /proxy/inventory", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, ENT));
  dir.write("/etc/os-release", 'NAME="NethSecurity"\nVERSION="8-24.10.0-ns.1.5.1"\nVERSION_ID="8-24.10.0-ns.1.5.1"\n');
  dir.write("/etc/config/banip", "config banip 'global'\n\toption ban_enabled '1'\n\tlist ban_feed 'nethesislvl3v4'\n");
  // ns-phonehome's default config, as installed on a unit
  dir.write("/etc/config/phonehome", "config main 'config'\n\toption enabled '1'\n\toption url 'https://phonehome.nethserver.org/api/installation'\n");
  try {
    const r = await runBundle(["send-inventory"], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.requests.map((q) => `${q.method} ${q.path}`), [
      "POST /isa/inventory/store/", "POST /api/systems/info", "POST /proxy/inventory",
    ]);
    assert.equal(portal.requests[1]!.json(), { secret: ENT.secret });
    const sent = (portal.requests[0]!.json() as { data: { data: Record<string, any> } }).data.data;
    assert.ok("esmithdb" in sent && "kernel" in sent, "the portal still gets the NS7 inventory");
    assert.equal(sent.features.threat_shield, { enabled: true, community: 0, enterprise: 1 });

    const proxy = portal.requests[2]!;
    assert.is(proxy.headers.authorization, `Basic ${Buffer.from(`${ENT.uuid}:${ENT.secret}`).toString("base64")}`);
    const doc = proxy.json() as Record<string, any>;
    assert.equal(checkFacts202212(doc), [], "passes the facts/2022-12 schema");
    assert.is(doc.$schema, "https://schema.nethserver.org/facts/2022-12.json");
    assert.is(doc.installation, "nethsecurity");
    assert.equal(doc.facts.distro, { name: "NethSecurity", version: "8-24.10.0-ns.1.5.1" });
    assert.is(doc.facts.version, "1.5.1");
    assert.equal(doc.facts.features, sent.features, "the same features as the portal's inventory");
    assert.ok(!("esmithdb" in doc.facts) && !("dmi" in doc.facts), "not the NS7 inventory");
    // the installation id is kept where the original keeps it, and reused next time
    assert.match(dir.read("/etc/config/phonehome"), new RegExp(`option uuid '${doc.uuid}'`));
    const again = await runBundle(["send-inventory"], { dir, env: portal.env });
    assert.is(again.code, 0, again.stderr);
    assert.is((portal.requests[5]!.json() as { uuid: string }).uuid, doc.uuid);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("enterprise send-inventory without ns-phonehome installed: a stable installation id, no config file made", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, ENT));
  try {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await runBundle(["send-inventory"], { dir, env: portal.env });
      assert.is(r.code, 0, r.stderr);
      const doc = portal.requests.filter((q) => q.path === "/proxy/inventory")[i]!.json() as { uuid: string };
      assert.equal(checkFacts202212(doc), []);
      ids.push(doc.uuid);
    }
    assert.is(ids[0], ids[1]);
    assert.not.ok(dir.exists("/etc/config/phonehome"));
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("the schema check refuses what the 2022-12 schema refuses", () => {
  const good = {
    $schema: "https://schema.nethserver.org/facts/2022-12.json",
    uuid: "0b8e3e0c-2b7c-4f4e-9d4f-3c1f7a9f2e11",
    installation: "nethsecurity",
    facts: { version: "1.5.1", distro: { name: "NethSecurity", version: "8-24.10.0-ns.1.5.1" } },
  };
  assert.equal(checkFacts202212(good), []);
  assert.ok(checkFacts202212({ ...good, extra: 1 }).length, "unevaluated top-level property");
  assert.ok(checkFacts202212({ ...good, uuid: "fw1" }).length, "uuid format");
  assert.ok(checkFacts202212({ ...good, installation: "ns8" }).length, "installation enum");
  assert.ok(checkFacts202212({ ...good, facts: { distro: good.facts.distro, version: "ns.1.5" } }).length, "version pattern");
  assert.ok(checkFacts202212({ ...good, facts: { version: "1.5" } }).length, "distro required");
  const { uuid: _u, ...noUuid } = good;
  assert.ok(checkFacts202212(noUuid).length, "uuid required");
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
