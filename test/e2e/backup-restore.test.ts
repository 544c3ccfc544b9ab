/**
 * The restore pipeline documented in docs/backup.md, run as written by sh
 * with the real gpg, jq and tar, the bundle as `remote-backup` and the
 * sysupgrade stand-in, against the loopback backupd. The only change to the
 * documented text: /etc/backup.pass is the test root's file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE, REPO, runBundle } from "../helpers/bundle";
import { call } from "../helpers/rpcd";
import { PASSPHRASE, registeredRoot, type Fixture } from "./backup-fixture";

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

/**
 * Wraps the sysupgrade stand-in so every run is recorded with what it got:
 * `restore <bytes>` for -r (stdin or file), the argv otherwise.
 */
function recordSysupgrade(f: Fixture): () => string[] {
  const bin = f.dir.bin;
  const log = f.dir.path("/.standins/sysupgrade.log");
  renameSync(join(bin, "sysupgrade"), join(bin, "sysupgrade.real"));
  writeFileSync(
    join(bin, "sysupgrade"),
    `#!/bin/sh
if [ "$1" = -r ]; then
  f=$2
  if [ "$f" = - ]; then f=$(mktemp); cat > "$f"; fi
  printf 'restore %s\\n' "$(wc -c < "$f" | tr -d ' ')" >> '${log}'
  exec '${join(bin, "sysupgrade.real")}' -r "$f"
fi
printf '%s\\n' "$*" >> '${log}'
exec '${join(bin, "sysupgrade.real")}' "$@"
`,
    { mode: 0o755 },
  );
  return () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
}

const restoresWithData = (runs: string[]) => runs.filter((l) => /^restore [1-9]/.test(l));

test("wrong passphrase: ns-plug's own decryption refuses it, sysupgrade never runs with data, nothing restored", async () => {
  const f = await registeredRoot();
  try {
    assert.is((await runBundle(["send-backup"], { dir: f.dir })).code, 0);
    const runs = recordSysupgrade(f);
    f.dir.write("/etc/config/network", "changed\n");
    const id = f.backupd.backups[0]!.id;
    const wrong = await call(f.dir, "ns.backup", "registered-restore", { file: id, passphrase: "not the passphrase" });
    assert.equal(wrong.answer, { validation: { errors: [{ parameter: "passphrase", message: "decryption_failed", value: "" }] } });
    assert.equal(restoresWithData(runs()), [], "sysupgrade -r ran with data");
    assert.is(f.dir.read("/etc/config/network"), "changed\n");
    assert.not.ok(f.dir.calls().includes("reboot"));
    // The recorder sees a restore when there is one: the right passphrase goes through it.
    f.dir.standin("reboot");
    const ok = await call(f.dir, "ns.backup", "registered-restore", { file: id, passphrase: PASSPHRASE });
    assert.equal(ok.answer, { message: "success" });
    assert.is(restoresWithData(runs()).length, 1, runs().join("\n"));
    assert.match(f.dir.read("/etc/config/network"), "option proto 'static'");
  } finally {
    await f.cleanup();
  }
});

test("documented pipeline with a wrong passphrase: gpg fails, sysupgrade -r gets no data, nothing restored", async () => {
  const f = await registeredRoot();
  try {
    assert.is((await runBundle(["send-backup"], { dir: f.dir })).code, 0);
    const runs = recordSysupgrade(f);
    f.dir.write("/etc/config/network", "changed\n");
    f.dir.write("/etc/backup.pass", "not the passphrase", 0o600);
    const run = await runAsAdmin(f, PIPELINE);
    assert.ok(run.code !== 0, "the pipeline fails");
    assert.match(run.stderr, /gpg: decryption failed|bad (key|passphrase)/i);
    assert.equal(restoresWithData(runs()), [], "sysupgrade -r ran with data");
    assert.is(f.dir.read("/etc/config/network"), "changed\n");
  } finally {
    await f.cleanup();
  }
});

test.run();
