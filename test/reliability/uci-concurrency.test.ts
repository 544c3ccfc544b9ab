/**
 * Issue 13 §5: UCI commits as libuci makes them (flock on /etc/config/<pkg>,
 * re-read under the lock, apply only this command's changes). Concurrent
 * commits of different keys must all survive: ours ∥ ours, ours ∥ the `uci`
 * stand-in (test/helpers/uci-standin.ts, which takes the same flock), and a
 * description saved while `unregister` waits for the portal.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { createFs } from "../../src/platform/fs";
import { makeResolver } from "../../src/platform/paths";
import { commitPackage, loadPackage } from "../../src/platform/uci/store";
import { parseUci } from "../../src/platform/uci/codec";
import { runBundle } from "../helpers/bundle";
import { call } from "../helpers/rpcd";
import { sendJson, startServer } from "../helpers/servers";
import { testdir, type TestDir } from "../helpers/testdir";
import { UCI_STANDIN } from "../helpers/uci-standin";
import { portalRoot, SECRET } from "./lib/roots";

const ROUNDS = 30;

function options(dir: TestDir): Map<string, string | string[]> {
  const s = parseUci(dir.read("/etc/config/ns-plug"), "ns-plug").find((x) => x.name === "config");
  return s?.options ?? new Map();
}

/** One of our commits: load, set one key, commit (the lock, re-read and merge are commitPackage's). */
async function ours(dir: TestDir, key: string, value: string): Promise<void> {
  const fs = createFs(makeResolver(dir.root));
  const pkg = await loadPackage(fs, "ns-plug");
  if (!pkg.section("config")) pkg.setSection("config", "main");
  pkg.set("config", key, value);
  await commitPackage(fs, pkg);
}

function standin(dir: TestDir, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", UCI_STANDIN, ...args], {
      env: { ...process.env, NS_PLUG_ROOT: dir.root },
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code));
  });
}

test(`ours ∥ ours: ${ROUNDS} rounds of two concurrent commits of different keys, 0 lost`, async () => {
  const dir = testdir({ "/etc/config/ns-plug": { content: "\nconfig main 'config'\n\toption keep 'me'\n", mode: 0o600 } });
  try {
    let lost = 0;
    for (let i = 0; i < ROUNDS; i++) {
      await Promise.all([ours(dir, `a${i}`, String(i)), ours(dir, `b${i}`, String(i))]);
      const o = options(dir);
      lost += (o.get(`a${i}`) === String(i) ? 0 : 1) + (o.get(`b${i}`) === String(i) ? 0 : 1);
    }
    assert.is(lost, 0, `${lost} of ${ROUNDS * 2} commits lost`);
    assert.is(options(dir).get("keep"), "me");
    assert.is(dir.mode("/etc/config/ns-plug"), 0o600);
  } finally {
    dir.cleanup();
  }
});

test(`ours ∥ the uci stand-in (same flock): ${ROUNDS} rounds, 0 lost`, async () => {
  const dir = testdir({ "/etc/config/ns-plug": { content: "\nconfig main 'config'\n", mode: 0o600 } });
  try {
    let lost = 0;
    let oursDone = 0;
    for (let i = 0; i < ROUNDS; i++) {
      // The stand-in starts slowly (tsx): we keep committing until it is done, so the two overlap.
      let finished = false;
      const theirs = standin(dir, ["set", `ns-plug.config.u${i}=${i}`]).finally(() => (finished = true));
      const mine: string[] = [];
      while (!finished) {
        const key = `o${i}_${mine.length}`;
        await ours(dir, key, String(i));
        mine.push(key);
      }
      assert.is(await theirs, 0);
      const o = options(dir);
      if (o.get(`u${i}`) !== String(i)) lost++;
      for (const k of mine) if (o.get(k) !== String(i)) lost++;
      oursDone += mine.length;
    }
    assert.is(lost, 0, `${lost} commits lost (${oursDone} of ours, ${ROUNDS} of the stand-in)`);
  } finally {
    dir.cleanup();
  }
});

test("a description saved while unregister waits for the portal survives it", async () => {
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  const portal = await startServer(async (req, res) => {
    if (req.path.endsWith("/Utils/freekey")) await held;
    sendJson(res, 200, { result: "success" });
  });
  const dir = portalRoot("community", portal.url);
  dir.write("/etc/config/ns-plug", dir.read("/etc/config/ns-plug").replace("config main 'config'\n", "config main 'config'\n\toption description 'before'\n"), 0o600);
  try {
    const unregister = runBundle(["unregister"], { dir, timeoutMs: 120_000 });
    await portal.waitFor((r) => r.path.endsWith("/Utils/freekey"), 60_000);
    // LuCI saves a description meanwhile.
    const saved = await call(dir, "ns.plug", "update", { description: "saved meanwhile" });
    assert.equal(saved.answer, { result: "success" });
    release();
    const r = await unregister;
    assert.is(r.code, 0, r.stderr);
    const o = options(dir);
    assert.is(o.get("description"), "saved meanwhile", "unregister must not revert it");
    assert.is(o.get("secret"), undefined, "and its own changes are there");
    assert.is(o.get("system_id"), undefined);
    assert.not.match(dir.read("/etc/config/ns-plug"), new RegExp(SECRET));
  } finally {
    release();
    await portal.close();
    dir.cleanup();
  }
});

test("ns.plug register ∥ ns.subscription unregister: both keep their settings", async () => {
  const portal = await startServer(async (_req, res) => sendJson(res, 200, { result: "success" }));
  const joinCode = (fqdn: string, unit_id: string, token: string) => Buffer.from(JSON.stringify({ fqdn, unit_id, token })).toString("base64");
  try {
    for (let i = 0; i < 5; i++) {
      const dir = portalRoot("community", portal.url);
      try {
        const code = joinCode(`ctl${i}.example.org`, `7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8${i}`, `9f86d081884c7d6${i}`);
        const [reg, unreg] = await Promise.all([
          call(dir, "ns.plug", "register", { join_code: code, tls_verify: false, unit_name: "fw", description: `d${i}` }),
          call(dir, "ns.subscription", "unregister"),
        ]);
        assert.equal(reg.answer, { result: "success" });
        assert.equal(unreg.answer, { result: "success" });
        const o = options(dir);
        assert.is(o.get("server"), `https://ctl${i}.example.org`, `round ${i}: the controller settings are kept`);
        assert.is(o.get("unit_id"), `7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8${i}`);
        assert.is(o.get("description"), `d${i}`);
        assert.is(o.get("system_id"), undefined, `round ${i}: the subscription is gone`);
      } finally {
        dir.cleanup();
      }
    }
  } finally {
    await portal.close();
  }
});

test.run();
