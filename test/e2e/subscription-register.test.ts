/**
 * register / unregister, the built bundle against the loopback portal, both
 * portal types (SPEC §3.2, §3.3, §6 hooks).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBundle } from "../helpers/bundle";
import { startPortal, DEMO_SYSTEMS, type Portal, type PortalRequest } from "../servers/portal";
import { serializeUci, parseUci } from "../../src/platform/uci/codec";
import {
  DEFAULT_CONFIG, hooksRan, installHooks, ISO_OFFSET, nsPlugOptions, registeredConfig, routerRoot,
} from "./subscription-fixture";

const ENT = DEMO_SYSTEMS[0]!;
const COM = DEMO_SYSTEMS[1]!;

const order = (p: Portal) => p.requests.map((r) => (r.route === "proxy" ? `proxy/${r.proxyPath}` : r.route));

for (const sys of [ENT, COM]) {
  test(`register ${sys.type}: UCI keys, inventory then heartbeat, hooks in order, event`, async () => {
    const portal = await startPortal();
    const dir = routerRoot();
    installHooks(dir, "register");
    try {
      const r = await runBundle(["register", sys.type, sys.secret], { dir, env: portal.env });
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout, "");

      const base = portal.url;
      const expected =
        sys.type === "enterprise"
          ? { api: `${base}/api/`, alerts: `${base}/isa/`, inv: `${base}/isa/inventory/store/` }
          : { api: `${base}/api/`, alerts: `${base}/api/machine/`, inv: `${base}/api/machine/inventories/store/` };
      assert.equal(nsPlugOptions(dir), {
        tls_verify: "1",
        backup_url: "https://backupd.nethesis.it",
        repository_url: `https://${sys.uuid}:${sys.secret}@distfeed.nethesis.it/repository/${sys.type}/nethsecurity`,
        alert_proxy_loglevel: "warning",
        type: sys.type,
        system_id: sys.uuid,
        secret: sys.secret,
        api_url: expected.api,
        alerts_url: expected.alerts,
        inventory_url: expected.inv,
      });
      const file = dir.read("/etc/config/ns-plug");
      assert.is(file, serializeUci(parseUci(file)), "written in libuci's canonical form");

      // Lookup, then inventory (with the enterprise extras), then heartbeat.
      if (sys.type === "enterprise") {
        assert.equal(order(portal), [
          "enterprise-info", "inventory", "enterprise-info", "proxy/inventory", "heartbeat", "proxy/heartbeat",
        ]);
      } else {
        assert.equal(order(portal), ["community-info", "inventory", "heartbeat"]);
      }
      const lookup = portal.requests[0]!;
      if (sys.type === "enterprise") {
        assert.is(lookup.method, "POST");
        assert.equal(lookup.json(), { secret: sys.secret });
      } else {
        assert.is(lookup.method, "GET");
        assert.is(lookup.headers.authorization, `token ${sys.secret}`);
      }
      const inv = portal.byRoute("inventory")[0]!;
      const hb = portal.byRoute("heartbeat")[0]!;
      for (const q of [inv, hb]) {
        assert.is(q.headers.authorization, `token ${sys.secret}`);
        assert.match(String(q.headers["content-type"]), /^application\/json/);
      }
      assert.equal(hb.json(), { lk: sys.uuid });
      const invBody = inv.json() as { data: { lk: string; data: Record<string, unknown> } };
      assert.is(invBody.data.lk, sys.uuid);
      assert.ok("arp_macs" in invBody.data.data && "features" in invBody.data.data);
      assert.equal(portal.stored.heartbeats, [{ portal: sys.type, lk: sys.uuid }]);
      assert.is(portal.stored.inventories.length, 1);
      if (sys.type === "enterprise") {
        const basic = `Basic ${Buffer.from(`${sys.uuid}:${sys.secret}`).toString("base64")}`;
        for (const p of portal.byRoute("proxy")) assert.is(p.headers.authorization, basic);
        assert.equal(portal.stored.proxy.map((p) => p.path), ["inventory", "heartbeat"]);
      }

      const status = JSON.parse(dir.read("/tmp/inventory-sent.json"));
      assert.is(status.status, "success");
      assert.match(status.last_attempt, ISO_OFFSET);

      // Hooks: byte order, the failing one logged, the unsafe ones skipped with a warning.
      assert.equal(hooksRan(dir, "register"), ["10-first", "20-fails", "40-last"]);
      assert.match(r.stderr, /warning: hook \S+30-world-writable skipped: world-writable/);
      assert.match(r.stderr, /warning: hook \S+35-not-root skipped: owned by uid 4242, not root/);
      assert.match(r.stderr, /error: hook \S+20-fails exited 7: hook broke/);

      assert.ok(dir.calls().includes("reload_config"), dir.calls().join("\n"));
      assert.is(dir.read("/tmp/hotplug.log"), `ns-plug ACTION=subscription-changed TYPE=${sys.type}\n`);
      assert.not.ok(r.stderr.includes(sys.secret), "the secret is never logged");
    } finally {
      await portal.close();
      dir.cleanup();
    }
  });

  test(`register ${sys.type} with a refused secret: exit 1, says so, never the secret, UCI untouched`, async () => {
    const portal = await startPortal();
    const dir = routerRoot();
    installHooks(dir, "register");
    try {
      const bad = "wrong-secret-XYZ";
      const r = await runBundle(["register", sys.type, bad], { dir, env: portal.env });
      assert.is(r.code, 1);
      assert.match(r.stderr, new RegExp(`^ns-plug: register: the ${sys.type} portal refused the secret \\(HTTP 401\\)\\n$`));
      assert.not.ok(r.stderr.includes(bad));
      assert.is(dir.read("/etc/config/ns-plug"), DEFAULT_CONFIG);
      assert.equal(order(portal), [`${sys.type}-info`]);
      assert.equal(dir.calls(), []);
      assert.equal(hooksRan(dir, "register"), []);
      assert.not.ok(dir.exists("/tmp/inventory-sent.json"));
    } finally {
      await portal.close();
      dir.cleanup();
    }
  });
}

test("register: a 200 answer with uuid null or missing is a refused secret too", async () => {
  const portal = await startPortal({ systems: [{ ...ENT, uuid: null as unknown as string }] });
  const dir = routerRoot();
  try {
    const r = await runBundle(["register", "enterprise", ENT.secret], { dir, env: portal.env });
    assert.is(r.code, 1);
    assert.match(r.stderr, /register: the enterprise portal refused the secret \(no system found for it\)/);
    assert.is(dir.read("/etc/config/ns-plug"), DEFAULT_CONFIG);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("register with the portal down: clear error, exit 1, UCI untouched", async () => {
  const portal = await startPortal();
  const url = portal.url;
  await portal.close();
  const dir = routerRoot();
  try {
    const env = { NS_PLUG_ENTERPRISE_PORTAL: url, NS_PLUG_COMMUNITY_PORTAL: url };
    const r = await runBundle(["register", "community", COM.secret, "5"], { dir, env });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^ns-plug: register: community portal http:\/\/127\.0\.0\.1:\d+\/api\/machine\/info: connection refused\n$/);
    assert.is(dir.read("/etc/config/ns-plug"), DEFAULT_CONFIG);
    assert.equal(dir.calls(), []);
  } finally {
    dir.cleanup();
  }
});

test("register: usage errors exit 1 like the original; --help exits 0", async () => {
  const dir = routerRoot();
  try {
    for (const args of [[], ["enterprise"], ["business", "s3cret"], ["community", "s3cret", "soon"], ["community", ""]]) {
      const r = await runBundle(["register", ...args], { dir });
      assert.is(r.code, 1, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, /^ns-plug: register: /);
      assert.not.ok(r.stderr.includes("s3cret"));
    }
    const h = await runBundle(["register", "--help"], { dir });
    assert.is(h.code, 0);
    assert.match(h.stdout, /NS_PLUG_ENTERPRISE_PORTAL/);
    assert.is(dir.read("/etc/config/ns-plug"), DEFAULT_CONFIG);
  } finally {
    dir.cleanup();
  }
});

test("register: heartbeat refused after a good lookup → registered, exit 1 with the heartbeat's reason", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  try {
    portal.fail("heartbeat", 10, 400);
    const r = await runBundle(["register", "community", COM.secret], { dir, env: portal.env });
    assert.is(r.code, 1);
    assert.match(r.stderr, /ns-plug: register: registered as aaaaaaaa-\S+, but the heartbeat failed: .*HTTP 400/);
    assert.is(nsPlugOptions(dir).system_id, COM.uuid);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

for (const sys of [ENT, COM]) {
  test(`unregister ${sys.type}: freekey, keys cleared, repository_url reset from /etc/repo-channel, hooks, event`, async () => {
    const portal = await startPortal();
    const dir = routerRoot({ channel: "dev" });
    dir.write("/etc/config/ns-plug", registeredConfig(portal, sys));
    installHooks(dir, "unregister");
    try {
      const r = await runBundle(["unregister"], { dir, env: portal.env });
      assert.is(r.code, 0, r.stderr);
      const fk = portal.byRoute("freekey");
      assert.is(fk.length, 1);
      assert.equal(fk[0]!.json(), { lk: sys.uuid, secret: sys.secret });
      assert.equal(portal.stored.freed, [{ portal: sys.type, lk: sys.uuid }]);
      assert.equal(nsPlugOptions(dir), {
        tls_verify: "1",
        backup_url: "https://backupd.nethesis.it",
        repository_url: "https://updates.nethsecurity.nethserver.org/dev",
        alert_proxy_loglevel: "warning",
      });
      assert.ok(dir.calls().includes("reload_config"));
      assert.equal(hooksRan(dir, "unregister"), ["10-first", "20-fails", "40-last"]);
      assert.match(r.stderr, /30-world-writable skipped: world-writable/);
      assert.is(dir.read("/tmp/hotplug.log"), "ns-plug ACTION=subscription-changed TYPE=\n");
    } finally {
      await portal.close();
      dir.cleanup();
    }
  });
}

test("unregister with the portal down: logged, keys still cleared, exit 0", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, COM));
  await portal.close();
  try {
    const r = await runBundle(["unregister"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: unregister: freekey: .*connection refused/);
    assert.is(nsPlugOptions(dir).system_id, undefined);
    assert.is(nsPlugOptions(dir).repository_url, "https://updates.nethsecurity.nethserver.org/stable");
  } finally {
    dir.cleanup();
  }
});

test("unregister when not registered: exit 0, no request, no hooks, file untouched", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  installHooks(dir, "unregister");
  try {
    const r = await runBundle(["unregister"], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.equal(portal.requests as PortalRequest[], []);
    assert.equal(hooksRan(dir, "unregister"), []);
    assert.is(dir.read("/etc/config/ns-plug"), DEFAULT_CONFIG);
    assert.equal(dir.calls(), []);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test.run();
