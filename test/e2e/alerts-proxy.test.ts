/**
 * The built bundle as ns-plug-alert-proxy against a loopback portal sink:
 * what reaches the portal (header, body, path), what does not (unmapped,
 * unregistered), registration picked up without a restart, a portal outage,
 * answering before forwarding, and the signals procd sends.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import {
  FIRING, RESOLVED, postWebhook, registeredConfig, startAlertSink, startProxy, webhook,
  type AlertSink, type RunningProxy,
} from "../servers/alerts-sink";

const SECRET = "s3cr3t-token-value";
const CONFIG = "/etc/config/ns-plug";
/** The shipped HA rules, as on the router: their HaPrimaryRecovered rule turns the HA override on. */
const HA_RULES = { "/etc/vmalert/rules/ha.yaml": readFileSync(join(REPO, "files/etc/vmalert/rules/ha.yaml"), "utf8") };

async function withProxy(
  config: (sink: AlertSink) => string | undefined,
  fn: (ctx: { sink: AlertSink; proxy: RunningProxy; dir: TestDir }) => Promise<void>,
  rules: Record<string, string> = HA_RULES,
): Promise<void> {
  const sink = await startAlertSink();
  const text = config(sink);
  const dir = testdir(text === undefined ? { ...rules } : { ...rules, [CONFIG]: text });
  const proxy = await startProxy(dir);
  try {
    await fn({ sink, proxy, dir });
  } finally {
    await proxy.stop("SIGKILL");
    await sink.close();
    dir.cleanup();
  }
}

test("mapped alerts reach POST <alerts_url>alerts/store with the token header and the legacy body", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    const r = await postWebhook(proxy.url, webhook([
      ["WanDown", { interface: "wan" }, FIRING],
      ["DiskSpaceCritical", { path: "/" }, RESOLVED],
    ]));
    assert.is(r.status, 200);
    await sink.until((a) => a.length === 2);
    const reqs = sink.requests.filter((q) => q.method === "POST");
    assert.is(reqs.length, 2);
    for (const q of reqs) {
      assert.is(q.path, "/isa/alerts/store");
      assert.is(q.headers.authorization, `token ${SECRET}`);
      assert.match(String(q.headers["content-type"]), /^application\/json/);
    }
    const bodies = reqs.map((q) => q.json()).sort((x: any, y: any) => x.alert_id.localeCompare(y.alert_id));
    assert.equal(bodies, [
      { lk: "SYS-0001", alert_id: "df:root:percent_bytes:free", status: "OK" },
      { lk: "SYS-0001", alert_id: "wan:wan:down", status: "FAILURE" },
    ]);
    assert.not.ok(proxy.stderr().includes(SECRET), "the secret never reaches the log");
  });
});

test("vmalert's bare array on /api/v2/alerts is forwarded; the HA override applies", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    const body = [
      { labels: { alertname: "HaPrimaryRecovered" }, startsAt: "2020-01-01T00:00:00Z", endsAt: "2999-01-01T00:00:00Z" },
    ];
    assert.is((await postWebhook(proxy.url, body, "/api/v2/alerts")).status, 200);
    await sink.until((a) => a.length === 1);
    assert.equal(sink.accepted.map((a) => `${a.alert_id} ${a.status}`), ["ha:primary:failed OK"]);
  });
});

test("unmapped alerts and HA resolutions never reach the portal (a HaPrimaryRecovered rule is installed)", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    const r = await postWebhook(proxy.url, webhook([
      ["NodeExporterDown", {}, FIRING],
      ["DiskSpaceCritical", { path: "/tmp" }, FIRING],
      ["HaPrimaryFailed", {}, RESOLVED],
      ["HaPrimaryRecovered", {}, RESOLVED],
    ]));
    assert.is(r.status, 200);
    // A mapped sentinel posted afterwards: once it is in, the earlier webhook was fully handled.
    await postWebhook(proxy.url, webhook([["StorageStatus", {}, FIRING]]));
    await sink.until((a) => a.length >= 1);
    assert.equal(sink.requests.map((q) => q.json()), [{ lk: "SYS-0001", alert_id: "storage:status", status: "FAILURE" }]);
  });
});

test("no HaPrimaryRecovered rule installed: HaPrimaryFailed's resolution sends OK; WanDown without interface → wan:unknown:down", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    await postWebhook(proxy.url, webhook([["HaPrimaryFailed", {}, FIRING], ["WanDown", {}, FIRING]]));
    await sink.until((a) => a.length >= 2);
    await postWebhook(proxy.url, webhook([["HaPrimaryFailed", {}, RESOLVED]]));
    await sink.until((a) => a.length >= 3);
    const got = sink.requests.map((q) => q.json() as { alert_id: string; status: string }).map((b) => `${b.alert_id} ${b.status}`);
    assert.equal(got.slice(0, 2).sort(), ["ha:primary:failed FAILURE", "wan:unknown:down FAILURE"]);
    assert.is(got[2], "ha:primary:failed OK");
  }, {});
});

test("unregistered: accepted and dropped; registering later (a UCI file change) starts forwarding without a restart", async () => {
  await withProxy(() => "\nconfig main 'config'\n\toption alert_proxy_loglevel 'debug'\n", async ({ sink, proxy, dir }) => {
    const r = await postWebhook(proxy.url, webhook([["WanDown", { interface: "wan" }, FIRING]]));
    assert.is(r.status, 200);
    await proxy.logged(/not registered: 1 alert\(s\) dropped/);
    dir.write(CONFIG, registeredConfig(sink.alertsUrl, { alert_proxy_loglevel: "debug" }));
    await postWebhook(proxy.url, webhook([["WanDown", { interface: "wan2" }, FIRING]]));
    await sink.until((a) => a.length >= 1);
    assert.equal(sink.requests.map((q) => (q.json() as { alert_id: string }).alert_id), ["wan:wan2:down"]);
    // And back: unregister by editing the file, nothing more is forwarded.
    dir.write(CONFIG, "\nconfig main 'config'\n\toption alert_proxy_loglevel 'debug'\n");
    await postWebhook(proxy.url, webhook([["WanDown", { interface: "wan3" }, FIRING]]));
    await proxy.logged(/not registered: 1 alert\(s\) dropped[^]*not registered: 1 alert\(s\) dropped/);
    assert.is(sink.requests.length, 1);
    assert.is(proxy.child.exitCode, null, "same process all along");
  });
});

test("portal down for a while, then up: every alert id ends in its latest status, none older after newer", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    sink.mode = "down";
    const ids: Array<[string, Record<string, string>, string]> = [
      ["WanDown", { interface: "wan" }, "wan:wan:down"],
      ["WanDown", { interface: "lte" }, "wan:lte:down"],
      ["DiskSpaceCritical", { path: "/" }, "df:root:percent_bytes:free"],
      ["StorageStatus", {}, "storage:status"],
    ];
    // Each id flips several times while the portal is down; the last posted status is the truth.
    const rounds = [FIRING, RESOLVED, FIRING, RESOLVED, FIRING];
    const latest = new Map<string, string>();
    for (let round = 0; round < rounds.length; round++) {
      for (const [i, [name, labels, id]] of ids.entries()) {
        const endsAt = rounds[(round + i) % rounds.length]!;
        assert.is((await postWebhook(proxy.url, webhook([[name, labels, endsAt]]))).status, 200, "answered while the portal is down");
        latest.set(id, endsAt === FIRING ? "FAILURE" : "OK");
      }
      if (round === 0) {
        // Let every id fail once, so the later statuses land on pending retries.
        const t0 = Date.now();
        while (new Set(sink.requests.map((q) => (q.json() as { alert_id: string }).alert_id)).size < ids.length) {
          if (Date.now() - t0 > 15_000) throw new Error("the proxy did not try the portal");
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    assert.is(sink.accepted.length, 0);
    sink.mode = "up";
    const done = (a: typeof sink.accepted) => [...latest].every(([id, s]) => a.some((x) => x.alert_id === id && x.status === s));
    await sink.until(done, 60_000);
    // SIGTERM delivers whatever might still be pending, so the portal's list is final once the proxy exited.
    assert.equal(await proxy.stop("SIGTERM"), { code: 0, signal: null });
    for (const [id, status] of latest) {
      const got = sink.accepted.filter((a) => a.alert_id === id).map((a) => a.status);
      assert.equal(got, [status], `${id}: portal received ${got.join(", ")}; latest is ${status}`);
    }
    assert.match(proxy.stderr(), /not delivered \(try 1\/6\)/);
  });
});

test("the webhook is answered before forwarding: with a portal that holds its answer, each webhook is answered in well under a delivery attempt", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    sink.mode = "hang"; // the portal delays its answer until release()
    const timed = async (body: unknown) => {
      const t0 = Date.now();
      const r = await postWebhook(proxy.url, body);
      return { status: r.status, ms: Date.now() - t0, at: Date.now() };
    };
    const first = await timed(webhook([["WanDown", { interface: "wan" }, FIRING]]));
    assert.is(first.status, 200);
    await sink.server.waitFor((q) => q.method === "POST");
    // The portal holds that request; more webhooks are still answered, other ids still go out.
    const second = await timed(webhook([["StorageStatus", {}, FIRING]]));
    assert.is(second.status, 200);
    await sink.server.waitFor((q) => (q.json() as { alert_id: string }).alert_id === "storage:status");
    assert.is(sink.accepted.length, 0, "nothing answered by the portal yet: both webhook answers came first");
    // Latency bound: a proxy that waited for the portal would take a whole attempt (15 s) or hang;
    // 5 s leaves room for a loaded machine and is still a third of that.
    for (const [name, t] of [["first", first], ["second", second]] as const) {
      assert.ok(t.ms < 5_000, `${name} webhook answered after ${t.ms} ms`);
    }
    sink.mode = "up";
    sink.release();
    await sink.until((a) => a.length === 2);
    for (const a of sink.accepted) assert.ok(a.at >= second.at, "the portal answered after the webhooks were answered");
  });
});

test("SIGTERM: stops accepting, delivers what is pending at once (no backoff wait), exits 0", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    sink.mode = "down";
    await postWebhook(proxy.url, webhook([["BackupEncryptionDisabled", {}, FIRING]]));
    await sink.server.waitFor((q) => q.method === "POST");
    sink.mode = "up"; // the next try is seconds away; SIGTERM must not wait for it
    const exit = await proxy.stop("SIGTERM");
    assert.equal(exit, { code: 0, signal: null });
    assert.equal(sink.accepted.map((a) => a.alert_id), ["backup:config:notencrypted"]);
    const refused = await fetch(proxy.url).then(() => "answered", () => "refused");
    assert.is(refused, "refused");
  });
});

test("SIGTERM with a portal that never answers: gives up after the grace period, logs the loss, exits 0", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy }) => {
    sink.mode = "hang";
    await postWebhook(proxy.url, webhook([["HaSyncFailed", {}, FIRING]]));
    await sink.server.waitFor((q) => q.method === "POST");
    assert.equal(await proxy.stop("SIGTERM"), { code: 0, signal: null });
    assert.match(proxy.stderr(), /alert ha:sync:failed FAILURE dropped: not delivered before shutdown/);
  });
});

test("SIGHUP (procd reload) does not stop the proxy; log level follows alert_proxy_loglevel", async () => {
  await withProxy((s) => registeredConfig(s.alertsUrl), async ({ sink, proxy, dir }) => {
    await postWebhook(proxy.url, webhook([["StorageStatus", {}, FIRING]]));
    await sink.until((a) => a.length === 1);
    assert.not.match(proxy.stderr(), /delivered/, "default level 'warning' hides info lines");
    dir.write(CONFIG, registeredConfig(sink.alertsUrl, { alert_proxy_loglevel: "info" }));
    proxy.child.kill("SIGHUP");
    assert.is((await fetch(proxy.url)).status, 200);
    await postWebhook(proxy.url, webhook([["StorageStatus", {}, RESOLVED]]));
    await proxy.logged(/alert storage:status OK delivered/);
    assert.is(proxy.child.exitCode, null);
  });
});

test("--listen: a bad value is a usage error (exit 2); a taken port exits 1 with a clear message", async () => {
  const dir = testdir();
  try {
    const { runBundle } = await import("../helpers/bundle");
    const bad = await runBundle(["--listen", "localhost"], { dir, as: "ns-plug-alert-proxy" });
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--listen: expected host:port/);
    const first = await startProxy(dir);
    try {
      const taken = await runBundle(["--listen", `127.0.0.1:${first.port}`], { dir, as: "ns-plug-alert-proxy" });
      assert.is(taken.code, 1);
      assert.match(taken.stderr, /^ns-plug: listen on 127\.0\.0\.1:\d+: address already in use\n$/);
    } finally {
      await first.stop();
    }
  } finally {
    dir.cleanup();
  }
});

test.run();
