/**
 * Pure logic of the backup feature: list normalisation, untrusted ids,
 * passphrase file semantics, remote target, gpg argv.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createdSeconds, normaliseList } from "../../src/backup/list";
import { baseName, idSegment, safeFileName } from "../../src/backup/ids";
import { passphraseOf, passphraseProblem } from "../../src/backup/passphrase";
import { backupProxyUrl, isRegistered, NOT_CONFIGURED, remoteTarget } from "../../src/backup/target";
import { decryptArgs, encryptArgs } from "../../src/backup/gpg";
import { isGzip } from "../../src/backup/archive";
import { localBackupName, uploadedFile } from "../../src/backup/local";
import { parseNsPlugConfig } from "../../src/config";
import { BackupError } from "../../src/backup/errors";

const v2 = {
  backups: [
    { id: "a1", name: "backup-1.tar.gz.gpg", created: 1700000000, size: 10, mimetype: "application/pgp-encrypted" },
    { id: "c3", name: "backup-3.tar.gz.gpg", created: 1700000300, size: 30, mimetype: "application/pgp-encrypted" },
    { id: "b2", name: "backup-2.tar.gz.gpg", created: 1700000100, size: 20, mimetype: "application/pgp-encrypted", extra: { x: 1 } },
  ],
};

test("v2 list: newest first, server fields kept, file = id", () => {
  const l = normaliseList(v2);
  assert.equal(l.map((i) => i.file), ["c3", "b2", "a1"]);
  assert.equal(l[0], { ...v2.backups[1], file: "c3" });
  assert.equal(l[1]!.extra, { x: 1 }, "unknown server fields pass through");
});

test("old bare-array list: items keep their file; dates in any usual form sort newest first", () => {
  const l = normaliseList([
    { file: "old.tar.gz", created: "2023-01-01T00:00:00Z" },
    { file: "new.tar.gz", created: 1800000000000 }, // milliseconds
    { file: "nodate.tar.gz" },
    { file: "mid.tar.gz", created: "1750000000" },
  ]);
  assert.equal(l.map((i) => i.file), ["new.tar.gz", "mid.tar.gz", "old.tar.gz", "nodate.tar.gz"]);
});

test("list: numeric ids become strings, items without id are dropped, bad shapes are refused", () => {
  assert.equal(normaliseList({ backups: [{ id: 7, created: 1 }, { name: "x" }] }).map((i) => i.file), ["7"]);
  assert.equal(normaliseList({ backups: [] }), []);
  for (const bad of [null, "x", { backups: "no" }, { other: [] }, [1, 2], { backups: [{ id: { evil: 1 } }] }]) {
    assert.throws(() => normaliseList(bad), (e: unknown) => e instanceof BackupError && e.reason === "remote_failed");
  }
});

test("createdSeconds understands unix s, unix ms, numeric strings and ISO dates", () => {
  assert.is(createdSeconds(1700000000), 1700000000);
  assert.is(createdSeconds(1700000000000), 1700000000);
  assert.is(createdSeconds("1700000000"), 1700000000);
  assert.is(createdSeconds("2023-11-14T22:13:20Z"), 1700000000);
  assert.ok(Number.isNaN(createdSeconds("yesterday")));
  assert.ok(Number.isNaN(createdSeconds(undefined)));
});

test("ids stay one URL segment; '.', '..', empty and control characters are refused", () => {
  assert.is(idSegment("abc123"), "abc123");
  assert.is(idSegment("../../etc/shadow"), "..%2F..%2Fetc%2Fshadow");
  assert.is(idSegment("a b?c#d"), "a%20b%3Fc%23d");
  const base = "http://h/community/api/v2/backup/";
  assert.is(new URL(base + idSegment("../../x")).pathname, "/community/api/v2/backup/..%2F..%2Fx");
  for (const bad of ["", ".", "..", "a\nb", "x\0"]) {
    assert.throws(() => idSegment(bad), (e: unknown) => e instanceof BackupError && e.reason === "invalid_backup_id", JSON.stringify(bad));
  }
});

test("safeFileName: the last component, sanitised, never hidden, never a way out", () => {
  assert.is(safeFileName("backup-1.tar.gz.gpg"), "backup-1.tar.gz.gpg");
  assert.is(safeFileName("../../etc/shadow"), "shadow");
  assert.is(safeFileName("..\\..\\win"), "win");
  assert.is(safeFileName(".hidden"), "hidden");
  assert.is(safeFileName("we ird;$(rm).gpg"), "we_ird___rm_.gpg");
  for (const bad of ["", "..", "../", "/", "..."]) assert.throws(() => safeFileName(bad), undefined, JSON.stringify(bad));
  assert.is(baseName("/var/backup/x.gpg"), "x.gpg");
  assert.is(baseName("x.gpg"), "x.gpg");
});

test("passphrase file: the first line counts (what gpg --passphrase-file reads); empty means none", () => {
  assert.is(passphraseOf(undefined), undefined);
  assert.is(passphraseOf(""), undefined);
  assert.is(passphraseOf("\n"), undefined);
  assert.is(passphraseOf("pw"), "pw");
  assert.is(passphraseOf("pw\n"), "pw");
  assert.is(passphraseOf(" pw with spaces \nsecond"), " pw with spaces ");
  assert.is(passphraseProblem("fine one"), undefined);
  assert.ok(passphraseProblem("two\nlines"));
  assert.ok(passphraseProblem("x".repeat(2000)));
});

const cfg = (o: Record<string, string>) => parseNsPlugConfig(o);

test("remote target: base URL per type, basic auth, proxy only for enterprise", () => {
  const c = cfg({ type: "community", system_id: "id1", secret: "sec", backup_url: "https://backupd.nethesis.it/" });
  const t = remoteTarget(c, {});
  assert.is(t.base, "https://backupd.nethesis.it/community/api/v2/backup/");
  assert.equal(t.auth, { basic: { user: "id1", password: "sec" } });
  assert.is(t.proxyUrl, undefined);
  const e = remoteTarget(cfg({ type: "enterprise", system_id: "id1", secret: "sec", backup_url: "https://b.example/x" }), {});
  assert.is(e.base, "https://b.example/x/enterprise/api/v2/backup/");
  assert.is(e.proxyUrl, "https://my.nethesis.it/proxy/backup");
  const o = remoteTarget(cfg({ type: "enterprise", system_id: "i", secret: "s", backup_url: "http://127.0.0.1:1" }), {
    NS_PLUG_ENTERPRISE_PORTAL: "http://127.0.0.1:9999",
  });
  assert.is(o.proxyUrl, "http://127.0.0.1:9999/proxy/backup");
  assert.is(backupProxyUrl({}), "https://my.nethesis.it/proxy/backup");
});

test("remote target: missing id, secret, url or type → the SPEC message", () => {
  const full = { type: "community", system_id: "id1", secret: "sec", backup_url: "https://b" };
  for (const k of ["type", "system_id", "secret", "backup_url"]) {
    const o: Record<string, string> = { ...full };
    delete o[k];
    assert.throws(() => remoteTarget(cfg(o), {}), (e: unknown) => e instanceof BackupError && e.message === NOT_CONFIGURED && e.exitCode === 1, k);
  }
  assert.throws(() => remoteTarget(cfg({ ...full, backup_url: "ftp://x" }), {}), /http/);
  assert.throws(() => remoteTarget(cfg({ ...full, backup_url: "not a url" }), {}), /valid URL/);
  assert.ok(isRegistered(cfg(full)));
  assert.not.ok(isRegistered(cfg({ system_id: "x" })));
});

test("credentials in backup_url never reach the base URL", () => {
  const t = remoteTarget(cfg({ type: "community", system_id: "i", secret: "s", backup_url: "https://u:p@b.example" }), {});
  assert.is(t.base, "https://b.example/community/api/v2/backup/");
});

test("gpg argv: passphrase only through fd 3, AES256, private home, no gpg2-only option; nothing secret in argv", () => {
  const enc = encryptArgs("/h", "/in", "/out");
  assert.ok(enc.includes("--passphrase-fd") && enc[enc.indexOf("--passphrase-fd") + 1] === "3");
  for (const flag of ["--batch", "--yes", "--symmetric"]) assert.ok(enc.includes(flag), flag);
  assert.is(enc[enc.indexOf("--cipher-algo") + 1], "AES256");
  // GnuPG 1.4.23, the router's gpg, refuses it: "gpg: Invalid option --no-autostart", exit 2.
  assert.not.ok([...enc, ...decryptArgs("/h", "/in", "/out")].includes("--no-autostart"));
  assert.equal(enc.slice(0, 2), ["--homedir", "/h"]);
  assert.not.ok(enc.some((a) => a.startsWith("--passphrase") && a !== "--passphrase-fd"));
  const dec = decryptArgs("/h", "/in", "/out");
  assert.ok(dec.includes("--decrypt") && dec.includes("--passphrase-fd"));
});

test("isGzip, local names, upload names", () => {
  assert.ok(isGzip(new Uint8Array([0x1f, 0x8b, 8, 0])));
  assert.not.ok(isGzip(new Uint8Array([0x8c, 0x0d])));
  assert.not.ok(isGzip(new Uint8Array([])));
  const n = localBackupName(new Date(1700000000000), () => 0.5, true);
  assert.match(n, /^backup-1700000000-[a-z0-9]{12}\.tar\.gz\.gpg$/);
  assert.match(localBackupName(new Date(0), () => 0.123, false), /\.tar\.gz$/);
  assert.is(uploadedFile("upload-1e20f4b3"), "/var/run/ns-api-server/uploads/upload-1e20f4b3");
  for (const bad of ["", "../x", "a/b", ".hidden", "..", "a\\b"]) assert.throws(() => uploadedFile(bad), undefined, bad);
});

test.run();
