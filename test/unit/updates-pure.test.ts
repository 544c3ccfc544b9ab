/**
 * The pure parts of the companions: apk's upgradable list, the release
 * files, the apk feed files, repository_url and sha256sums parsing, and the
 * proxy's check for an installed HaPrimaryRecovered rule.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageName, parseUpgradable } from "../../src/updates/apk-list";
import { parseFeedFacts, parseImageFacts } from "../../src/updates/release";
import { parseShellVars } from "../../src/platform/shellvars";
import { renderEnterprise, subscriptionOf } from "../../src/updates/distfeed";
import { expectedHash, imageName, parseRepositoryUrl } from "../../src/updates/download";
import { definesHaRecovery } from "../../src/alerts/ha-rules";
import { REPO } from "../helpers/bundle";

test("packageName: name-version-rN, versions with letters, names with digits and dashes", () => {
  const cases: Array<[string, string | undefined]> = [
    ["curl-8.12.1-r1", "curl"],
    ["python3-3.11.7-r1", "python3"],
    ["libstdcpp6-13.3.0-r4", "libstdcpp6"],
    ["kmod-nf-ipt6-6.6.86-r1", "kmod-nf-ipt6"],
    ["luci-app-ns-api-1.0_git2025.01.02~abc123-r1", "luci-app-ns-api"],
    ["ca-bundle-20240203-r1", "ca-bundle"],
    ["noversion", undefined],
    ["-1.0-r1", undefined],
  ];
  for (const [token, want] of cases) assert.is(packageName(token), want, token);
});

test("parseUpgradable: only the lines marked upgradable, each name once, in order", () => {
  const out = [
    "curl-8.12.1-r1 x86_64 {feeds/packages/net/curl} (MIT) [upgradable from: curl-8.11.0-r1]",
    "WARNING: something",
    "libopenssl3-3.0.16-r1 x86_64 {feeds/base/package/libs/openssl} (OpenSSL) [upgradable from: libopenssl3-3.0.15-r1]",
    "curl-8.12.1-r1 x86_64 {feeds/packages/net/curl} (MIT) [upgradable from: curl-8.11.0-r1]",
    "zlib-1.3.1-r1 x86_64 {feeds/base/package/libs/zlib} (Zlib) [installed]",
    "$(reboot)-1-r1 x86_64 {x} (x) [upgradable from: x]",
  ].join("\n");
  assert.equal(parseUpgradable(out), ["curl", "libopenssl3"]);
});

test("parseShellVars: quotes, escapes, comments, export", () => {
  assert.equal(parseShellVars(`# c\nA='x y'\nB="a\\"b"\nexport C=plain\n D = bad\n`), { A: "x y", B: 'a"b', C: "plain" });
});

test("parseFeedFacts: values checked; a newline or a space is refused; channel defaults to stable", () => {
  const rel = "DISTRIB_TARGET='x86/64'\nDISTRIB_ARCH='x86_64'\n";
  const os = 'VERSION_ID="8.5.0"\n';
  assert.equal(parseFeedFacts(rel, "v24.10.2\n", os, ""), { target: "x86/64", arch: "x86_64", openwrtVersion: "24.10.2", channel: "stable", versionId: "8.5.0" });
  assert.throws(() => parseFeedFacts(rel, "v24.10.2", os, "dev\nset x=y"), /repo-channel/);
  assert.throws(() => parseFeedFacts(rel.replace("x86_64", "x86 64"), "v24.10.2", os, "dev"), /DISTRIB_ARCH/);
  assert.throws(() => parseFeedFacts(rel, "v24.10.2", 'VERSION_ID=".."\n', "dev"), /VERSION_ID/);
  assert.throws(() => parseFeedFacts("", "v24.10.2", os, "dev"), /DISTRIB_TARGET/);
});

test("parseImageFacts: board and version from os-release; a version that is a path is refused", () => {
  assert.equal(parseImageFacts('VERSION="8.5.0"\nOPENWRT_BOARD="x86/64"\n'), { board: "x86/64", version: "8.5.0" });
  assert.throws(() => parseImageFacts('VERSION="../8.5.0"\nOPENWRT_BOARD="x86/64"\n'), /version/);
  assert.throws(() => parseImageFacts('VERSION="8.5.0"\nOPENWRT_BOARD="x86/64/../.."\n'), /board/);
});

test("renderEnterprise: credentials percent-encoded in the user-info (no extra line, no URL split)", () => {
  const text = renderEnterprise({ type: "community", systemId: "ID:1", secret: "a@b/c\nset x=y" });
  assert.is(text.split("\n").filter((l) => l.startsWith("set ")).length, 1);
  assert.match(text, /^set endpoint=ID%3A1:a%40b%2Fc%0Aset%20x%3Dy@distfeed\.nethesis\.it\/repository\/community\/nethsecurity$/m);
  assert.is(subscriptionOf({ type: "enterprise", systemId: "x" }), undefined, "no secret: not subscribed");
});

test("parseRepositoryUrl: credentials out of the URL, percent-decoded; trailing slash dropped", () => {
  assert.equal(parseRepositoryUrl("https://ID-1:s%40cret@distfeed.nethesis.it/repository/enterprise/nethsecurity/"), {
    base: "https://distfeed.nethesis.it/repository/enterprise/nethsecurity",
    auth: { basic: { user: "ID-1", password: "s@cret" } },
  });
  assert.equal(parseRepositoryUrl("https://updates.nethsecurity.nethserver.org/stable"), { base: "https://updates.nethsecurity.nethserver.org/stable", auth: undefined });
  assert.throws(() => parseRepositoryUrl(""), /repository_url is not set/);
  assert.throws(() => parseRepositoryUrl("file:///etc/passwd"), /http/);
});

test("imageName and expectedHash (binary '*' and text '  ' forms; other names ignored)", () => {
  const n = imageName("8.5.0", "x86/64");
  assert.is(n, "nethsecurity-8.5.0-x86-64-generic-squashfs-combined-efi.img.gz");
  const h = "a".repeat(64);
  assert.is(expectedHash(`${"b".repeat(64)} *other.img.gz\n${h.toUpperCase()} *${n}\n`, n), h);
  assert.is(expectedHash(`${h}  ${n}\n`, n), h);
  assert.is(expectedHash(`${h} *${n}.sig\n`, n), undefined);
  assert.is(expectedHash("garbage", n), undefined);
});

test("definesHaRecovery: the shipped ha.yaml has the rule; names in comments or other rules do not count", () => {
  assert.ok(definesHaRecovery(readFileSync(join(REPO, "files/etc/vmalert/rules/ha.yaml"), "utf8")));
  assert.ok(definesHaRecovery("groups:\n  - name: x\n    rules:\n      - alert: 'HaPrimaryRecovered'\n"));
  assert.not.ok(definesHaRecovery("# alert: HaPrimaryRecovered\n"));
  assert.not.ok(definesHaRecovery("      - alert: HaPrimaryRecoveredSoon\n"));
  assert.not.ok(definesHaRecovery(readFileSync(join(REPO, "files/etc/vmalert/rules/host.yaml"), "utf8")));
});

test.run();
