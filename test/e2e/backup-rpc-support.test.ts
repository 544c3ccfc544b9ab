/**
 * The ns.backup support functions (called by the rpcd plugin), run in this
 * process on a real context over a test root: real gpg, the sysupgrade
 * stand-in, the loopback backupd. Asserted: files made, restored, removed;
 * requests received; the failure reasons the plugin reports.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createContext, type Ctx } from "../../src/platform/context";
import {
  BackupError,
  createLocalBackup,
  deleteBackup,
  downloadBackup,
  isPassphraseSet,
  listBackups,
  restoreBackupFile,
  restoreRemoteBackup,
  setPassphrase,
  uploadBackupNow,
  uploadedFile,
} from "../../src/backup/index";
import { watchDescendants } from "../helpers/proc-watch";
import { nsPlugConfig, PASSPHRASE, registeredRoot, SECRET, type Fixture } from "./backup-fixture";
import { gpgDecrypt } from "../helpers/gpg";

function contextFor(f: Fixture): Ctx {
  process.env.NS_PLUG_ROOT = f.dir.root;
  process.env.PATH = `${f.dir.bin}:${process.env.PATH!.split(":").filter((p) => !p.includes("nsplug-")).join(":")}`;
  process.env.NS_PLUG_LOGLEVEL = "error";
  return createContext("ns.backup");
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BackupError) return e.reason;
    return `other: ${e instanceof Error ? e.message : String(e)}`;
  }
  return "no error";
}


const tarList = (gz: Buffer) => execFileSync("tar", ["-tz"], { input: gz }).toString().split("\n").filter(Boolean);
const workEmpty = (f: Fixture) => assert.equal(existsSync(f.dir.path("/var/backup")) ? readdirSync(f.dir.path("/var/backup")) : [], []);

test("set-passphrase / is-passphrase-set: mode 0600 even over a 0644 file, empty removes, bad input refused", async () => {
  const f = await registeredRoot({ passphrase: null });
  const ctx = contextFor(f);
  try {
    assert.is(await isPassphraseSet(ctx), false);
    f.dir.write("/etc/backup.pass", "", 0o644);
    assert.is(await isPassphraseSet(ctx), false, "an empty file is no passphrase");
    await setPassphrase(ctx, "new pass phrase");
    assert.is(f.dir.read("/etc/backup.pass"), "new pass phrase");
    assert.is(f.dir.mode("/etc/backup.pass"), 0o600);
    assert.is(await isPassphraseSet(ctx), true);
    assert.is(await reason(setPassphrase(ctx, "two\nlines")), "invalid_passphrase");
    assert.is(f.dir.read("/etc/backup.pass"), "new pass phrase", "a refused value changes nothing");
    await setPassphrase(ctx, "");
    assert.not.ok(f.dir.exists("/etc/backup.pass"));
    assert.is(await isPassphraseSet(ctx), false);
  } finally {
    await f.cleanup();
  }
});

test("backup {encrypted}: encrypted with the passphrase by default, plain on request, refused without a passphrase", async () => {
  const f = await registeredRoot();
  const ctx = contextFor(f);
  try {
    const enc = await createLocalBackup(ctx, {});
    assert.ok(enc.encrypted);
    assert.match(enc.backup, /^backup-\d+-[a-z0-9]{12}\.tar\.gz\.gpg$/);
    const real = f.dir.path(enc.path);
    assert.is(enc.path, `/var/run/ns-api-server/downloads/${enc.backup}`);
    assert.is(f.dir.mode(enc.path), 0o600);
    assert.ok(tarList(gpgDecrypt(real, PASSPHRASE)).includes("etc/config/network"));

    const plain = await createLocalBackup(ctx, { encrypted: false });
    assert.not.ok(plain.encrypted);
    assert.ok(tarList(readFileSync(f.dir.path(plain.path))).includes("etc/config/network"));
    workEmpty(f);

    rmSync(f.dir.path("/etc/backup.pass"));
    assert.is(await reason(createLocalBackup(ctx, { encrypted: true })), "passphrase_not_set");
    const fallback = await createLocalBackup(ctx, {});
    assert.not.ok(fallback.encrypted, "no passphrase and no wish: plain, like the original");
    workEmpty(f);
  } finally {
    await f.cleanup();
  }
});

test("restore {backup, passphrase}: encrypted with the right passphrase restores; wrong or missing passphrase restores nothing", async () => {
  const f = await registeredRoot();
  const ctx = contextFor(f);
  try {
    const original = f.dir.read("/etc/config/network");
    const enc = await createLocalBackup(ctx, {});
    const upload = "upload-1e20f4b3-e581-454c-9162-ca33885eb223";
    f.dir.write(`/var/run/ns-api-server/uploads/${upload}`, "");
    writeFileSync(f.dir.path(uploadedFile(upload)), readFileSync(f.dir.path(enc.path)));
    f.dir.write("/etc/config/network", "damaged\n");

    assert.is(await reason(restoreBackupFile(ctx, uploadedFile(upload))), "passphrase_required");
    assert.is(await reason(restoreBackupFile(ctx, uploadedFile(upload), "wrong passphrase")), "decryption_failed");
    assert.is(f.dir.read("/etc/config/network"), "damaged\n");

    const watch = watchDescendants(process.pid, [PASSPHRASE, SECRET], 1);
    await restoreBackupFile(ctx, uploadedFile(upload), PASSPHRASE);
    const report = watch.stop();
    assert.is(f.dir.read("/etc/config/network"), original);
    assert.ok(report.seen.some((s) => s.endsWith("/gpg") || s.endsWith(":gpg")), `gpg observed: ${report.seen.join(", ")}`);
    assert.equal(report.hits, [], "the passphrase is in no child's argv or environment");
    workEmpty(f);

    // A plain archive needs no passphrase (and ignores one).
    const plain = await createLocalBackup(ctx, { encrypted: false });
    f.dir.write("/etc/config/network", "damaged again\n");
    await restoreBackupFile(ctx, plain.path, "irrelevant");
    assert.is(f.dir.read("/etc/config/network"), original);

    f.dir.write("/tmp/garbage", "this is not a backup");
    assert.is(await reason(restoreBackupFile(ctx, "/tmp/garbage", PASSPHRASE)), "decryption_failed");
    assert.is(await reason(restoreBackupFile(ctx, "/tmp/missing")), "invalid_backup_file");
    workEmpty(f);
  } finally {
    await f.cleanup();
  }
});

test("registered-*: list, backup now (even unchanged), download (hostile id stays in the download dir), restore, delete", async () => {
  const f = await registeredRoot();
  const ctx = contextFor(f);
  try {
    const first = await uploadBackupNow(ctx);
    assert.match(first.name, /^backup-\d+\.tar\.gz\.gpg$/);
    const digest = f.dir.read("/etc/backup.md5");
    await uploadBackupNow(ctx);
    assert.is(f.backupd.backups.length, 2, "backup now uploads even when nothing changed");
    assert.is(f.dir.read("/etc/backup.md5"), digest);

    const list = await listBackups(ctx);
    assert.is(list.length, 2);
    assert.is(list[0]!.file, f.backupd.backups[1]!.id, "newest first");

    const evil = f.backupd.seed("evil.gpg", readFileSync(f.backupd.backups[0]!.path), { id: "../../../etc/shadow" });
    f.dir.write("/etc/shadow", "root:x:0:\n");
    const dl = await downloadBackup(ctx, evil.id);
    assert.match(dl.backup, /^remote-[0-9a-f]{8}-shadow$/);
    assert.ok(f.dir.exists(`/var/run/ns-api-server/downloads/${dl.backup}`));
    assert.is(f.dir.read("/etc/shadow"), "root:x:0:\n");

    const original = f.dir.read("/etc/config/firewall");
    rmSync(f.dir.path("/etc/config/firewall"));
    assert.is(await reason(restoreRemoteBackup(ctx, list[0]!.file, "wrong")), "decryption_failed");
    assert.not.ok(f.dir.exists("/etc/config/firewall"));
    await restoreRemoteBackup(ctx, list[0]!.file, PASSPHRASE);
    assert.is(f.dir.read("/etc/config/firewall"), original);
    assert.is(await reason(restoreRemoteBackup(ctx, "no-such-id", PASSPHRASE)), "remote_failed");

    assert.equal(await deleteBackup(ctx, list[1]!.file), { result: "success" });
    assert.is(f.backupd.backups.length, 2); // the evil seed and the newest remain
    workEmpty(f);

    rmSync(f.dir.path("/etc/backup.pass"));
    const puts = f.backupd.requests.filter((r) => r.method === "PUT").length;
    assert.is(await reason(uploadBackupNow(ctx)), "passphrase_not_set");
    assert.is(f.backupd.requests.filter((r) => r.method === "PUT").length, puts, "never an unencrypted upload");

    f.dir.write("/etc/config/ns-plug", nsPlugConfig({ type: "community" }));
    assert.is(await reason(listBackups(ctx)), "remote_not_configured");
  } finally {
    await f.cleanup();
  }
});

test.run();
