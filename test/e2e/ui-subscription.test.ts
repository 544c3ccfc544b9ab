// The web UI's Subscription page (SubscriptionView.vue, UnitSubscription.vue,
// CancelSubscriptionModal.vue; the subscription store, RestoreContent, FlashStart)
// through the ns-api-server stand-in, against the loopback portal (SPEC §7).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, rmSync } from "node:fs";
import { startPortal } from "../servers/portal";
import { ubusCall } from "../servers/ns-api-server";
import { COM, ENT, registeredConfig, routerRoot, withPortal } from "./subscription-fixture";
import { uiData, uiError } from "./ui-fixture";

/** "within a few seconds" (SPEC §7), bounded generously: the machine is shared. */
const FEW_SECONDS_MS = 20_000;

test("register: a good secret → 200; a bad one → invalid_secret_or_server_not_found (the UI's own message)", () =>
  withPortal(async (portal) => {
    const dir = routerRoot();
    try {
      const bad = await ubusCall("ns.subscription", "register", { secret: "not-a-known-secret" }, { dir, env: portal.env });
      uiError(bad, "invalid_secret_or_server_not_found");
      assert.not.match(bad.output, "not-a-known-secret");
      uiData(await ubusCall("ns.subscription", "register", { secret: ENT.secret }, { dir, env: portal.env }));
      const info = uiData(await ubusCall("ns.subscription", "info", {}, { dir, env: portal.env }));
      assert.equal(info, { server_id: ENT.id, systemd_id: ENT.uuid, plan: ENT.plan, expiration: Date.UTC(2030, 0, 2, 3, 4, 5), active: true, type: "enterprise" });
    } finally {
      dir.cleanup();
    }
  }));

test("register: portal down → invalid_secret_or_server_not_found", async () => {
  const dir = routerRoot();
  try {
    const env = { NS_PLUG_ENTERPRISE_PORTAL: "http://127.0.0.1:9", NS_PLUG_COMMUNITY_PORTAL: "http://127.0.0.1:9" };
    uiError(await ubusCall("ns.subscription", "register", { secret: "x-secret" }, { dir, env }), "invalid_secret_or_server_not_found");
  } finally {
    dir.cleanup();
  }
});

test("info: unregistered → systemd_id '' (SubscriptionView reads it to show the form)", () =>
  withPortal(async (portal) => {
    const dir = routerRoot();
    try {
      assert.equal(uiData(await ubusCall("ns.subscription", "info", {}, { dir, env: portal.env })), { systemd_id: "" });
    } finally {
      dir.cleanup();
    }
  }));

const offline = { server_id: null, systemd_id: COM.uuid, plan: "-", expiration: 0, active: false, type: "community" };

test("info: portal down → the offline summary, HTTP 200, within a few seconds", async () => {
  const portal = await startPortal();
  const config = registeredConfig(portal, COM);
  await portal.close();
  const dir = routerRoot({ config });
  try {
    const r = await ubusCall("ns.subscription", "info", {}, { dir });
    assert.equal(uiData(r), offline);
    assert.ok(r.ms < FEW_SECONDS_MS, `answered after ${r.ms} ms`);
    assert.match(dir.syslog().join("\n"), "subscription info"); // the reason is in syslog, not in the answer
  } finally {
    dir.cleanup();
  }
});

test("info: portal SLOW (accepts, never answers) → the offline summary within a few seconds", () =>
  withPortal(async (portal) => {
    const dir = routerRoot({ config: registeredConfig(portal, COM) });
    try {
      portal.fail("community-info", 100, "hang");
      const r = await ubusCall("ns.subscription", "info", {}, { dir, env: portal.env });
      assert.equal(uiData(r), offline);
      assert.ok(r.ms < FEW_SECONDS_MS, `answered after ${r.ms} ms`);
      assert.ok(portal.byRoute("community-info").length >= 1, "the portal was asked");
    } finally {
      dir.cleanup();
    }
  }));

test("inventory-status / send-inventory: {status, last_attempt}; {status: success}", () =>
  withPortal(async (portal) => {
    const dir = routerRoot({ config: registeredConfig(portal, COM) });
    try {
      assert.equal(uiData(await ubusCall("ns.subscription", "inventory-status", {}, { dir })), { status: "not attempted" });
      assert.equal(uiData(await ubusCall("ns.subscription", "send-inventory", {}, { dir, env: portal.env })), { status: "success" });
      const st = uiData(await ubusCall("ns.subscription", "inventory-status", {}, { dir }));
      assert.is(st.status, "success");
      assert.ok(!Number.isNaN(Date.parse(String(st.last_attempt))), String(st.last_attempt));
      assert.is(portal.stored.inventories.length, 1);
    } finally {
      dir.cleanup();
    }
  }));

test("unregister: success → 200; a failure → unregister_failure", () =>
  withPortal(async (portal) => {
    const dir = routerRoot({ config: registeredConfig(portal, ENT) });
    try {
      assert.equal(uiData(await ubusCall("ns.subscription", "unregister", {}, { dir, env: portal.env })), { result: "success" });
      assert.equal(portal.stored.freed.map((f) => f.lk), [ENT.uuid]);
      assert.equal(uiData(await ubusCall("ns.subscription", "info", {}, { dir, env: portal.env })), { systemd_id: "" });
    } finally {
      dir.cleanup();
    }
    const broken = routerRoot({ config: registeredConfig(portal, ENT) });
    try {
      // A config that cannot be read any more (a directory in its place): the unit cannot unregister.
      rmSync(broken.path("/etc/config/ns-plug"));
      mkdirSync(broken.path("/etc/config/ns-plug"));
      uiError(await ubusCall("ns.subscription", "unregister", {}, { dir: broken, env: portal.env }), "unregister_failure");
    } finally {
      broken.cleanup();
    }
  }));

test.run();
