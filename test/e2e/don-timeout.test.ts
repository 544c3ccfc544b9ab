/**
 * The default tunnel bound of `don start` (SPEC §9: no tunnel within 60 s →
 * clean up, exit 7/8), with no `connect_timeout` in the config: a support
 * server address where nothing answers. Kept apart from don-support.test.ts
 * because it waits the whole minute.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { bundleEnv } from "../helpers/bundle";
import { addressOf, processesWith, startSupportLab, type SupportLab } from "../servers/support-lab";
import { donRoot } from "./don-fixture";

let lab: SupportLab;

test.before(async () => {
  lab = await startSupportLab();
});

test.after(async () => {
  await lab?.close();
});

test("a silent support server with the default bound: exit 8 after about 60 s, nothing left", async () => {
  const dir = donRoot(lab, { server: lab.deadIp });
  try {
    assert.not.ok(dir.read("/etc/config/don").includes("connect_timeout"), "the default applies");
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn("ip", ["netns", "exec", lab.unitNs, dir.path("/usr/sbin/don"), "start", "-j"], { env: bundleEnv({ dir }), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (b) => (stdout += b));
      p.stderr.on("data", (b) => (stderr += b));
      const t = setTimeout(() => p.kill("SIGKILL"), 180_000);
      p.on("close", (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
    });
    const s = (Date.now() - t0) / 1000;
    assert.is(r.code, 8, r.stderr);
    assert.match(r.stderr, /no tunnel to the support server within 60 s/);
    assert.is(r.stdout, "");
    assert.ok(s >= 59 && s < 60 + 45, `waited ${s.toFixed(1)} s`);
    assert.equal(processesWith(dir.path("/var/run/don")), []);
    assert.not.ok(dir.exists("/var/run/don"));
    assert.not.ok((dir.readIfExists("/etc/config/rpcd") ?? "").includes("ns_don"));
    assert.not.ok((dir.readIfExists("/etc/crontabs/root") ?? "").includes("don expire"));
    assert.is(addressOf(lab.unitNs, "tunDON"), undefined);
  } finally {
    dir.cleanup();
  }
});

test.run();
