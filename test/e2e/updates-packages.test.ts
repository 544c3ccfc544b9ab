/**
 * update-packages (the built bundle) against an `apk` stand-in on PATH:
 * success, `apk update` failing, one `apk upgrade` failing. What a user sees:
 * the exit code, the apk calls made, and the syslog lines (a `logger`
 * stand-in writes each record it is given to <root>/.standins/syslog as
 * "<tag>: <line>").
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";

const UPGRADABLE = [
  "curl-8.12.1-r1 x86_64 {feeds/packages/net/curl} (MIT) [upgradable from: curl-8.11.0-r1]",
  "libopenssl3-3.0.16-r1 x86_64 {feeds/base/package/libs/openssl} (OpenSSL) [upgradable from: libopenssl3-3.0.15-r1]",
  "ns-api-1.2.3-r4 x86_64 {nethsecurity/packages/ns-api} (GPL-2.0-only) [upgradable from: ns-api-1.2.2-r1]",
].join("\n");

/**
 * apk: `update` prints a line (fails when <root>/.fail-update exists);
 * `list --upgradable` prints UPGRADABLE; `upgrade <p>` prints what it does
 * (fails for the name in <root>/.fail-upgrade).
 */
function root(): TestDir {
  const dir = testdir({ "/.upgradable": UPGRADABLE + "\n" });
  const r = dir.root;
  dir.standin(
    "apk",
    `case "$1" in
update) echo "fetch https://updates.example/packages.adb"; if [ -e '${r}/.fail-update' ]; then echo "ERROR: unable to fetch" >&2; exit 2; fi; echo "OK: 4217 distinct packages available" ;;
list) cat '${r}/.upgradable' ;;
upgrade) if [ "$2" = "$(cat '${r}/.fail-upgrade' 2>/dev/null)" ]; then echo "ERROR: $2: unsatisfiable constraints" >&2; exit 1; fi; echo "(1/1) Upgrading $2"; echo "OK: upgraded $2" ;;
*) exit 99 ;;
esac`,
  );
  dir.standin(
    "logger",
    `tag=; while [ $# -gt 0 ]; do case "$1" in -t) tag=$2; shift ;; esac; shift; done
while IFS= read -r line; do printf '%s: %s\\n' "$tag" "$line" >> '${r}/.standins/syslog'; printf '%s: %s\\n' "$tag" "$line" >&2; done`,
  );
  return dir;
}

const syslog = (dir: TestDir) => (dir.readIfExists("/.standins/syslog") ?? "").split("\n").filter(Boolean);
const apkCalls = (dir: TestDir) => dir.calls().filter((c) => c.startsWith("apk"));

test("success: apk update, then one `apk upgrade <name>` per upgradable package; every line to syslog; exit 0", async () => {
  const dir = root();
  try {
    const r = await runBundle(["update-packages"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.equal(apkCalls(dir), ["apk update", "apk list --upgradable", "apk upgrade curl", "apk upgrade libopenssl3", "apk upgrade ns-api"]);
    assert.equal(syslog(dir), [
      "update-packages: fetch https://updates.example/packages.adb",
      "update-packages: OK: 4217 distinct packages available",
      "update-packages: (1/1) Upgrading curl",
      "update-packages: OK: upgraded curl",
      "update-packages: (1/1) Upgrading libopenssl3",
      "update-packages: OK: upgraded libopenssl3",
      "update-packages: (1/1) Upgrading ns-api",
      "update-packages: OK: upgraded ns-api",
      "update-packages: Update successful",
    ]);
    assert.ok(dir.calls().every((c) => !c.startsWith("logger") || c === "logger -s -t update-packages"), "logger -s -t update-packages");
  } finally {
    dir.cleanup();
  }
});

test("nothing to upgrade: exit 0, `Update successful`", async () => {
  const dir = root();
  try {
    dir.write("/.upgradable", "");
    const r = await runBundle(["update-packages"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.equal(apkCalls(dir), ["apk update", "apk list --upgradable"]);
    assert.is(syslog(dir).pop(), "update-packages: Update successful");
  } finally {
    dir.cleanup();
  }
});

test("apk update fails: its output and `Failed to update metadata` to syslog, nothing upgraded, exit 1", async () => {
  const dir = root();
  try {
    dir.write("/.fail-update", "");
    const r = await runBundle(["update-packages"], { dir });
    assert.is(r.code, 1);
    assert.equal(apkCalls(dir), ["apk update"]);
    assert.equal(syslog(dir), [
      "update-packages: fetch https://updates.example/packages.adb",
      "update-packages: ERROR: unable to fetch",
      "update-packages: Failed to update metadata",
    ]);
  } finally {
    dir.cleanup();
  }
});

test("one upgrade fails: the others still run, the failure is logged, exit 1", async () => {
  const dir = root();
  try {
    dir.write("/.fail-upgrade", "libopenssl3");
    const r = await runBundle(["update-packages"], { dir });
    assert.is(r.code, 1);
    assert.equal(apkCalls(dir), ["apk update", "apk list --upgradable", "apk upgrade curl", "apk upgrade libopenssl3", "apk upgrade ns-api"]);
    const lines = syslog(dir);
    assert.ok(lines.includes("update-packages: ERROR: libopenssl3: unsatisfiable constraints"));
    assert.ok(lines.includes("update-packages: OK: upgraded ns-api"), "the next package is still upgraded");
    assert.is(lines.pop(), "update-packages: Failed to upgrade 1 packages: libopenssl3");
    assert.not.ok(lines.includes("update-packages: Update successful"));
  } finally {
    dir.cleanup();
  }
});

test.run();
