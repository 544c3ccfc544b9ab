#!/bin/sh
# Lay out the ns-plug package (SPEC §1) under a destination root.
# The ONE install recipe: used by `make install DESTDIR=…`, by `make ipk`
# (scripts/build-ipk.sh) and by the OpenWrt `Package/ns-plug/install`.
#
# Usage: sh scripts/install.sh <source-dir> <dest-root>
#   <source-dir>  the repository (or its copy in the OpenWrt build dir), already built
#                 (dist/ns-plug.js, and dist/rpcd/* when the rpcd generator exists)
#   <dest-root>   where the router's / is (DESTDIR, the ipk data dir, or $(1) in OpenWrt)
#
# Sources (see docs/operations.md, "Packaging"):
#   dist/ns-plug.js                    → /usr/libexec/ns-plug/ns-plug.js (required)
#   (command table below)              → /usr/sbin/<command> (/usr/bin/<command> for BIN_COMMANDS)
#                                        → ../libexec/ns-plug/ns-plug.js
#   dist/rpcd/ns.plug|ns.subscription|ns.backup|ns.don → /usr/libexec/rpcd/
#   init.d/*                           → /etc/init.d/
#   uci-defaults/*                     → /etc/uci-defaults/
#   (empty directory)                  → /usr/libexec/mwan-hooks/
#   hooks/register/*, hooks/unregister/* (executables) → /usr/share/ns-plug/hooks/…/
#   files/**                           → /** (a root overlay: /usr/sbin/ns-plug, rpcd ACLs,
#                                        /etc/config/ns-plug, keep.d, …)
# Modes are set here, not taken from the checkout (see mode_of): directories and
# programs 0755, data 0644, /etc/config/* 0600 (it holds the controller token and
# the portal secret).
# A source that another part of the project has not written yet is skipped with a
# warning on stderr; the package tests list every SPEC §1 path, so a gap fails there.
set -eu
umask 022

if [ "$#" -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	echo "usage: $0 <source-dir> <dest-root>" >&2
	exit 2
fi
src=$1
dest=$2

# Entry points of the bundle (SPEC §1): links, so one file is the whole program.
COMMANDS="register unregister send-heartbeat send-inventory send-backup remote-backup
subscription-info inventory ns-plug-alert-proxy ns-controller-push-info
ns-controller-telegraf-down distfeed-setup update-packages don"
# The original installs these in /usr/bin (cron lines and other packages call them there; SPEC §1).
BIN_COMMANDS="ns-push-reports ns-download"
RPCD_PLUGINS="ns.plug ns.subscription ns.backup ns.don"
INIT_SCRIPTS="ns-plug ns-plug-alert-proxy send-inventory"
HOOK_DIRS="register unregister"

warn() {
	echo "install: $*" >&2
}

put_dir() {
	mkdir -p "$dest$1"
	chmod 0755 "$dest$1"
}

# put_file MODE SOURCE ROUTER-PATH
put_file() {
	put_dir "$(dirname "$3")"
	rm -f "$dest$3"
	cp "$2" "$dest$3"
	chmod "$1" "$dest$3"
}

# put_optional MODE SOURCE ROUTER-PATH: as put_file, or a warning when SOURCE is missing.
put_optional() {
	if [ -f "$2" ]; then
		put_file "$@"
	else
		warn "skipping $3: $2 is missing"
	fi
}

# put_link TARGET ROUTER-PATH (TARGET relative, so the tree works under any root)
put_link() {
	put_dir "$(dirname "$2")"
	rm -f "$dest$2"
	ln -s "$1" "$dest$2"
}

# mode_of ROUTER-PATH SOURCE: the mode a files/ overlay entry gets.
mode_of() {
	case $1 in
	/etc/config/*) echo 0600 ;;
	/usr/sbin/* | /usr/bin/* | /usr/libexec/* | /etc/init.d/* | /etc/uci-defaults/*) echo 0755 ;;
	/usr/share/rpcd/acl.d/* | /lib/upgrade/keep.d/*) echo 0644 ;;
	*) if [ -x "$2" ]; then echo 0755; else echo 0644; fi ;;
	esac
}

if [ ! -f "$src/dist/ns-plug.js" ]; then
	echo "install: $src/dist/ns-plug.js is missing: build first (make build)" >&2
	exit 1
fi

put_file 0755 "$src/dist/ns-plug.js" /usr/libexec/ns-plug/ns-plug.js
for c in $COMMANDS; do
	put_link ../libexec/ns-plug/ns-plug.js "/usr/sbin/$c"
done
for c in $BIN_COMMANDS; do
	put_link ../libexec/ns-plug/ns-plug.js "/usr/bin/$c"
done

for p in $RPCD_PLUGINS; do
	put_optional 0755 "$src/dist/rpcd/$p" "/usr/libexec/rpcd/$p"
done

for s in $INIT_SCRIPTS; do
	put_optional 0755 "$src/init.d/$s" "/etc/init.d/$s"
done

put_optional 0755 "$src/uci-defaults/20_ns-plug" /etc/uci-defaults/20_ns-plug
# The other first-boot scripts: the migrations of SPEC §10 and the mwan hook line.
for f in "$src"/uci-defaults/*; do
	[ -f "$f" ] || continue
	case ${f##*/} in .* | 20_ns-plug) continue ;; esac
	put_file 0755 "$f" "/etc/uci-defaults/${f##*/}"
done

# mwan3 hook directory: the dispatcher (files/usr/libexec/ns-plug/mwan-hooks) runs what is in it.
put_dir /usr/libexec/mwan-hooks

# Hook directories always exist (admins drop their own hooks there); shipped
# hooks are the executable files of hooks/<command>/ — a README is not a hook.
for h in $HOOK_DIRS; do
	put_dir "/usr/share/ns-plug/hooks/$h"
	[ -d "$src/hooks/$h" ] || continue
	for f in "$src/hooks/$h"/*; do
		[ -f "$f" ] || continue
		case ${f##*/} in .*) continue ;; esac
		if [ -x "$f" ]; then
			put_file 0755 "$f" "/usr/share/ns-plug/hooks/$h/${f##*/}"
		else
			warn "skipping $f: not executable, so not a hook"
		fi
	done
done

# files/ mirrors the router's root.
if [ -d "$src/files" ]; then
	(cd "$src/files" && find . -type f ! -name '.*' | LC_ALL=C sort) | while IFS= read -r f; do
		path=${f#.}
		put_file "$(mode_of "$path" "$src/files/$f")" "$src/files/$f" "$path"
	done
fi

# /usr/sbin/ns-plug (SPEC §1's sh wrapper) comes through files/: say so when it is not there yet.
[ -f "$dest/usr/sbin/ns-plug" ] || warn "skipping /usr/sbin/ns-plug: $src/files/usr/sbin/ns-plug is missing"
