/**
 * Issue 13 §1–4: every attack a local unprivileged user (uid 65534) can make
 * through the world-writable /tmp and /var, against a test root where both
 * are 1777 as on OpenWrt. Each attack must fail every time:
 *  - the symlink-flip race on the code cache directory ($TMPDIR/ns-plug-cache),
 *    with a V8 cache that would print PWNED if it were ever loaded;
 *  - the workspace swap during send-backup (plaintext archive theft);
 *  - links and directories planted at every state path (setuid file, writes
 *    through a link, reads of the attacker's data);
 *  - a missing config file created under umask 022 must be 0600.
 * docs/security.md lists the defences these exercise.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import * as vm from "node:vm";
import { createFs } from "../../src/platform/fs";
import { makeResolver } from "../../src/platform/paths";
import { commitPackage, loadPackage } from "../../src/platform/uci/store";
import { INVENTORY_STATUS_FILE } from "../../src/portal/status";
import { BOOT_MARKER } from "../../src/controller/pacing";
import { RSYSLOG_FILE } from "../../src/controller/paths";
import { DOWNLOAD_DIR, UPLOAD_DIR, WORK_DIR } from "../../src/backup/paths";
import { BUNDLE, runBundle } from "../helpers/bundle";
import { call } from "../helpers/rpcd";
import { testdir, type TestDir } from "../helpers/testdir";
import { startBackupd, type Backupd } from "../servers/backupd";
import { startPortal } from "../servers/portal";
import { asNobody, NOBODY, openRoot, startNobody, walk } from "./lib/nobody";
import { backupRoot, portalRoot, SECRET, SYSTEM_ID } from "./lib/roots";

process.umask(0o022);

/** Files under a directory nobody owns must all be nobody's: root never wrote into the attacker's places. */
function rootWroteIntoNobodys(roots: string[]): string[] {
  const bad: string[] = [];
  for (const r of roots) {
    for (const p of walk(r)) {
      const parent = lstatSync(dirname(p));
      if (parent.uid === NOBODY && lstatSync(p).uid !== NOBODY) bad.push(p);
    }
  }
  return bad;
}

// ---------------------------------------------------------------- 1. code cache

/** A V8 cache made from *other* code of the same length as the bundle's program: it prints PWNED. */
function evilCache(): Buffer {
  const text = readFileSync(BUNDLE, "utf8");
  const marker = "\nnsPlugLoad(";
  const source = JSON.parse(text.slice(text.lastIndexOf(marker) + marker.length, text.lastIndexOf(");"))) as string;
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const head = `(function (exports, require, module, __filename, __dirname) {process.stdout.write("PWNED\\n");/*`;
  const tail = "*/\n})";
  const evil = head + "x".repeat(wrapper.length - head.length - tail.length) + tail;
  return new vm.Script(evil, { filename: BUNDLE }).createCachedData();
}

function cacheName(): string {
  const st = statSync(BUNDLE);
  return `${process.version}-${process.arch}-${st.size}-${Math.floor(st.mtimeMs)}---help.v8`;
}

test("code cache: the symlink-flip race (25 runs) never loads the attacker's cache nor touches the link's target", async () => {
  const dir = testdir();
  openRoot(dir);
  const T = dir.path("/tmp");
  const victim = dir.path("/etc/victim");
  mkdirSync(victim, { mode: 0o755 });
  writeFileSync(join(victim, "keep.v8"), "root's file");
  // The attacker's own directory, holding a cache that V8 would accept (same source length).
  writeFileSync(join(T, "evil.bin"), evilCache(), { mode: 0o644 });
  assert.is(asNobody(`mkdir -m 755 '${T}/evil' && cp '${T}/evil.bin' '${T}/evil/${cacheName()}'`).code, 0);
  const flip = startNobody(
    `while :; do ln -sfn '${victim}' '${T}/.l1'; mv -T '${T}/.l1' '${T}/ns-plug-cache' 2>/dev/null; ` +
      `ln -sfn '${T}/evil' '${T}/.l2'; mv -T '${T}/.l2' '${T}/ns-plug-cache' 2>/dev/null; done`,
  );
  try {
    for (let i = 0; i < 25; i++) {
      // Replay the race every run: our directory goes, the flipping link comes back.
      const cur = lstatSync(join(T, "ns-plug-cache"), { throwIfNoEntry: false });
      if (cur?.isDirectory() && cur.uid === 0) rmSync(join(T, "ns-plug-cache"), { recursive: true, force: true });
      const r = await runBundle(["--help"], { env: { TMPDIR: T } });
      assert.is(r.code, 0, r.stderr);
      assert.not.match(r.stdout, /PWNED/, `run ${i}: the attacker's cache was loaded`);
      assert.match(r.stdout, /Commands:/);
      assert.equal(readdirSync(victim), ["keep.v8"], `run ${i}: the link's target was written or cleaned`);
    }
  } finally {
    await flip.stop();
  }
  assert.is(readFileSync(join(victim, "keep.v8"), "utf8"), "root's file");
  assert.equal(rootWroteIntoNobodys([T]), []);
  dir.cleanup();
});

// ---------------------------------------------------------------- 2. backup workspace

let backupd: Backupd;

const SWAP = `
while :; do
  mkdir -m 777 "$V/backup" 2>/dev/null
  for d in "$V"/backup/.work-*; do
    [ -d "$d" ] || continue
    n=$(date +%s%N); mv "$d" "$L/w$n" 2>/dev/null && mkdir -m 777 "$d" 2>/dev/null
  done
  for f in "$V"/backup/*/* "$V"/backup/.work-*/* "$L"/w*/*; do
    [ -f "$f" ] && cp "$f" "$L/c$(date +%s%N)" 2>/dev/null
  done
done`;

/** Files the attacker holds or could read that begin like a gzip: the plaintext archive. */
function stolenArchives(dir: TestDir): string[] {
  return [...walk(dir.path("/tmp")), ...walk(dir.path("/var"))].filter((p) => {
    const st = lstatSync(p);
    if (!st.isFile() || st.size < 2) return false;
    const readable = st.uid === NOBODY || (st.mode & 0o004) !== 0 || lstatSync(dirname(p)).uid === NOBODY;
    return readable && readFileSync(p).subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]));
  });
}

test("backup workspace: an attacker-owned /var/backup and a swap loop during send-backup never get the plaintext archive", async () => {
  backupd = await startBackupd({ systemId: SYSTEM_ID, secret: SECRET });
  const dir = backupRoot(backupd.url);
  try {
    openRoot(dir);
    rmSync(dir.path("/var/backup"), { recursive: true, force: true });
    const V = dir.path("/var");
    const L = dir.path("/tmp/loot");
    assert.is(asNobody(`mkdir -m 777 '${V}/backup' '${L}'`).code, 0);
    const swap = startNobody(SWAP, { V, L });
    let sent = 0;
    try {
      for (let i = 0; i < 4; i++) {
        dir.write("/etc/config/round", `\nconfig round 'r'\n\toption n '${i}'\n`);
        const r = await runBundle(["send-backup"], { dir, timeoutMs: 120_000 });
        // Either sent from a private workspace, or refused: never "success" from the attacker's directory.
        if (r.code === 0) sent++;
        else assert.match(r.stderr, /refused|no longer a private directory|keeps being replaced/, r.stderr);
      }
    } finally {
      await swap.stop();
    }
    assert.equal(stolenArchives(dir), [], "a plaintext archive reached the attacker");
    assert.equal(rootWroteIntoNobodys([dir.path("/var"), dir.path("/tmp")]), []);
    assert.ok(sent >= 1, "send-backup still works with the attacker around");
    assert.is(backupd.requests.filter((q) => q.method === "PUT").length, sent);
    const own = statSync(dir.path("/var/backup"));
    assert.is(own.uid, 0);
    assert.is(own.mode & 0o777, 0o700);
  } finally {
    dir.cleanup();
  }
});

test("backup workspace: a /var others can swap entries in (not sticky) → send-backup fails, nothing written there", async () => {
  const dir = backupRoot(backupd.url);
  try {
    openRoot(dir);
    chmodSync(dir.path("/var"), 0o777); // no sticky bit: others may rename root's entries
    rmSync(dir.path("/var/backup"), { recursive: true, force: true });
    assert.is(asNobody(`mkdir -m 777 '${dir.path("/var/backup")}'`).code, 0);
    const before = backupd.requests.length;
    const r = await runBundle(["send-backup"], { dir, timeoutMs: 120_000 });
    assert.is.not(r.code, 0, "must fail rather than write there");
    assert.match(r.stderr, /refused: writable by others/);
    assert.is(backupd.requests.length, before, "nothing sent");
    assert.equal(readdirSync(dir.path("/var/backup")), [], "nothing written into the attacker's directory");
  } finally {
    dir.cleanup();
    await backupd.close();
  }
});

// ---------------------------------------------------------------- 3. state paths

type Plant = { name: string; script: (p: string, victim: string, theirs: string) => string };
const PLANTS: Plant[] = [
  { name: "link to root's file", script: (p, v) => `ln -s '${v}' '${p}'` },
  { name: "link to the attacker's 4777 file", script: (p, _v, t) => `ln -s '${t}' '${p}'` },
  { name: "attacker's directory", script: (p) => `mkdir -m 777 '${p}' && echo mine > '${p}/inside'` },
  { name: "attacker's 4777 file", script: (p) => `echo nobody > '${p}' && chmod 4777 '${p}'` },
];

/** A root with /tmp, /var 1777 and no /var/run, /var/etc: the attacker may make those too. */
function stateRoot(): { dir: TestDir; victim: string; theirs: string } {
  const dir = testdir();
  rmSync(dir.path("/var/run"), { recursive: true, force: true });
  openRoot(dir);
  dir.write("/etc/victim", "victim\n", 0o644);
  const theirs = dir.path("/tmp/theirs");
  assert.is(asNobody(`echo nobody > '${theirs}' && chmod 4777 '${theirs}'`).code, 0);
  return { dir, victim: dir.path("/etc/victim"), theirs };
}

for (const file of [INVENTORY_STATUS_FILE, BOOT_MARKER, RSYSLOG_FILE]) {
  test(`state file ${file}: planted links, files and directories never get root's write nor give their data`, async () => {
    for (const plant of PLANTS) {
      const { dir, victim, theirs } = stateRoot();
      try {
        const p = dir.path(file);
        const planted = asNobody(`mkdir -p '${dirname(p)}' 2>/dev/null; ${plant.script(p, victim, theirs)}`);
        assert.is(planted.code, 0, `${plant.name}: ${planted.out}`);
        const fs = createFs(makeResolver(dir.root));
        const read = await fs.readIfExists(file).catch((e: { code?: string }) => e.code);
        assert.ok(read === undefined || read === "EUNSAFE", `${plant.name}: read gave ${JSON.stringify(read)}`);
        const wrote = await fs.writeAtomic(file, "ours\n", { defaultMode: 0o644 }).then(
          () => "wrote",
          (e: { code?: string }) => e.code,
        );
        if (wrote === "wrote") {
          const st = lstatSync(p);
          assert.ok(st.isFile() && st.uid === 0, `${plant.name}: not root's regular file`);
          assert.is(st.mode & 0o7777, 0o644, `${plant.name}: mode`);
          assert.is(readFileSync(p, "utf8"), "ours\n");
        } else {
          assert.is(wrote, "EUNSAFE", `${plant.name}: ${wrote}`); // refused: a parent is the attacker's
        }
        assert.is(readFileSync(victim, "utf8"), "victim\n", `${plant.name}: wrote through a link`);
        assert.is(statSync(victim).mode & 0o7777, 0o644);
        assert.is(readFileSync(theirs, "utf8"), "nobody\n");
        assert.is(statSync(theirs).mode & 0o7777, 0o4777);
        assert.equal(rootWroteIntoNobodys([dir.path("/tmp"), dir.path("/var")]), [], plant.name);
      } finally {
        dir.cleanup();
      }
    }
  });
}

for (const d of [WORK_DIR, DOWNLOAD_DIR]) {
  test(`private directory ${d}: a planted link, file or directory is replaced by root's own 0700 directory (or refused)`, async () => {
    for (const plant of PLANTS) {
      const { dir, victim, theirs } = stateRoot();
      const victimDir = dir.path("/etc/victim-dir");
      mkdirSync(victimDir, { mode: 0o755 });
      try {
        const p = dir.path(d);
        const script = plant.name === "link to root's file" ? `ln -s '${victimDir}' '${p}'` : plant.script(p, victim, theirs);
        assert.is(asNobody(`mkdir -p '${dirname(p)}' 2>/dev/null; ${script}`).code, 0, plant.name);
        const fs = createFs(makeResolver(dir.root));
        const made = await fs.mkdirp(d, 0o700).then(() => "made", (e: { code?: string }) => e.code);
        if (made === "made") {
          const st = lstatSync(p);
          assert.ok(st.isDirectory() && st.uid === 0 && (st.mode & 0o777) === 0o700, `${plant.name}: not root's 0700 directory`);
          assert.equal(readdirSync(p), [], `${plant.name}: the attacker's entries came along`);
        } else assert.is(made, "EUNSAFE", plant.name);
        assert.equal(readdirSync(victimDir), []);
        assert.is(statSync(victimDir).mode & 0o777, 0o755, `${plant.name}: chmod through a link`);
        assert.is(statSync(theirs).mode & 0o7777, 0o4777);
        assert.equal(rootWroteIntoNobodys([dir.path("/tmp"), dir.path("/var")]), [], plant.name);
      } finally {
        dir.cleanup();
      }
    }
  });
}

test("upload directory: a file under a directory chain the attacker made (or a link there) is never read", async () => {
  for (const how of ["attacker's directories", "link to root's file"]) {
    const { dir, victim } = stateRoot();
    try {
      const up = dir.path(UPLOAD_DIR);
      const script =
        how === "attacker's directories"
          ? `mkdir -p '${up}' && echo fake > '${up}/backup.tar.gz'`
          : `mkdir -p '${dir.path("/var/run")}'`;
      assert.is(asNobody(script).code, 0, how);
      if (how === "link to root's file") {
        // /var/run made by root this time; the attacker can only plant in the upload dir if it is theirs: it is not.
        rmSync(dir.path("/var/run"), { recursive: true, force: true });
        mkdirSync(up, { recursive: true, mode: 0o755 });
        execFileSync("ln", ["-s", victim, `${up}/backup.tar.gz`]);
      }
      const fs = createFs(makeResolver(dir.root));
      const read = await fs.readBytes(`${UPLOAD_DIR}/backup.tar.gz`).then((b) => b.toString(), (e: { code?: string }) => e.code);
      assert.is(read, "EUNSAFE", how);
      assert.is(await fs.stat(`${UPLOAD_DIR}/backup.tar.gz`), undefined, how);
    } finally {
      dir.cleanup();
    }
  }
});

test("send-inventory: a link planted at /tmp/inventory-sent.json to a 4777 file never makes a setuid status file", async () => {
  const dir = portalRoot("community", "http://127.0.0.1:9");
  try {
    openRoot(dir);
    rmSync(dir.path(INVENTORY_STATUS_FILE), { force: true });
    const theirs = dir.path("/tmp/theirs");
    assert.is(asNobody(`echo nobody > '${theirs}' && chmod 4777 '${theirs}' && ln -s '${theirs}' '${dir.path(INVENTORY_STATUS_FILE)}'`).code, 0);
    await runBundle(["send-inventory"], { dir, timeoutMs: 120_000 }); // the portal is a closed port: it fails, and records that
    const st = lstatSync(dir.path(INVENTORY_STATUS_FILE));
    assert.ok(st.isFile() && st.uid === 0);
    assert.is(st.mode & 0o7777, 0o644);
    assert.match(readFileSync(dir.path(INVENTORY_STATUS_FILE), "utf8"), /"status":"error"/);
    assert.is(statSync(theirs).mode & 0o7777, 0o4777);
    assert.is(readFileSync(theirs, "utf8"), "nobody\n");
    // And the attacker can't rewrite it to fool the UI.
    assert.is.not(asNobody(`echo '{"status":"success"}' > '${dir.path(INVENTORY_STATUS_FILE)}'`).code, 0);
  } finally {
    dir.cleanup();
  }
});

// ---------------------------------------------------------------- 4. modes

test("a missing /etc/config/ns-plug is created 0600 under umask 022: register, ns.plug register, ns.subscription register", async () => {
  const portal = await startPortal({ systems: [{ type: "community", secret: SECRET, uuid: SYSTEM_ID }] });
  const bare = () => {
    const d = testdir({ "/etc/repo-channel": "stable\n" });
    d.standin("/sbin/hotplug-call");
    return d;
  };
  const join_code = Buffer.from(JSON.stringify({ fqdn: "ctl.example.org", token: "9f86d081884c7d65", unit_id: "7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8b" })).toString("base64");
  try {
    for (const how of ["register", "ns.plug register", "ns.subscription register"]) {
      const dir = bare();
      try {
        if (how === "register") {
          const r = await runBundle(["register", "community", SECRET], { dir, env: portal.env, timeoutMs: 120_000 });
          assert.is(r.code, 0, r.stderr);
        } else if (how === "ns.plug register") {
          const { answer } = await call(dir, "ns.plug", "register", { join_code, tls_verify: false, unit_name: "fw" });
          assert.equal(answer, { result: "success" });
        } else {
          const { answer } = await call(dir, "ns.subscription", "register", { secret: SECRET }, portal.env);
          assert.equal(answer, { result: "success" });
        }
        assert.ok(existsSync(dir.path("/etc/config/ns-plug")), how);
        assert.is(dir.mode("/etc/config/ns-plug"), 0o600, `${how}: the secret's file`);
      } finally {
        dir.cleanup();
      }
    }
  } finally {
    await portal.close();
  }
});

test("secret packages (ns-plug, rpcd, don) are created 0600, others 0644; a kept mode never keeps setuid nor a foreign file's", async () => {
  const dir = testdir();
  try {
    const fs = createFs(makeResolver(dir.root));
    for (const [name, mode] of [["ns-plug", 0o600], ["rpcd", 0o600], ["don", 0o600], ["firewall", 0o644]] as const) {
      const pkg = await loadPackage(fs, name);
      pkg.setSection("s", "t");
      pkg.set("s", "k", "v");
      assert.ok(await commitPackage(fs, pkg));
      assert.is(dir.mode(`/etc/config/${name}`), mode, name);
    }
    dir.write("/etc/suid", "x", 0o4755);
    await fs.writeAtomic("/etc/suid", "y");
    assert.is(dir.mode("/etc/suid"), 0o755, "setuid dropped");
    dir.write("/etc/foreign", "x", 0o666);
    chownSync(dir.path("/etc/foreign"), NOBODY, NOBODY);
    await fs.writeAtomic("/etc/foreign", "y");
    assert.is(dir.mode("/etc/foreign"), 0o644, "a file that was not ours: default mode");
    assert.is(statSync(dir.path("/etc/foreign")).uid, 0);
  } finally {
    dir.cleanup();
  }
});

test("the attacker's uid really is unprivileged here", () => {
  assert.is.not(asNobody(`touch /etc/nsplug-should-not-exist-${process.pid}`).code, 0);
  assert.ok(execFileSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "id", "-u"]).toString().trim() === "65534");
});

test.run();
