// The web UI's Backup & Restore pages (BackupContent, RestoreContent, RunBackupModal,
// DownloadBackupModal, DeleteBackupModal, SetPassphraseDrawer, BackupStatusCard) through
// the ns-api-server stand-in: every ns.backup method, real gpg, the loopback backupd (SPEC §7).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ubusCall } from "../servers/ns-api-server";
import { PASSPHRASE, registeredRoot, type Fixture } from "./backup-fixture";
import { uiData, uiError, uiValidation } from "./ui-fixture";

const DOWNLOADS = "/var/run/ns-api-server/downloads";
const UPLOADS = "/var/run/ns-api-server/uploads";
const STATIC = "option proto 'static'";

async function withRoot(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const f = await registeredRoot({});
  f.dir.standin("reboot");
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}

const breakNetwork = (f: Fixture) => f.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption proto 'broken'\n");

test("set-passphrase / is-passphrase-set: values.set follows the drawer and the delete modal", () =>
  withRoot(async (f) => {
    const o = { dir: f.dir };
    assert.equal(uiData(await ubusCall("ns.backup", "is-passphrase-set", {}, o)), { values: { set: true } });
    assert.equal(uiData(await ubusCall("ns.backup", "set-passphrase", { passphrase: "" }, o)), { message: "success" });
    assert.equal(uiData(await ubusCall("ns.backup", "is-passphrase-set", {}, o)), { values: { set: false } });
    assert.equal(uiData(await ubusCall("ns.backup", "set-passphrase", { passphrase: PASSPHRASE }, o)), { message: "success" });
    assert.is(f.dir.mode("/etc/backup.pass"), 0o600);
    assert.equal(uiData(await ubusCall("ns.backup", "is-passphrase-set", {}, o)), { values: { set: true } });
  }));

test("registered-backup → {message: success}; registered-list-backups → values.backups with backupd's fields", () =>
  withRoot(async (f) => {
    const o = { dir: f.dir };
    assert.equal(uiData(await ubusCall("ns.backup", "registered-list-backups", {}, o)), { values: { backups: [] } });
    // RunBackupModal: `res.data.message === 'success'`.
    assert.equal(uiData(await ubusCall("ns.backup", "registered-backup", {}, o)), { message: "success" });
    assert.is(f.backupd.backups.length, 1);
    // BackupContent / RestoreContent / BackupStatusCard: `res.data.values.backups` (the card sorts it).
    const list = uiData(await ubusCall("ns.backup", "registered-list-backups", {}, o));
    const backups = (list.values as { backups: Array<Record<string, unknown>> }).backups;
    const b = f.backupd.backups[0]!;
    assert.equal(backups, [{ id: b.id, name: b.name, created: b.created, size: b.size, mimetype: b.mimetype }]);
  }));

test("backup (DownloadBackupModal) → {backup} in ns-api-server's download directory", () =>
  withRoot(async (f) => {
    const plain = uiData(await ubusCall("ns.backup", "backup", { encrypted: false }, { dir: f.dir }));
    assert.type(plain.backup, "string");
    const bytes = readFileSync(f.dir.path(`${DOWNLOADS}/${plain.backup}`));
    assert.equal([bytes[0], bytes[1]], [0x1f, 0x8b]);
  }));

test("restore: success; wrong and missing passphrase → decryption_failed; failing restore → restore_failed", () =>
  withRoot(async (f) => {
    const o = { dir: f.dir };
    const made = uiData(await ubusCall("ns.backup", "backup", {}, o)).backup as string;
    f.dir.write(`${UPLOADS}/upload-1`, "");
    execFileSync("cp", [f.dir.path(`${DOWNLOADS}/${made}`), f.dir.path(`${UPLOADS}/upload-1`)]);
    breakNetwork(f);
    uiValidation(await ubusCall("ns.backup", "restore", { backup: "upload-1", passphrase: "wrong one" }, o), "passphrase", "decryption_failed");
    uiValidation(await ubusCall("ns.backup", "restore", { backup: "upload-1" }, o), "passphrase", "decryption_failed");
    uiValidation(await ubusCall("ns.backup", "restore", { backup: "upload-1", passphrase: "" }, o), "passphrase", "decryption_failed");
    assert.not.ok(f.dir.calls().includes("reboot"));
    // sysupgrade -r failing: the restore itself failed.
    f.dir.standin("sysupgrade", "exit 1");
    uiValidation(await ubusCall("ns.backup", "restore", { backup: "upload-1", passphrase: PASSPHRASE }, o), "passphrase", "restore_failed");
    assert.not.ok(f.dir.calls().includes("reboot"));
  }));

test("restore: the right passphrase restores and reboots → {message: success}", () =>
  withRoot(async (f) => {
    const o = { dir: f.dir };
    const made = uiData(await ubusCall("ns.backup", "backup", {}, o)).backup as string;
    f.dir.write(`${UPLOADS}/upload-2`, "");
    execFileSync("cp", [f.dir.path(`${DOWNLOADS}/${made}`), f.dir.path(`${UPLOADS}/upload-2`)]);
    breakNetwork(f);
    assert.equal(uiData(await ubusCall("ns.backup", "restore", { backup: "upload-2", passphrase: PASSPHRASE }, o)), { message: "success" });
    assert.match(f.dir.read("/etc/config/network"), STATIC);
    assert.ok(f.dir.calls().includes("reboot"));
  }));

test("registered-download-backup / registered-restore / registered-delete-backup", () =>
  withRoot(async (f) => {
    const o = { dir: f.dir };
    uiData(await ubusCall("ns.backup", "registered-backup", {}, o));
    const id = f.backupd.backups[0]!.id;
    const dl = uiData(await ubusCall("ns.backup", "registered-download-backup", { file: id }, o));
    assert.equal(readFileSync(f.dir.path(`${DOWNLOADS}/${dl.backup}`)), readFileSync(f.backupd.backups[0]!.path));
    breakNetwork(f);
    uiValidation(await ubusCall("ns.backup", "registered-restore", { file: id, passphrase: "nope" }, o), "passphrase", "decryption_failed");
    uiValidation(await ubusCall("ns.backup", "registered-restore", { file: id }, o), "passphrase", "decryption_failed");
    assert.equal(uiData(await ubusCall("ns.backup", "registered-restore", { file: id, passphrase: PASSPHRASE }, o)), { message: "success" });
    assert.match(f.dir.read("/etc/config/network"), STATIC);
    // DeleteBackupModal: `res.data.result === 'success'`.
    assert.equal(uiData(await ubusCall("ns.backup", "registered-delete-backup", { id }, o)), { result: "success" });
    assert.is(f.backupd.backups.length, 0);
    uiError(await ubusCall("ns.backup", "registered-delete-backup", { id }, o), "remote_backup_delete_failed");
    uiError(await ubusCall("ns.backup", "registered-download-backup", { file: id }, o), "remote_backup_download_failed");
    uiError(await ubusCall("ns.backup", "registered-restore", { file: id, passphrase: PASSPHRASE }, o), "remote_backup_download_failed");
  }));

test("backupd down: every registered-* method answers the original's reason", () =>
  withRoot(async (f) => {
    const o = { dir: f.dir };
    await f.backupd.close();
    uiError(await ubusCall("ns.backup", "registered-list-backups", {}, o), "remote_list_failed");
    uiError(await ubusCall("ns.backup", "registered-backup", {}, o), "remote_upload_failed");
    uiError(await ubusCall("ns.backup", "registered-download-backup", { file: "x1" }, o), "remote_backup_download_failed");
    uiError(await ubusCall("ns.backup", "registered-restore", { file: "x1", passphrase: PASSPHRASE }, o), "remote_backup_download_failed");
    uiError(await ubusCall("ns.backup", "registered-delete-backup", { id: "x1" }, o), "remote_backup_delete_failed");
    assert.match(f.dir.syslog().join("\n"), /ns-plug daemon\.err ns\.backup: error: /);
  }));

test("backupd failing (HTTP 500): list and upload answer remote_list_failed / remote_upload_failed", () =>
  withRoot(async (f) => {
    f.backupd.fail = 500;
    uiError(await ubusCall("ns.backup", "registered-list-backups", {}, { dir: f.dir }), "remote_list_failed");
    uiError(await ubusCall("ns.backup", "registered-backup", {}, { dir: f.dir }), "remote_upload_failed");
  }));

test.run();
