/**
 * The OpenWrt side of the Makefile (TOPDIR set), without an OpenWrt tree: a
 * stand-in rules.mk/package.mk that expands the package's definitions the way
 * OpenWrt's do (Package/<name> evaluated for its fields, maintainer scripts
 * exported through the environment as package-ipkg.mk does, Build/* and
 * Package/<name>/install expanded twice, as recipes of evaluated rules), then:
 * the fields and scripts are right, Build/Prepare + Build/Compile build the
 * bundle in the build dir, and Package/ns-plug/install lays out the same tree
 * as `make install`.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { diffLayout, expectedLayout, readTree, SOURCE_OF } from "../helpers/layout";

const top = mkdtempSync(join(tmpdir(), "nsplug-openwrt-"));
const out = join(top, "out");
mkdirSync(join(top, "include"));
mkdirSync(out);

writeFileSync(
  join(top, "rules.mk"),
  `# Stand-in for OpenWrt's rules.mk: the variables and helpers a package Makefile uses.
INCLUDE_DIR:=$(TOPDIR)/include
BUILD_DIR:=$(TOPDIR)/build_dir
STAGING_DIR_HOSTPKG:=$(TOPDIR)/staging_dir/hostpkg
shvar=V_$(subst .,_,$(subst -,_,$(subst /,_,$(1))))
define shexport
export $(call shvar,$(1))=$$(call $(1))
endef
`,
);
writeFileSync(
  join(top, "include", "package.mk"),
  `# Stand-in for OpenWrt's package.mk: BuildPackage with the same expansion levels.
define StubTargets
IDIR_$(1):=$(STUB_OUT)/ipkg-$(1)
stub-meta:
\t@echo 'SECTION=$(SECTION)'
\t@echo 'CATEGORY=$(CATEGORY)'
\t@echo 'TITLE=$(TITLE)'
\t@echo 'DEPENDS=$(DEPENDS)'
\t@echo 'PKGARCH=$(PKGARCH)'
\t@echo 'PKG_NAME=$(PKG_NAME)'
\t@echo 'PKG_VERSION=$(PKG_VERSION)'
\t@echo 'PKG_RELEASE=$(PKG_RELEASE)'
\t@echo 'PKG_LICENSE=$(PKG_LICENSE)'
stub-scripts:
\tmkdir -p $(STUB_OUT)/CONTROL
\techo "$$$$$(call shvar,Package/$(1)/conffiles)" > $(STUB_OUT)/CONTROL/conffiles
\techo "$$$$$(call shvar,Package/$(1)/postinst)" > $(STUB_OUT)/CONTROL/postinst-pkg
\techo "$$$$$(call shvar,Package/$(1)/prerm)" > $(STUB_OUT)/CONTROL/prerm-pkg
\techo "$$$$$(call shvar,Package/$(1)/description)" > $(STUB_OUT)/CONTROL/description
stub-build:
\trm -rf $(PKG_BUILD_DIR)
\t$(Build/Prepare)
\t$(Build/Configure)
\t$(Build/Compile)
stub-install:
\tmkdir -p $$(IDIR_$(1))
\t$(call Package/$(1)/install,$$(IDIR_$(1)))
endef

define BuildPackage
$(eval $(Package/$(1)))
$(eval $(call shexport,Package/$(1)/conffiles))
$(eval $(call shexport,Package/$(1)/description))
$(eval $(call shexport,Package/$(1)/postinst))
$(eval $(call shexport,Package/$(1)/prerm))
$(eval $(call StubTargets,$(1)))
endef
`,
);

// Tests reach no network beyond loopback: Build/Compile's `npm ci` runs from npm's cache
// (filled by the repository's own `npm ci`, which `make test` runs first).
function make(target: string) {
  return spawnSync("make", ["-s", "-C", REPO, `TOPDIR=${top}`, `STUB_OUT=${out}`, "NS_PLUG_NPM=npm --offline", target], {
    encoding: "utf8",
    timeout: 600_000,
  });
}

const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
const buildDir = join(top, "build_dir", `ns-plug-${version}`);

test.after(() => rmSync(top, { recursive: true, force: true }));

test("Package/ns-plug: name, version from package.json, DEPENDS +node +openvpn-openssl +gnupg, PKGARCH all", () => {
  const r = make("stub-meta");
  assert.is(r.status, 0, r.stderr);
  const meta = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  assert.is(meta.PKG_NAME, "ns-plug");
  assert.is(meta.PKG_VERSION, version);
  assert.is(meta.PKG_RELEASE, "1");
  assert.is(meta.PKG_LICENSE, "GPL-3.0-only");
  assert.is(meta.DEPENDS, "+node +openvpn-openssl +gnupg");
  assert.is(meta.PKGARCH, "all");
  assert.is(meta.SECTION, "base");
  assert.is(meta.CATEGORY, "NethSecurity");
  assert.ok(meta.TITLE, "TITLE");
});

test("conffiles, postinst and prerm reach the package exactly as control/ holds them (the ipk's scripts)", () => {
  const r = make("stub-scripts");
  assert.is(r.status, 0, r.stderr);
  const control = join(out, "CONTROL");
  assert.is(readFileSync(join(control, "conffiles"), "utf8"), "/etc/config/ns-plug\n/etc/config/don\n");
  for (const s of ["postinst", "prerm"]) {
    const shipped = readFileSync(join(control, `${s}-pkg`), "utf8");
    assert.is(shipped.trimEnd(), readFileSync(join(REPO, "control", s), "utf8").trimEnd(), s);
    assert.match(shipped, /\[ -z "\$\{IPKG_INSTROOT:-\}" \] \|\| exit 0/, `${s} acts only on a live system`);
  }
  assert.match(readFileSync(join(control, "description"), "utf8"), /NethSecurity/);
});

test("Build/Prepare + Build/Compile copy the sources and build the bundle in the build dir", () => {
  const r = make("stub-build");
  assert.is(r.status, 0, r.stderr);
  assert.ok(existsSync(join(buildDir, "dist", "ns-plug.js")), "no dist/ns-plug.js in the build dir");
  assert.ok(readFileSync(join(buildDir, "dist", "ns-plug.js"), "utf8").startsWith("#!/usr/bin/env node\n"));
  assert.ok(existsSync(join(buildDir, "scripts", "install.sh")));
  assert.not.ok(existsSync(join(buildDir, "commands")), "package.mk's default Prepare (src/* flat) was used");
});

test("Package/ns-plug/install lays out the same tree as `make install`", () => {
  const r = make("stub-install");
  assert.is(r.status, 0, r.stderr);
  const viaOpenwrt = readTree(join(out, "ipkg-ns-plug"));
  const dest = join(top, "make-install");
  execFileSync("make", ["-s", "-C", REPO, "install", `DESTDIR=${dest}`], { stdio: ["ignore", "ignore", "ignore"] });
  assert.equal(diffLayout(readTree(dest), viaOpenwrt), []);
  const own = expectedLayout(REPO, true);
  const ownActual = new Map([...viaOpenwrt].filter(([p, e]) => own.has(p) || (!(p in SOURCE_OF) && e.type !== "dir")));
  assert.equal(diffLayout(own, ownActual), []);
});

test.run();
