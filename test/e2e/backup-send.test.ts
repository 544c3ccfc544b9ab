/**
 * send-backup end to end: the built bundle on a test root, the sysupgrade
 * stand-in, real gpg, and the loopback backupd. What is asserted is what an
 * admin would see: uploads received, /etc/backup.md5, files left behind,
 * exit codes and messages.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { runBundle, startBundle } from "../helpers/bundle";
import { startServer } from "../helpers/servers";
import { testdir } from "../helpers/testdir";
import { nsPlugConfig, PASSPHRASE, registeredRoot, SECRET, SYSTEM_ID, type Fixture } from "./backup-fixture";

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)).concat(`${join(dir, e.name)}/`) : [join(dir, e.name)],
  );
}

/** Nothing may stay in /var/backup, and no archive anywhere in the root. */
function assertNoLeftovers(f: Fixture): void {
  assert.equal(walk(f.dir.path("/var/backup")), [], "/var/backup must be empty");
  const archives = walk(f.dir.root).filter((p) => /\.tar\.gz(\.gpg)?$|\.tmp$/.test(p));
  assert.equal(archives, [], "no archive or temp file left in the root");
}

const puts = (f: Fixture) => f.backupd.requests.filter((r) => r.method === "PUT").length;

/** Decrypt an uploaded body with the real gpg and list the tar inside. */
function decryptAndList(f: Fixture, stored: string): string[] {
  const home = f.dir.path("/tmp/gnupg-check");
  execFileSync("mkdir", ["-p", "-m", "700", home]);
  const plain = execFileSync(
    "gpg",
    ["--homedir", home, "--batch", "--no-autostart", "--passphrase-fd", "0", "--decrypt", stored],
    { input: `${PASSPHRASE}\n`, stdio: ["pipe", "pipe", "ignore"] },
  );
  rmSync(home, { recursive: true, force: true });
  return execFileSync("tar", ["-tz"], { input: plain }).toString().split("\n").filter(Boolean);
}

test("not registered: exit 0, nothing made, nothing sent", async () => {
  const f = await registeredRoot();
  try {
    f.dir.write("/etc/config/ns-plug", nsPlugConfig({ type: "community", backupUrl: f.backupd.url }));
    const r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(f.backupd.requests.length, 0);
    assert.not.ok(f.dir.exists("/etc/backup.md5"));
    assertNoLeftovers(f);
  } finally {
    await f.cleanup();
  }
});

test("change detection: first run uploads; unchanged, touched-only → nothing; added, edited, removed → upload", async () => {
  const f = await registeredRoot();
  try {
    let r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(puts(f), 1, "first run uploads");
    const first = f.backupd.backups[0]!;
    assert.match(first.name, /^backup-\d+\.tar\.gz\.gpg$/);
    assert.is(f.backupd.requests.find((q) => q.method === "PUT")!.path, `/community/api/v2/backup/${first.name}`);
    const stored = readFileSync(first.path);
    assert.not.ok(stored[0] === 0x1f && stored[1] === 0x8b, "what is uploaded is not a plain gzip");
    const inside = decryptAndList(f, first.path);
    for (const p of ["etc/config/network", "etc/config/ns-plug", "etc/backup.pass", "etc/ssl/private/site.key"]) {
      assert.ok(inside.includes(p), `${p} is in the backup: ${inside.join(", ")}`);
    }
    const digest1 = f.dir.read("/etc/backup.md5").trim();
    assert.match(digest1, /^[0-9a-f]{32}$/);
    assert.is(f.dir.mode("/etc/backup.md5"), 0o600);
    assertNoLeftovers(f);

    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(puts(f), 1, "nothing changed: no upload");
    assert.match(r.stderr, /unchanged/);

    const net = f.dir.path("/etc/config/network");
    const later = new Date(statSync(net).mtimeMs + 3_600_000);
    utimesSync(net, later, later);
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(puts(f), 1, "a touched but identical file is not a change");
    assert.is(f.dir.read("/etc/backup.md5").trim(), digest1);

    f.dir.write("/etc/config/dhcp", "\nconfig dnsmasq\n");
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(puts(f), 2, "an added file is a change");
    assert.is.not(f.dir.read("/etc/backup.md5").trim(), digest1);

    f.dir.write("/etc/config/dhcp", "\nconfig dnsmasq\n\toption domain 'lan'\n");
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(puts(f), 3, "an edited file is a change");

    rmSync(f.dir.path("/etc/config/dhcp"));
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(puts(f), 4, "a removed file is a change");
    assert.is(f.dir.read("/etc/backup.md5").trim(), digest1, "back to the first content, back to its digest");
    assertNoLeftovers(f);
  } finally {
    await f.cleanup();
  }
});

test("acme.sh's /etc/acme/http.header: kept out of the archive and the digest, put back; rewriting it alone uploads nothing", async () => {
  const f = await registeredRoot();
  try {
    // /etc/acme is kept by sysupgrade (acme's keep.d list); http.header is its scratch file.
    f.dir.write("/lib/upgrade/keep.d/acme", "/etc/acme\n");
    f.dir.write("/etc/acme/example.org/example.org.key", "-----BEGIN KEY-----\nk\n-----END KEY-----\n", 0o600);
    f.dir.write("/etc/acme/http.header", "HTTP/1.1 200 OK\r\nReplay-Nonce: one\r\n", 0o640);
    let r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(puts(f), 1);
    const inside = decryptAndList(f, f.backupd.backups[0]!.path);
    assert.ok(inside.includes("etc/acme/example.org/example.org.key"), inside.join(", "));
    assert.not.ok(inside.includes("etc/acme/http.header"), "the header is not in the archive");
    assert.is(f.dir.read("/etc/acme/http.header"), "HTTP/1.1 200 OK\r\nReplay-Nonce: one\r\n", "put back as it was");
    assert.is(f.dir.mode("/etc/acme/http.header"), 0o640);

    // An acme.sh run rewrites only the header: no upload.
    f.dir.write("/etc/acme/http.header", "HTTP/1.1 200 OK\r\nReplay-Nonce: two\r\n");
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(puts(f), 1, "a new acme header alone is not a change");
    assert.match(r.stderr, /unchanged/);
    assert.match(f.dir.read("/etc/acme/http.header"), /two/);
    // A renewed certificate is.
    f.dir.write("/etc/acme/example.org/example.org.key", "-----BEGIN KEY-----\nk2\n-----END KEY-----\n", 0o600);
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(puts(f), 2, "a changed certificate is a change");
    assertNoLeftovers(f);
  } finally {
    await f.cleanup();
  }
});

test("a failed upload (500) exits 1, keeps the old digest, and the next run uploads", async () => {
  const f = await registeredRoot();
  try {
    assert.is((await runBundle(["send-backup"], { dir: f.dir })).code, 0);
    const digest1 = f.dir.read("/etc/backup.md5");
    f.dir.write("/etc/config/new", "\nconfig x\n");
    f.backupd.fail = 500;
    let r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ns-plug: send-backup: .*HTTP 500/m);
    assert.is(f.dir.read("/etc/backup.md5"), digest1, "digest not saved after a failed upload");
    assertNoLeftovers(f);
    f.backupd.fail = undefined;
    const before = f.backupd.backups.length;
    r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(f.backupd.backups.length, before + 1, "the next run retries the upload");
    assert.is.not(f.dir.read("/etc/backup.md5"), digest1);
  } finally {
    await f.cleanup();
  }
});

test("no passphrase (missing or empty file): exit 4, clear message, zero uploads, no plaintext left", async () => {
  const f = await registeredRoot({ passphrase: null });
  try {
    for (const setup of [() => {}, () => f.dir.write("/etc/backup.pass", "", 0o600), () => f.dir.write("/etc/backup.pass", "\n", 0o600)]) {
      setup();
      const r = await runBundle(["send-backup"], { dir: f.dir });
      assert.is(r.code, 4, r.stderr);
      assert.match(r.stderr, /^ns-plug: send-backup: no backup passphrase .*refusing to upload an unencrypted backup/m);
      assert.is(r.stderr.trim().split("\n").length, 1, "one line");
      assert.is(f.backupd.requests.length, 0, "nothing reaches backupd");
      assert.not.ok(f.dir.exists("/etc/backup.md5"));
      assertNoLeftovers(f);
    }
  } finally {
    await f.cleanup();
  }
});

test("registered without backup_url: exit 1 with the SPEC message", async () => {
  const f = await registeredRoot();
  try {
    f.dir.write("/etc/config/ns-plug", nsPlugConfig({ type: "community", systemId: SYSTEM_ID, secret: SECRET }));
    const r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /System ID, system secret or backup url not found/);
  } finally {
    await f.cleanup();
  }
});

test("sysupgrade failing: exit 1 with its message, nothing uploaded, nothing left", async () => {
  const f = await registeredRoot();
  try {
    f.dir.standin("sysupgrade", "echo 'no space left on device' >&2; exit 3");
    const r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /sysupgrade -b failed \(exit status 3: no space left on device\)/);
    assert.is(f.backupd.requests.length, 0);
    assertNoLeftovers(f);
  } finally {
    await f.cleanup();
  }
});

test("SIGTERM during a slow upload: temp files removed, no digest saved, killed by SIGTERM", async () => {
  const f = await registeredRoot();
  try {
    f.backupd.delayMs = 60_000;
    const started = f.backupd.uploadStarted();
    const child = startBundle(["send-backup"], { dir: f.dir });
    let stderr = "";
    child.stderr!.on("data", (b) => (stderr += b));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on("close", (code, signal) => r({ code, signal })),
    );
    await started;
    assert.ok(walk(f.dir.path("/var/backup")).length > 0, "the workspace exists while uploading");
    child.kill("SIGTERM");
    const end = await exited;
    assert.is(end.signal, "SIGTERM", `exit ${end.code}: ${stderr}`);
    assert.not.ok(f.dir.exists("/etc/backup.md5"));
    assertNoLeftovers(f);
  } finally {
    await f.cleanup();
  }
});

test("SIGTERM while sysupgrade runs: the child is stopped first, then its half-written archive removed", async () => {
  const f = await registeredRoot();
  try {
    // Writes part of the archive, then hangs (exec: the pid stays the one recorded).
    f.dir.standin("sysupgrade", `echo $$ > "$NS_PLUG_ROOT/sysupgrade.pid"\neval "out=\\\${$#}"\necho partial > "$out"\nexec sleep 30`);
    const child = startBundle(["send-backup"], { dir: f.dir });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("close", (_c, s) => r(s)));
    const deadline = Date.now() + 20_000;
    while (!walk(f.dir.path("/var/backup")).some((p) => p.endsWith(".tar.gz")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(walk(f.dir.path("/var/backup")).some((p) => p.endsWith(".tar.gz")), "sysupgrade started writing");
    const pid = Number(f.dir.read("/sysupgrade.pid").trim());
    child.kill("SIGTERM");
    assert.is(await exited, "SIGTERM");
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    assert.ok(state === "" || state === "Z" || state === "X", `sysupgrade (pid ${pid}) was stopped, state ${state}`);
    assertNoLeftovers(f);
    assert.is(f.backupd.requests.length, 0);
  } finally {
    await f.cleanup();
  }
});

test("enterprise: the upload is also POSTed to <portal>/proxy/backup (basic auth, X-Filename); its failure is not fatal", async () => {
  const f = await registeredRoot({ type: "enterprise" });
  let status = 200;
  const portal = await startServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end("{}");
  });
  try {
    const env = { NS_PLUG_ENTERPRISE_PORTAL: portal.url };
    let r = await runBundle(["send-backup"], { dir: f.dir, env });
    assert.is(r.code, 0, r.stderr);
    const b = f.backupd.backups[0]!;
    assert.is(f.backupd.requests.find((q) => q.method === "PUT")!.path, `/enterprise/api/v2/backup/${b.name}`);
    const post = portal.requests.find((q) => q.path === "/proxy/backup")!;
    assert.ok(post, "proxy received the backup");
    assert.is(post.method, "POST");
    assert.is(post.headers["content-type"], "application/octet-stream");
    assert.is(post.headers["x-filename"], b.name);
    assert.is(post.headers.authorization, `Basic ${Buffer.from(`${SYSTEM_ID}:${SECRET}`).toString("base64")}`);
    assert.ok(post.body.equals(readFileSync(b.path)), "the proxy gets the same encrypted bytes");

    status = 500;
    f.dir.write("/etc/config/more", "\nconfig y\n");
    const digest = f.dir.read("/etc/backup.md5");
    r = await runBundle(["send-backup"], { dir: f.dir, env });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: backup proxy .*HTTP 500/);
    assert.is(f.backupd.backups.length, 2);
    assert.is.not(f.dir.read("/etc/backup.md5"), digest, "backupd took it: the digest is saved");
  } finally {
    await portal.close();
    await f.cleanup();
  }
});

test("send-backup --help: exit 0, mentions the passphrase and exit 4", async () => {
  const dir = testdir();
  try {
    const r = await runBundle(["send-backup", "--help"], { dir });
    assert.is(r.code, 0);
    assert.match(r.stdout, /backup\.pass/);
    assert.match(r.stdout, /4 no passphrase/);
  } finally {
    dir.cleanup();
  }
});

test.run();
