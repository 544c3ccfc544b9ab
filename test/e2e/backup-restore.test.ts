/**
 * The restore pipeline documented in docs/backup.md, run as written by sh
 * with the real gpg, jq and tar, the bundle as `remote-backup` and the
 * sysupgrade stand-in, against the loopback backupd. The only change to the
 * documented text: /etc/backup.pass is the test root's file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE, REPO, runBundle } from "../helpers/bundle";
import { registeredRoot, type Fixture } from "./backup-fixture";

const PIPELINE =
  "remote-backup download $(remote-backup list | jq -r .[0].file) - | gpg --batch --passphrase-file /etc/backup.pass -d | sysupgrade -r -";

/** Run a documented shell line the way an admin on the unit would (through the commands in PATH). */
async function runAsAdmin(f: Fixture, line: string): Promise<{ code: number | null; stderr: string }> {
  const home = f.dir.path("/root");
  mkdirSync(join(home, ".gnupg"), { recursive: true, mode: 0o700 });
  const link = join(f.dir.bin, "remote-backup");
  try {
    symlinkSync(BUNDLE, link);
  } catch {
    /* already there */
  }
  const env: Record<string, string> = {
    PATH: `${f.dir.bin}:${dirname(process.execPath)}:${process.env.PATH}`,
    NS_PLUG_ROOT: f.dir.root,
    HOME: home, // gpg's default home: the test root's, not this machine's
  };
  const cwd = f.dir.path("/root");
  const script = line.split("/etc/backup.pass").join(`${f.dir.root}/etc/backup.pass`);
  // Asynchronous: the loopback backupd lives in this process and must keep answering.
  const child = spawn("sh", ["-c", script], { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  clearTimeout(timer);
  // gpg may have started an agent for its default home: stop it, it must not outlive the test.
  spawnSync("gpgconf", ["--homedir", join(home, ".gnupg"), "--kill", "gpg-agent"], { env });
  return { code, stderr };
}

function configSnapshot(f: Fixture): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of ["/etc/config/network", "/etc/config/firewall", "/etc/config/ns-plug", "/etc/ssl/private/site.key"]) {
    out[p] = `${f.dir.mode(p).toString(8)} ${f.dir.read(p)}`;
  }
  return out;
}

test("docs/backup.md shows the pipeline this test runs", () => {
  const doc = readFileSync(join(REPO, "docs/backup.md"), "utf8");
  assert.ok(doc.includes(PIPELINE), "the documented restore pipeline must be the one tested here");
});

test("documented pipeline: the newest remote backup, decrypted by real gpg, restores the original config", async () => {
  const f = await registeredRoot();
  try {
    f.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption ipaddr '10.0.0.1'\n");
    assert.is((await runBundle(["send-backup"], { dir: f.dir })).code, 0, "first backup");
    // A newer backup with other content: the pipeline must pick this one.
    f.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption ipaddr '10.0.0.2'\n");
    const r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(f.backupd.backups.length, 2);
    const original = configSnapshot(f);

    // Disaster: the configuration is damaged or gone.
    f.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption proto 'dhcp'\n");
    rmSync(f.dir.path("/etc/config/firewall"));
    rmSync(f.dir.path("/etc/ssl/private/site.key"));

    const run = await runAsAdmin(f, PIPELINE);
    assert.is(run.code, 0, run.stderr);
    assert.equal(configSnapshot(f), original, "restored config equals the original (content and mode)");
    assert.match(f.dir.read("/etc/config/network"), /10\.0\.0\.2/);
  } finally {
    await f.cleanup();
  }
});

test("the same pipeline with a wrong passphrase restores nothing", async () => {
  const f = await registeredRoot();
  try {
    assert.is((await runBundle(["send-backup"], { dir: f.dir })).code, 0);
    f.dir.write("/etc/config/network", "changed\n");
    f.dir.write("/etc/backup.pass", "not the passphrase", 0o600);
    const run = await runAsAdmin(f, PIPELINE);
    assert.ok(run.code !== 0, "sysupgrade -r fails on an empty stream");
    assert.is(f.dir.read("/etc/config/network"), "changed\n");
  } finally {
    await f.cleanup();
  }
});

test.run();
