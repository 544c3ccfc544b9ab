/**
 * The router's gpg is GnuPG 1.4.23 (OpenWrt's `gnupg`; Debian's `gnupg1` is the
 * same version), the admin's desktop has gpg 2. Every test root puts gpg1 on
 * the product's PATH as `gpg` (test/helpers/testdir.ts); here the interplay is
 * checked directly: what the router writes gpg 2 reads, and the other way
 * round, with AES256, and the documented restore line works on both sides.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE } from "../helpers/bundle";
import { call } from "../helpers/rpcd";
import { runBundle } from "../helpers/bundle";
import { PASSPHRASE, registeredRoot, type Fixture } from "./backup-fixture";

const UPLOADS = "/var/run/ns-api-server/uploads";

/** gpg 2 of the admin's desktop, with a throwaway home (its agent is stopped afterwards). */
function desktopGpg(f: Fixture, args: string[], input?: Buffer | string): Buffer {
  const home = f.dir.path(`/tmp/desktop-gnupg-${Math.floor(process.hrtime()[1])}`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    return execFileSync("gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--yes", ...args], {
      input,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } finally {
    spawnSync("gpgconf", ["--homedir", home, "--kill", "gpg-agent"]);
    rmSync(home, { recursive: true, force: true });
  }
}

test("the product's gpg in a test root is GnuPG 1.4.23, which refuses gpg2-only options", async () => {
  const f = await registeredRoot();
  try {
    const routerGpg = join(f.dir.bin, "gpg");
    const version = execFileSync(routerGpg, ["--version"]).toString().split("\n")[0];
    assert.match(version, /^gpg \(GnuPG\) 1\.4\.23$/);
    // What made the last release unable to encrypt on a router.
    const r = spawnSync(routerGpg, ["--batch", "--no-autostart", "--version"], { encoding: "utf8" });
    assert.is(r.status, 2);
    assert.match(r.stderr, /Invalid option "--no-autostart"/);
    // The desktop side really is gpg 2.
    assert.match(execFileSync("gpg", ["--version"]).toString(), /^gpg \(GnuPG\) 2\./);
    assert.is.not(realpathSync(routerGpg), realpathSync(execFileSync("sh", ["-c", "command -v gpg"]).toString().trim()));
  } finally {
    await f.cleanup();
  }
});

test("send-backup with GnuPG 1.4.23: the upload is AES256 and gpg 2 on a desktop decrypts it to the archive", async () => {
  const f = await registeredRoot();
  try {
    const r = await runBundle(["send-backup"], { dir: f.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(f.backupd.backups.length, 1, "one upload");
    const stored = f.backupd.backups[0]!.path;
    const packets = desktopGpg(f, ["--list-packets", "--passphrase-fd", "0", stored], `${PASSPHRASE}\n`).toString();
    assert.match(packets, /symkey enc packet: version 4, cipher 9/, "cipher 9 = AES256 (1.4's default would be 3, CAST5)");
    const plain = desktopGpg(f, ["--passphrase-fd", "0", "--decrypt", stored], `${PASSPHRASE}\n`);
    const names = execFileSync("tar", ["-tz"], { input: plain }).toString().split("\n");
    assert.ok(names.includes("etc/config/network"), `archive lists the config: ${names.slice(0, 5).join(", ")}`);
  } finally {
    await f.cleanup();
  }
});

test("a backup encrypted by gpg 2 on a desktop restores through ns.backup restore with the router's GnuPG 1.4.23", async () => {
  const f = await registeredRoot();
  f.dir.standin("reboot");
  try {
    // The archive the unit would make, encrypted on the admin's desktop.
    const made = await call(f.dir, "ns.backup", "backup", { encrypted: false });
    const archive = readFileSync(f.dir.path(`/var/run/ns-api-server/downloads/${made.answer.backup}`));
    const plainFile = f.dir.path("/tmp/desktop-archive.tar.gz");
    writeFileSync(plainFile, archive);
    const encrypted = desktopGpg(f, ["--passphrase-fd", "0", "--symmetric", "--cipher-algo", "AES256", "--output", "-", plainFile], `${PASSPHRASE}\n`);
    f.dir.write(`${UPLOADS}/upload-desktop`, "");
    writeFileSync(f.dir.path(`${UPLOADS}/upload-desktop`), encrypted);
    f.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption proto 'broken'\n");
    const ok = await call(f.dir, "ns.backup", "restore", { backup: "upload-desktop", passphrase: PASSPHRASE });
    assert.equal(ok.answer, { message: "success" });
    assert.not.match(f.dir.read("/etc/config/network"), "broken", "the desktop-encrypted archive was restored");
  } finally {
    await f.cleanup();
  }
});

/** The restore line of docs/backup.md, run by sh with `gpg` = the given binary first in PATH. */
async function restoreLine(f: Fixture, gpgBinary: string): Promise<{ code: number | null; stderr: string }> {
  const bin = f.dir.path(`/tmp/path-${gpgBinary.replace(/\W/g, "")}`);
  mkdirSync(bin, { recursive: true });
  symlinkSync(gpgBinary, join(bin, "gpg"));
  symlinkSync(BUNDLE, join(bin, "remote-backup"));
  const home = f.dir.path("/root");
  mkdirSync(join(home, ".gnupg"), { recursive: true, mode: 0o700 });
  const line =
    `remote-backup download $(remote-backup list | jq -r .[0].file) - | gpg --batch --passphrase-file ${f.dir.root}/etc/backup.pass -d > ${f.dir.root}/root/restored.tar.gz`;
  const child = spawn("sh", ["-c", line], {
    env: { PATH: `${bin}:${f.dir.bin}:${dirname(process.execPath)}:${process.env.PATH}`, NS_PLUG_ROOT: f.dir.root, HOME: home },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  clearTimeout(timer);
  spawnSync("gpgconf", ["--homedir", join(home, ".gnupg"), "--kill", "gpg-agent"]);
  return { code, stderr };
}

for (const [side, binary] of [
  ["on the unit (GnuPG 1.4.23)", "/usr/bin/gpg1"],
  ["on a desktop (gpg 2)", "/usr/bin/gpg"],
] as const) {
  test(`the documented download-and-decrypt line works ${side}`, async () => {
    const f = await registeredRoot();
    try {
      assert.is((await runBundle(["send-backup"], { dir: f.dir })).code, 0);
      const r = await restoreLine(f, binary);
      assert.is(r.code, 0, r.stderr);
      const names = execFileSync("tar", ["-tzf", f.dir.path("/root/restored.tar.gz")]).toString().split("\n");
      assert.ok(names.includes("etc/config/network"), names.slice(0, 5).join(", "));
    } finally {
      await f.cleanup();
    }
  });
}

test.run();
