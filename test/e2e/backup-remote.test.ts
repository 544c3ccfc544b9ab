/**
 * remote-backup end to end against the loopback backupd: list shapes,
 * download to a file / stdout, streamed upload, delete, redirects that keep
 * the credentials, 401/500, missing config, hostile ids.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE, bundleEnv, runBundle, type RunResult } from "../helpers/bundle";
import type { TestDir } from "../helpers/testdir";
import { nsPlugConfig, registeredRoot, SECRET, SYSTEM_ID } from "./backup-fixture";

const BASIC = `Basic ${Buffer.from(`${SYSTEM_ID}:${SECRET}`).toString("base64")}`;

/** Run the bundle in a given working directory, stdout as bytes. */
function runIn(dir: TestDir, cwd: string, args: string[]): Promise<RunResult & { out: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { cwd, env: bundleEnv({ dir }), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b) => (stderr += b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const buf = Buffer.concat(out);
      resolve({ code, signal, stdout: buf.toString("utf8"), stderr, out: buf });
    });
  });
}

const noSecret = (r: RunResult) => {
  assert.not.ok(r.stdout.includes(SECRET) || r.stderr.includes(SECRET), "the secret is never printed");
};

test("list: v2 answer normalised, newest first, each with file = id; --raw unchanged; bare command lists", async () => {
  const f = await registeredRoot();
  try {
    f.backupd.seed("backup-1.tar.gz.gpg", "one", { created: 1700000000 });
    f.backupd.seed("backup-3.tar.gz.gpg", "three", { created: 1700000300 });
    f.backupd.seed("backup-2.tar.gz.gpg", "two", { created: 1700000100 });
    const r = await runBundle(["remote-backup", "list"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.equal(list.map((i) => i.name), ["backup-3.tar.gz.gpg", "backup-2.tar.gz.gpg", "backup-1.tar.gz.gpg"]);
    for (const i of list) {
      assert.is(i.file, i.id);
      assert.equal(Object.keys(i).sort(), ["created", "file", "id", "mimetype", "name", "size"]);
    }
    const req = f.backupd.requests.at(-1)!;
    assert.is(req.method, "GET");
    assert.is(req.path, "/community/api/v2/backup/");
    assert.is(req.headers.authorization, BASIC);

    const raw = await runBundle(["remote-backup", "list", "--raw"], { dir: f.dir });
    assert.is(raw.code, 0);
    const direct = await fetch(`${f.backupd.url}/community/api/v2/backup/`, { headers: { authorization: BASIC } });
    assert.is(raw.stdout, await direct.text(), "--raw prints the server's answer byte for byte");

    const bare = await runBundle(["remote-backup"], { dir: f.dir });
    assert.is(bare.code, 0);
    assert.is(bare.stdout, r.stdout);
    noSecret(r);
  } finally {
    await f.cleanup();
  }
});

test("list: the old bare-array shape works the same", async () => {
  const f = await registeredRoot({ backupd: { legacyList: true } });
  try {
    f.backupd.seed("old.tar.gz", "a", { created: 1600000000 });
    f.backupd.seed("new.tar.gz", "b", { created: 1600000500 });
    const r = await runBundle(["remote-backup", "list"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.equal(list.map((i) => i.name), ["new.tar.gz", "old.tar.gz"]);
    assert.is(list[0]!.file, f.backupd.backups[1]!.id);
  } finally {
    await f.cleanup();
  }
});

test("download: to stdout with -, to a named file, and to a file named after the id in the working directory", async () => {
  const f = await registeredRoot();
  try {
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256));
    const b = f.backupd.seed("big.tar.gz.gpg", data);
    const cwd = f.dir.path("/root");
    mkdirSync(cwd, { recursive: true });
    const toStdout = await runIn(f.dir, cwd, ["remote-backup", "download", b.id, "-"]);
    assert.is(toStdout.code, 0, toStdout.stderr);
    assert.ok(toStdout.out.equals(data), "stdout carries the exact bytes");

    const named = await runIn(f.dir, cwd, ["remote-backup", "download", b.id, "saved.gpg"]);
    assert.is(named.code, 0, named.stderr);
    assert.ok(readFileSync(join(cwd, "saved.gpg")).equals(data));
    assert.is(named.stdout, "");

    const byId = await runIn(f.dir, cwd, ["remote-backup", "download", b.id]);
    assert.is(byId.code, 0, byId.stderr);
    assert.ok(readFileSync(join(cwd, b.id)).equals(data));
    assert.equal(readdirSync(cwd).sort(), [b.id, "saved.gpg"].sort(), "no temp file left");
  } finally {
    await f.cleanup();
  }
});

test("hostile id ../../etc/shadow: one URL segment at the server, and the local file stays in the working directory", async () => {
  const f = await registeredRoot();
  try {
    const b = f.backupd.seed("evil", "payload", { id: "../../etc/shadow" });
    f.dir.write("/etc/shadow", "root:x:0:\n");
    const cwd = f.dir.path("/home/admin/work");
    mkdirSync(cwd, { recursive: true });
    const r = await runIn(f.dir, cwd, ["remote-backup", "download", b.id]);
    assert.is(r.code, 0, r.stderr);
    assert.is(f.backupd.requests.at(-1)!.path, "/community/api/v2/backup/..%2F..%2Fetc%2Fshadow");
    assert.equal(readdirSync(cwd), ["shadow"]);
    assert.is(readFileSync(join(cwd, "shadow"), "utf8"), "payload");
    assert.is(f.dir.read("/etc/shadow"), "root:x:0:\n", "nothing written outside the target");
    for (const bad of ["..", "."]) {
      const x = await runIn(f.dir, cwd, ["remote-backup", "download", bad]);
      assert.is(x.code, 1, `${bad}: ${x.stderr}`);
      assert.match(x.stderr, /backup id/);
    }
  } finally {
    await f.cleanup();
  }
});

test("upload: a streamed PUT to <base><basename> with the exact bytes and a Content-Length", async () => {
  const f = await registeredRoot();
  try {
    const file = f.dir.path("/tmp/my backup.tar.gz.gpg");
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a);
    writeFileSync(file, data);
    const r = await runBundle(["remote-backup", "upload", file.slice(f.dir.root.length)], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    const put = f.backupd.requests.find((q) => q.method === "PUT")!;
    assert.is(put.path, "/community/api/v2/backup/my%20backup.tar.gz.gpg");
    assert.is(put.headers["content-length"], String(data.length));
    assert.is(put.headers.authorization, BASIC);
    assert.is(f.backupd.backups[0]!.name, "my backup.tar.gz.gpg");
    assert.is(f.backupd.backups[0]!.md5, createHash("md5").update(data).digest("hex"));
    assert.match(r.stdout, /"result":"success"/);
    const missing = await runBundle(["remote-backup", "upload", "/tmp/nope"], { dir: f.dir });
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /no such file/);
  } finally {
    await f.cleanup();
  }
});

test("delete: prints the server's JSON; an unknown id is a 404 failure", async () => {
  const f = await registeredRoot();
  try {
    const b = f.backupd.seed("x.tar.gz.gpg", "x");
    const r = await runBundle(["remote-backup", "delete", b.id], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout), { result: "success" });
    assert.is(f.backupd.backups.length, 0);
    const again = await runBundle(["remote-backup", "delete", b.id], { dir: f.dir });
    assert.is(again.code, 1);
    assert.match(again.stderr, /^ns-plug: delete .*HTTP 404 \(not found\)$/m);
  } finally {
    await f.cleanup();
  }
});

test("redirect to another origin keeps the credentials (list, download and a re-sent upload body)", async () => {
  const f = await registeredRoot({ redirect: true });
  try {
    const b = f.backupd.seed("r.tar.gz.gpg", "redirected bytes");
    const list = await runBundle(["remote-backup", "list"], { dir: f.dir });
    assert.is(list.code, 0, list.stderr);
    assert.is(JSON.parse(list.stdout)[0].file, b.id);
    assert.ok(f.backupd.redirectRequests.length >= 1, "the first origin answered with a redirect");
    assert.ok(f.backupd.url !== f.backupd.redirectUrl);
    assert.is(f.backupd.requests.at(-1)!.headers.authorization, BASIC, "credentials arrived after the redirect");

    const cwd = f.dir.path("/root");
    mkdirSync(cwd, { recursive: true });
    const dl = await runIn(f.dir, cwd, ["remote-backup", "download", b.id, "-"]);
    assert.is(dl.stdout, "redirected bytes");

    f.dir.write("/tmp/up.gpg", "uploaded through a 307");
    const up = await runBundle(["remote-backup", "upload", "/tmp/up.gpg"], { dir: f.dir });
    assert.is(up.code, 0, up.stderr);
    const stored = f.backupd.backups.find((x) => x.name === "up.gpg")!;
    assert.is(readFileSync(stored.path, "utf8"), "uploaded through a 307");
  } finally {
    await f.cleanup();
  }
});

test("401 (wrong secret) and 500: exit 1 with the status in one clear line, secret never shown", async () => {
  const f = await registeredRoot();
  try {
    f.dir.write("/etc/config/ns-plug", nsPlugConfig({ type: "community", systemId: SYSTEM_ID, secret: "wrong-secret-value", backupUrl: f.backupd.url }));
    for (const args of [["list"], ["download", "abc", "-"], ["delete", "abc"]]) {
      const r = await runBundle(["remote-backup", ...args], { dir: f.dir });
      assert.is(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /^ns-plug: .*backupd http:\/\/127\.0\.0\.1:\d+\/community\/api\/v2\/backup\/\S* answered HTTP 401 \(system_id\/secret refused\)\n$/);
      assert.not.ok(r.stderr.includes("wrong-secret-value"));
    }
    f.dir.write("/etc/config/ns-plug", nsPlugConfig({ type: "community", systemId: SYSTEM_ID, secret: SECRET, backupUrl: f.backupd.url }));
    f.backupd.fail = 500;
    const r = await runBundle(["remote-backup", "list"], { dir: f.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /answered HTTP 500/);
    assert.is(r.stdout, "");
    f.dir.write("/tmp/u", "x");
    const up = await runBundle(["remote-backup", "upload", "/tmp/u"], { dir: f.dir });
    assert.is(up.code, 1);
    assert.match(up.stderr, /upload u: backupd .* answered HTTP 500/);
    noSecret(up);
  } finally {
    await f.cleanup();
  }
});

test("missing system_id, secret or backup_url: every subcommand exits 1 with the SPEC message", async () => {
  const f = await registeredRoot();
  try {
    for (const cfg of [
      nsPlugConfig({ type: "community", secret: SECRET, backupUrl: f.backupd.url }),
      nsPlugConfig({ type: "community", systemId: SYSTEM_ID, backupUrl: f.backupd.url }),
      nsPlugConfig({ type: "community", systemId: SYSTEM_ID, secret: SECRET }),
    ]) {
      f.dir.write("/etc/config/ns-plug", cfg);
      for (const args of [["list"], ["download", "x"], ["upload", "/etc/config/network"], ["delete", "x"]]) {
        const r = await runBundle(["remote-backup", ...args], { dir: f.dir });
        assert.is(r.code, 1);
        assert.is(r.stderr, "ns-plug: System ID, system secret or backup url not found\n");
      }
    }
    assert.is(f.backupd.requests.length, 0);
  } finally {
    await f.cleanup();
  }
});

test("usage errors exit 2; --help exits 0", async () => {
  const f = await registeredRoot();
  try {
    for (const args of [["frob"], ["download"], ["delete"], ["upload"], ["list", "extra"]]) {
      const r = await runBundle(["remote-backup", ...args], { dir: f.dir });
      assert.is(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^ns-plug: remote-backup/);
    }
    const h = await runBundle(["remote-backup", "--help"], { dir: f.dir });
    assert.is(h.code, 0);
    assert.match(h.stdout, /download <id> \[output\]/);
    assert.is(f.backupd.requests.length, 0);
  } finally {
    await f.cleanup();
  }
});

test.run();
