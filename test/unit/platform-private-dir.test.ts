/** platform/private-dir.ts and x509.ts: a private directory in a shared tree; a CA's CN. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePrivateDir, removePrivateDir } from "../../src/platform/private-dir";
import { subjectCommonName } from "../../src/platform/x509";

const base = mkdtempSync(join(tmpdir(), "nsplug-private-"));
chmodSync(base, 0o1777); // like /tmp

async function rejects(f: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await f();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable("expected a rejection");
}

test.after(() => rmSync(base, { recursive: true, force: true }));

test("created 0700; an existing one of ours that is too open is closed", async () => {
  const d = join(base, "a/run/don");
  await ensurePrivateDir(d);
  assert.is(statSync(d).mode & 0o7777, 0o700);
  chmodSync(d, 0o755);
  await ensurePrivateDir(d);
  assert.is(statSync(d).mode & 0o7777, 0o700);
});

test("a link in its place is refused and its target untouched; removePrivateDir removes the link only", async () => {
  const target = join(base, "target");
  mkdirSync(target, { mode: 0o755 });
  writeFileSync(join(target, "keep"), "x");
  const d = join(base, "linked");
  symlinkSync(target, d);
  await rejects(() => ensurePrivateDir(d), /not a private directory/);
  assert.is(statSync(target).mode & 0o7777, 0o755);
  await removePrivateDir(d);
  assert.equal(readdirSync(target), ["keep"]);
  assert.is(readFileSync(join(target, "keep"), "utf8"), "x");
});

test("someone else's directory is refused", async () => {
  if (process.getuid?.() !== 0) return; // chown needs root
  const d = join(base, "theirs");
  mkdirSync(d, { mode: 0o700 });
  chownSync(d, 65534, 65534);
  await rejects(() => ensurePrivateDir(d), /owned by uid 65534/);
});

test("subjectCommonName: the CN, or undefined without one or for garbage", () => {
  const dir = join(base, "pki");
  mkdirSync(dir);
  const make = (subj: string, out: string) =>
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, `${out}.key`), "-out", join(dir, out), "-days", "1", "-subj", subj], { stdio: "ignore" });
  make("/O=Vendor/CN=Support CA", "cn.pem");
  make("/O=Vendor without CN", "nocn.pem");
  assert.is(subjectCommonName(readFileSync(join(dir, "cn.pem"), "utf8")), "Support CA");
  assert.is(subjectCommonName(readFileSync(join(dir, "nocn.pem"), "utf8")), undefined);
  assert.is(subjectCommonName("not a certificate"), undefined);
});

test.run();
