# ns-plug — one Makefile for two worlds.
#
# Inside an OpenWrt build tree (TOPDIR set, e.g. this repository linked as
# package/ns-plug): the OpenWrt package definition below.
# Anywhere else: a developer Makefile (make, make test, make demo, make bench,
# make install DESTDIR=…, make ipk).
#
# Both worlds share the package metadata, the maintainer scripts (control/) and
# the install recipe (scripts/install.sh). See docs/operations.md, "Packaging".

PKG_NAME:=ns-plug
# The version has one source: package.json.
PKG_VERSION:=$(shell sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' $(CURDIR)/package.json | head -n 1)
PKG_RELEASE:=1
PKG_LICENSE:=GPL-3.0-only
PKG_MAINTAINER?=ns-plug maintainers
NS_PLUG_TITLE:=NethSecurity agent for the controller and the subscription services
define NS_PLUG_DESCRIPTION
Connects a NethSecurity firewall to its management services: a NethSecurity
controller (OpenVPN), the subscription portals, the remote backup service and
Alertmanager alerts. One JavaScript bundle run by Node.js (>= 18).
endef
# Run-time dependencies, as OpenWrt package names (docs/operations.md explains the picks):
#   node             the runtime (23.05: node 18, 24.10: node 20, 25.12+: an external feed)
#   openvpn-openssl  the controller tunnel; the OpenSSL variant is NethSecurity's
#                    (it PROVIDES openvpn; mbedtls/wolfssl variants would satisfy opkg too)
#   gnupg            GnuPG 1.4 (utils/gnupg): one /usr/bin/gpg that encrypts with a
#                    passphrase from a file descriptor without gpg-agent; gnupg2's gpg
#                    needs gpg-agent, which is in gnupg2-utils
NS_PLUG_DEPENDS:=node openvpn-openssl gnupg
# One per line: OpenWrt's conffiles and the ipk's control/conffiles list one path a line.
# /etc/config/don is made by uci-defaults/20_ns-don (the original ns-don's way); listed so
# an upgrade keeps the admin's support settings.
define NS_PLUG_CONFFILES
/etc/config/ns-plug
/etc/config/don
endef

ifneq ($(TOPDIR),)
# ---------------------------------------------------------------- OpenWrt package

include $(TOPDIR)/rules.mk

PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)

include $(INCLUDE_DIR)/package.mk

define Package/ns-plug
  SECTION:=base
  CATEGORY:=NethSecurity
  TITLE:=$(NS_PLUG_TITLE)
  DEPENDS:=$(addprefix +,$(NS_PLUG_DEPENDS))
  PKGARCH:=all
endef

define Package/ns-plug/description
$(NS_PLUG_DESCRIPTION)
endef

define Package/ns-plug/conffiles
$(NS_PLUG_CONFFILES)
endef

# The maintainer scripts live in control/ (shellcheck-clean, shared with `make ipk`).
# Both act only on a live system: [ -z "$${IPKG_INSTROOT}" ] (needs GNU make >= 4.2 for $(file <)).
define Package/ns-plug/postinst
$(file < $(CURDIR)/control/postinst)
endef

define Package/ns-plug/prerm
$(file < $(CURDIR)/control/prerm)
endef

# The sources are this directory (no tarball). package.mk's default Prepare
# would copy ./src/* flat into the build dir: copy the tree instead.
define Build/Prepare
	mkdir -p $(PKG_BUILD_DIR)
	tar -C $(CURDIR) --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -C $(PKG_BUILD_DIR) -xf -
endef

define Build/Configure
endef

# The node build runs on the build host: Node >= 18 and npm, from the packages
# feed's node/host when it has been built, else from the host's PATH.
# `npm ci` fetches the locked build dependencies (esbuild, TypeScript types, …).
NS_PLUG_HOSTBIN:=$(if $(wildcard $(STAGING_DIR_HOSTPKG)/bin/node),$(STAGING_DIR_HOSTPKG)/bin/)
NS_PLUG_NODE:=$(NS_PLUG_HOSTBIN)node
NS_PLUG_NPM:=$(if $(NS_PLUG_HOSTBIN),$(NS_PLUG_NODE) $(NS_PLUG_HOSTBIN)npm,npm)

define Build/Compile
	cd $(PKG_BUILD_DIR) && $(NS_PLUG_NPM) ci --no-audit --no-fund
	cd $(PKG_BUILD_DIR) && $(NS_PLUG_NODE) build.mjs
endef

define Package/ns-plug/install
	sh $(PKG_BUILD_DIR)/scripts/install.sh $(PKG_BUILD_DIR) $(1)
endef

$(eval $(call BuildPackage,ns-plug))

else
# ---------------------------------------------------------------- developer Makefile

SRC := $(shell find src -name '*.ts') $(wildcard scripts/*.mjs) build.mjs package-lock.json build/loader.cjs
IPK_VERSION := $(PKG_VERSION)-r$(PKG_RELEASE)
IPK_DIR ?= dist

.PHONY: all build deps test demo bench clean typecheck install ipk test-node18 test-debian-node

all: build

build: dist/ns-plug.js

dist/ns-plug.js: $(SRC) node_modules/.package-lock.json
	node build.mjs

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

deps:
	sh scripts/install-deps.sh

typecheck: deps
	npx tsc --noEmit

test-node18: deps
	sh scripts/test-node18.sh

test-debian-node: deps
	sh scripts/test-debian-node.sh

test: deps
	npx tsc --noEmit
	node test/run.mjs

demo: deps build
	node --import tsx demo/run.ts

bench: deps build
	node bench/run.mjs

# The router's files (SPEC §1) under DESTDIR. DESTDIR is required: this is
# never meant to write into the build machine's own /.
install: build
	@test -n "$(DESTDIR)" || { echo "make install: set DESTDIR=<dir> (the router's / is laid out under it)" >&2; exit 2; }
	sh scripts/install.sh . "$(DESTDIR)"

# An installable .ipk without the OpenWrt SDK: $(IPK_DIR)/ns-plug_<version>-r<release>_all.ipk
# (SOURCE_DATE_EPOCH=… fixes every mtime; default: the last commit's time).
ipk: build
	PKG_NAME='$(PKG_NAME)' PKG_VERSION='$(IPK_VERSION)' \
	PKG_DEPENDS='$(subst $(space),$(comma)$(space),$(NS_PLUG_DEPENDS))' \
	PKG_MAINTAINER='$(PKG_MAINTAINER)' PKG_LICENSE='$(PKG_LICENSE)' \
	PKG_TITLE='$(NS_PLUG_TITLE)' PKG_DESCRIPTION="$$NS_PLUG_DESCRIPTION" \
	PKG_CONFFILES="$$NS_PLUG_CONFFILES" \
	sh scripts/build-ipk.sh . "$(IPK_DIR)"

empty :=
space := $(empty) $(empty)
comma := ,
# Multi-line: passed through the environment, not the command line.
export NS_PLUG_DESCRIPTION
export NS_PLUG_CONFFILES

clean:
	rm -rf dist

endif
