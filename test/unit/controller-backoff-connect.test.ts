/**
 * `connect` across procd respawns (SPEC §3.1 step 4): in-process, with the
 * recording clock of controller-helpers, so the waits are checked, not slept.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { symlinkSync, writeFileSync } from "node:fs";
import { connectController } from "../../src/controller/connect";
import { startBackoffMs } from "../../src/controller/backoff";
import { startController } from "../servers/controller";
import { startServer } from "../helpers/servers";
import { testdir } from "../helpers/testdir";
import { exitCode, makeCtx, nsPlugConfig } from "./controller-helpers";

const STATE = "/var/run/ns-plug.backoff";

async function deadUrl(): Promise<string> {
  const srv = await startServer(() => {});
  await srv.close();
  return srv.url;
}

test("failed starts back off 0–30, 0–60, 0–120 s … with one attempt each; a registration resets; a start after a hand-over waits 0–30 s", async () => {
  const url = await deadUrl();
  const dir = testdir({ "/etc/config/ns-plug": nsPlugConfig({ server: url, unit_id: "u-b", token: "tok" }), "/var/run/ns-plug.booted": "" });
  try {
    // Start 1: five attempts ~2 s apart (a blip is ridden out). Starts 2–4: the failures are still in a
    // row, so one attempt after the backoff wait (half of 30, 60, 120 s with random 0.5), then exit 5.
    const expected = [[2000, 2000, 2000, 2000], [15_000], [30_000], [60_000]];
    for (let start = 1; start <= 4; start++) {
      const t = makeCtx(dir, { randoms: [0.5] });
      assert.is(await exitCode(connectController(t.ctx)), 5);
      await t.close();
      assert.equal(t.sleeps, expected[start - 1], `start ${start}`);
      assert.is(t.logs.filter((l) => /registration attempt \d\/5 failed/.test(l)).length, start === 1 ? 5 : 1);
      assert.equal(JSON.parse(dir.read(STATE)), { failedStarts: start, handedOver: false });
      if (start > 1) assert.ok(t.logs.some((l) => l.includes(`${start - 1} start(s) without a tunnel before this one`)), t.logs.join(""));
    }
    assert.is(dir.mode(STATE), 0o644);

    // The controller is back: the 5th start waits 0–180 s, registers and resets the count.
    const ctl = await startController({ tls: false, autoApprove: true });
    try {
      dir.write("/etc/config/ns-plug", nsPlugConfig({ server: ctl.url, unit_id: "u-b", token: ctl.token }));
      const t = makeCtx(dir, { randoms: [0.5] });
      assert.is(await exitCode(connectController(t.ctx)), 0);
      await t.close();
      assert.equal(t.sleeps, [startBackoffMs(4, 0.5)]);
      assert.equal(JSON.parse(dir.read(STATE)), { failedStarts: 0, handedOver: true });

      // OpenVPN ended (tunnel lost) and procd respawned: one failed start, 0–30 s.
      const again = makeCtx(dir, { randoms: [0.2] });
      assert.is(await exitCode(connectController(again.ctx)), 0);
      await again.close();
      assert.equal(again.sleeps, [6_000]);
    } finally {
      await ctl.close();
    }
  } finally {
    dir.cleanup();
  }
});

test("a link planted at the state file is not followed: a warning, no history, and the link itself is replaced", async () => {
  const url = await deadUrl();
  const dir = testdir({ "/etc/config/ns-plug": nsPlugConfig({ server: url, unit_id: "u-l", token: "tok" }), "/var/run/ns-plug.booted": "" });
  try {
    const target = dir.path("/etc/precious");
    writeFileSync(target, "keep me\n");
    symlinkSync(target, dir.path(STATE));
    const t = makeCtx(dir, { randoms: [0.5] });
    assert.is(await exitCode(connectController(t.ctx)), 5);
    await t.close();
    assert.ok(t.logs.some((l) => /ignoring \/var\/run\/ns-plug\.backoff: .*symbolic link/.test(l)), t.logs.join(""));
    assert.is(t.sleeps.length, 4, "no backoff wait: only the four 2 s retry waits");
    assert.is(dir.read("/etc/precious"), "keep me\n");
    assert.equal(JSON.parse(dir.read(STATE)), { failedStarts: 1, handedOver: false });
  } finally {
    dir.cleanup();
  }
});

test.run();
