// ns.backup through the generated plugin file, as rpcd runs it: a test root
// with the sysupgrade stand-in, real gpg, and the loopback backupd.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { call } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";
import { PASSPHRASE, registeredRoot, SECRET, type Fixture } from "./backup-fixture";
import { gpgDecrypt } from "../helpers/gpg";

const DOWNLOADS = "/var/run/ns-api-server/downloads";
const UPLOADS = "/var/run/ns-api-server/uploads";
const isGzip = (b: Buffer) => b[0] === 0x1f && b[1] === 0x8b;


async function withRoot(opts: Parameters<typeof registeredRoot>[0], fn: (f: Fixture) => Promise<void>): Promise<void> {
  const f = await registeredRoot(opts);
  f.dir.standin("reboot");
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}

const STATIC = "option proto 'static'";
const breakNetwork = (f: Fixture) => f.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption proto 'broken'\n");

test("set-passphrase / is-passphrase-set: 0600 file, empty removes, never echoed", async () => {
  const dir = testdir();
  try {
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: false } });
    const { answer, run } = await call(dir, "ns.backup", "set-passphrase", { passphrase: "correct horse 'battery'", ubus_rpc_session: "s" });
    assert.equal(answer, { message: "success" });
    assert.is(dir.read("/etc/backup.pass"), "correct horse 'battery'");
    assert.is(dir.mode("/etc/backup.pass"), 0o600);
    assert.not.match(run.stderr + dir.syslog().join("\n"), "horse"); // the log is syslog now (SPEC §7)
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: true } });
    assert.equal((await call(dir, "ns.backup", "set-passphrase", { passphrase: "" })).answer, { message: "success" });
    assert.not.ok(dir.exists("/etc/backup.pass"));
    assert.equal((await call(dir, "ns.backup", "set-passphrase", {})).answer, {
      validation: { errors: [{ parameter: "passphrase", message: "required", value: "" }] },
    });
    dir.write("/etc/backup.pass", "");
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: false } });
  } finally {
    dir.cleanup();
  }
});

test("backup: encrypted by default with a passphrase, plain on request, refused when asked without one", () =>
  withRoot({}, async (f) => {
    const enc = (await call(f.dir, "ns.backup", "backup", {})).answer;
    assert.type(enc.backup, "string");
    const encFile = f.dir.path(`${DOWNLOADS}/${enc.backup}`);
    assert.is(f.dir.mode(`${DOWNLOADS}/${enc.backup}`), 0o600);
    assert.not.ok(isGzip(readFileSync(encFile)));
    assert.ok(isGzip(gpgDecrypt(encFile, PASSPHRASE)), "decrypts with the passphrase to a gzip archive");
    const plain = (await call(f.dir, "ns.backup", "backup", { encrypted: "0" })).answer;
    assert.ok(isGzip(readFileSync(f.dir.path(`${DOWNLOADS}/${plain.backup}`))));
    f.dir.write("/etc/backup.pass", "");
    assert.equal((await call(f.dir, "ns.backup", "backup", { encrypted: true })).answer, { error: "passphrase_not_set" });
    const noPass = (await call(f.dir, "ns.backup", "backup", {})).answer;
    assert.ok(isGzip(readFileSync(f.dir.path(`${DOWNLOADS}/${noPass.backup}`))));
  }));

test("restore: an uploaded encrypted backup with the right passphrase restores and reboots", () =>
  withRoot({}, async (f) => {
    const made = (await call(f.dir, "ns.backup", "backup", {})).answer.backup as string;
    f.dir.write(`${UPLOADS}/upload-1`, "");
    execFileSync("cp", [f.dir.path(`${DOWNLOADS}/${made}`), f.dir.path(`${UPLOADS}/upload-1`)]);
    breakNetwork(f);
    const wrong = await call(f.dir, "ns.backup", "restore", { backup: "upload-1", passphrase: "not it" });
    assert.equal(wrong.answer, { validation: { errors: [{ parameter: "passphrase", message: "decryption_failed", value: "" }] } });
    assert.match(f.dir.read("/etc/config/network"), "broken");
    const missing = await call(f.dir, "ns.backup", "restore", { backup: "upload-1" });
    // SPEC §7: the UI translates only decryption_failed and restore_failed; a missing passphrase cannot decrypt.
    assert.equal(missing.answer, { validation: { errors: [{ parameter: "passphrase", message: "decryption_failed", value: "" }] } });
    assert.not.ok(f.dir.calls().includes("reboot"));
    const ok = await call(f.dir, "ns.backup", "restore", { backup: "upload-1", passphrase: PASSPHRASE });
    assert.equal(ok.answer, { message: "success" });
    assert.match(f.dir.read("/etc/config/network"), STATIC);
    assert.equal(f.dir.calls().filter((c) => c === "reboot"), ["reboot"]);
    assert.not.match(ok.run.stderr + wrong.run.stderr + f.dir.syslog().join("\n"), PASSPHRASE);
  }));

test("restore: a name that is not a bare upload name is refused, nothing runs", () =>
  withRoot({}, async (f) => {
    // A restore that cannot happen is `restore_failed` on the passphrase field, the one place the UI shows it (SPEC §7).
    const failed = { validation: { errors: [{ parameter: "passphrase", message: "restore_failed", value: "" }] } };
    for (const backup of ["../../etc/shadow", "a/b", ".hidden"]) {
      assert.equal((await call(f.dir, "ns.backup", "restore", { backup })).answer, failed, backup);
    }
    assert.equal((await call(f.dir, "ns.backup", "restore", { backup: "no-such-upload" })).answer, failed);
    assert.equal(f.dir.calls(), []);
  }));

test("registered-list-backups: backupd's shape under values.backups, newest first", () =>
  withRoot({}, async (f) => {
    f.backupd.seed("backup-old.tar.gz.gpg", "old", { created: 1_700_000_000, id: "id-old" });
    f.backupd.seed("backup-new.tar.gz.gpg", "new", { created: 1_800_000_000, id: "id-new" });
    const { answer } = await call(f.dir, "ns.backup", "registered-list-backups");
    const values = (answer.values as { backups: Array<Record<string, unknown>> }).backups;
    assert.equal(values.map((v) => [v.id, v.file, v.name, v.created]), [
      ["id-new", undefined, "backup-new.tar.gz.gpg", 1_800_000_000],
      ["id-old", undefined, "backup-old.tar.gz.gpg", 1_700_000_000],
    ]);
    const auth = f.backupd.requests[0]!.headers.authorization as string;
    assert.match(Buffer.from(auth.slice(6), "base64").toString(), `:${SECRET}`);
  }));

test("registered-backup uploads an encrypted backup now; without a passphrase it refuses", () =>
  withRoot({}, async (f) => {
    assert.equal((await call(f.dir, "ns.backup", "registered-backup")).answer, { message: "success" });
    assert.is(f.backupd.backups.length, 1);
    assert.ok(isGzip(gpgDecrypt(f.backupd.backups[0]!.path, PASSPHRASE)));
    assert.equal((await call(f.dir, "ns.backup", "registered-backup")).answer, { message: "success" });
    assert.is(f.backupd.backups.length, 2, "uploads even when nothing changed");
    rmSync(f.dir.path("/etc/backup.pass"));
    assert.equal((await call(f.dir, "ns.backup", "registered-backup")).answer, { error: "passphrase_not_set" });
    assert.is(f.backupd.backups.length, 2);
  }));

test("registered-download-backup, registered-restore, registered-delete-backup", () =>
  withRoot({}, async (f) => {
    await call(f.dir, "ns.backup", "registered-backup");
    const id = f.backupd.backups[0]!.id;
    const dl = (await call(f.dir, "ns.backup", "registered-download-backup", { file: id })).answer;
    assert.type(dl.backup, "string");
    assert.equal(readFileSync(f.dir.path(`${DOWNLOADS}/${dl.backup}`)), readFileSync(f.backupd.backups[0]!.path));
    breakNetwork(f);
    const wrong = await call(f.dir, "ns.backup", "registered-restore", { file: id, passphrase: "nope" });
    assert.equal(wrong.answer, { validation: { errors: [{ parameter: "passphrase", message: "decryption_failed", value: "" }] } });
    assert.equal((await call(f.dir, "ns.backup", "registered-restore", { file: id, passphrase: PASSPHRASE })).answer, { message: "success" });
    assert.match(f.dir.read("/etc/config/network"), STATIC);
    assert.ok(f.dir.calls().includes("reboot"));
    assert.equal((await call(f.dir, "ns.backup", "registered-delete-backup", { id, ubus_rpc_session: "x" })).answer, { result: "success" });
    assert.is(f.backupd.backups.length, 0);
    assert.equal((await call(f.dir, "ns.backup", "registered-delete-backup", { id })).answer, { error: "remote_backup_delete_failed" });
    assert.equal((await call(f.dir, "ns.backup", "registered-download-backup", {})).answer, {
      validation: { errors: [{ parameter: "file", message: "required", value: "" }] },
    });
  }));

test("registered-*: not registered or backupd failing → the original's remote_list_failed", async () => {
  const dir = testdir();
  try {
    assert.equal((await call(dir, "ns.backup", "registered-list-backups")).answer, { error: "remote_list_failed" });
    assert.match(dir.syslog().join("\n"), "System ID, system secret or backup url not found");
  } finally {
    dir.cleanup();
  }
  await withRoot({}, async (f) => {
    f.backupd.fail = 500;
    assert.equal((await call(f.dir, "ns.backup", "registered-list-backups")).answer, { error: "remote_list_failed" });
  });
});

test.run();
