/**
 * The registration loop's pacing and decisions, in-process against the
 * loopback controller, with a clock that records the waits instead of
 * sleeping: dozens of 10 s polls take milliseconds. (The same flows run
 * for real, with real waits, in test/e2e/controller-connect.test.ts.)
 */
import { test } from "uvu";
import { rmSync } from "node:fs";
import * as assert from "uvu/assert";
import { connectController } from "../../src/controller/connect";
import { startController, type Controller } from "../servers/controller";
import { sendJson, startServer } from "../helpers/servers";
import { testdir, type TestDir } from "../helpers/testdir";
import { exitCode, makeCtx, nsPlugConfig } from "./controller-helpers";

let ctl: Controller;
test.before(async () => {
  ctl = await startController({ tls: false });
});
test.after(() => ctl.close());

function unitRoot(server: string, unitId: string, token = ctl.token, marker = true): TestDir {
  return testdir({
    "/etc/config/ns-plug": nsPlugConfig({ server, unit_id: unitId, token }),
    ...(marker ? { "/var/run/ns-plug.booted": "" } : {}),
  });
}

test("403 polls forever with ~10 s jittered waits; the controller's message is logged only when it changes", async () => {
  const dir = unitRoot(ctl.url, "unit-pending");
  // Spread of random values: the waits must follow them and average 10 s.
  const t = makeCtx(dir, { randoms: [0, 0.25, 0.5, 0.75, 0.999] });
  let n = 0;
  ctl.override((req) => {
    n++;
    if (n <= 4) return { status: 403, body: { code: 403, message: "unit added to waiting list" } };
    if (n <= 8) return { status: 401, body: { code: 403, message: "unit subscription is required" } };
    if (n === 9) return { status: 200, body: { code: 403, message: "unit added to waiting list" } };
    void req;
    return undefined; // from the 10th request on: the real handler (still waiting → approve below)
  });
  const done = connectController(t.ctx);
  await ctl.waitFor(() => n >= 10, 10_000);
  await ctl.approve("unit-pending");
  ctl.override(undefined);
  assert.is(await exitCode(done), 0);
  await t.close();
  const polls = t.sleeps.length;
  assert.ok(polls >= 10, String(polls));
  for (const ms of t.sleeps) assert.ok(ms >= 5000 && ms < 15_000, String(ms));
  const first5 = t.sleeps.slice(0, 5);
  assert.equal(first5, [5000, 7500, 10_000, 12_500, 14_990]);
  const waits = t.logs.filter((l) => l.includes("has not approved this unit yet"));
  assert.equal(
    waits.map((l) => l.replace(/.*yet: /, "").trim()),
    ["unit added to waiting list", "unit subscription is required", "unit added to waiting list"],
  );
  assert.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  dir.cleanup();
});

test("5 failures in a row → exit 5 after four ~2 s waits; a 403 in between resets the count", async () => {
  let n = 0;
  const srv = await startServer((_req, res) => {
    n++;
    if (n === 4) return sendJson(res, 200, { code: 403, message: "waiting" });
    sendJson(res, 500, { code: 500, message: "boom" });
  });
  const dir = unitRoot(srv.url, "unit-fail", "tok-fail");
  const t = makeCtx(dir);
  assert.is(await exitCode(connectController(t.ctx)), 5);
  await t.close();
  await srv.close();
  // 3 failures, one 403 (10 s), then 5 failures: 8 failure waits of 2 s, the 5th failure ends without waiting.
  assert.is(n, 9);
  assert.equal(t.sleeps, [2000, 2000, 2000, 10_000, 2000, 2000, 2000, 2000]);
  assert.ok(t.logs.some((l) => /attempt 5\/5 failed: code 500 \(boom\)/.test(l)), t.logs.join(""));
  assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  dir.cleanup();
});

test("no answer at all (connection refused) counts as a failure too", async () => {
  const srv = await startServer(() => {});
  const url = srv.url;
  await srv.close();
  const dir = unitRoot(url, "unit-refused", "tok");
  const t = makeCtx(dir, { randoms: [0, 0.999] });
  assert.is(await exitCode(connectController(t.ctx)), 5);
  await t.close();
  assert.equal(t.sleeps, [1000, 2998, 1000, 2998]);
  assert.ok(t.logs.some((l) => /connection refused/.test(l)));
  dir.cleanup();
});

test("first start after boot: random 0–10 s delay and the marker; with the marker: no delay", async () => {
  const dir = unitRoot(ctl.url, "unit-boot", ctl.token, false);
  await ctl.approve("unit-boot");
  const t = makeCtx(dir, { randoms: [0.42] });
  assert.is(await exitCode(connectController(t.ctx)), 0);
  assert.equal(t.sleeps, [4200]);
  assert.ok(dir.exists("/var/run/ns-plug.booted"));
  assert.ok(t.logs.some((l) => /first start since boot: waiting 4\.2 s/.test(l)));
  // As after `/etc/init.d/ns-plug restart` (its stop forgets the backoff count: controller-backoff tests).
  rmSync(dir.path("/var/run/ns-plug.backoff"));
  const again = makeCtx(dir, { randoms: [0.42] });
  assert.is(await exitCode(connectController(again.ctx)), 0);
  assert.equal(again.sleeps, []);
  await t.close();
  await again.close();
  dir.cleanup();
});

test("409 → exit 4, rpcd.controller deleted, the rest of /etc/config/rpcd kept", async () => {
  const c = await startController({ tls: false, registered: { "unit-dup": "someone-else" }, pki: ctl.pki });
  const dir = unitRoot(c.url, "unit-dup", c.token);
  dir.write("/etc/config/rpcd", "\nconfig rpcd\n\toption socket '/var/run/ubus/ubus.sock'\n\nconfig login\n\toption username 'root'\n\toption password '$p$root'\n");
  const t = makeCtx(dir);
  assert.is(await exitCode(connectController(t.ctx)), 4);
  await t.close();
  await c.close();
  const rpcd = dir.read("/etc/config/rpcd");
  assert.not.match(rpcd, /controller/);
  assert.match(rpcd, /option username 'root'/);
  assert.match(rpcd, /option socket/);
  assert.is(c.registerRequests().length, 1);
  dir.cleanup();
});

test("the loopback controller itself: 400 malformed, 401+code 403 wrong token, 409 duplicate, ingest auth", async () => {
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const r = await fetch(`${ctl.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    return { status: r.status, body: (await r.json()) as { code: number; message: string } };
  };
  const reg = { unit_id: "unit-srv", username: "u1", password: "p1" };
  const tok = { RegistrationToken: ctl.token };
  assert.equal((await post("/api/units/register", "{nope", tok)).body.code, 400);
  assert.equal((await post("/api/units/register", JSON.stringify({ unit_id: "x" }), tok)).status, 400);
  const wrong = await post("/api/units/register", JSON.stringify(reg), { RegistrationToken: "nope" });
  assert.equal([wrong.status, wrong.body.code], [401, 403]);
  assert.is((await post("/api/units/register", JSON.stringify(reg), tok)).body.message, "unit added to waiting list");
  await ctl.approve("unit-srv");
  assert.is((await post("/api/units/register", JSON.stringify(reg), tok)).body.code, 200);
  assert.is((await post("/api/units/register", JSON.stringify(reg), tok)).body.code, 200);
  assert.is((await post("/api/units/register", JSON.stringify({ ...reg, username: "u2" }), tok)).body.code, 409);
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
  assert.is((await post("/api/ingest/info", "{}", basic("unit-srv", ctl.token))).status, 200);
  assert.is((await post("/ingest/dump-wan-config", "{}", basic("unit-srv", ctl.token))).status, 200);
  assert.is((await post("/api/ingest/info", "{}", basic("unit-srv", "bad"))).status, 401);
});

test.run();
