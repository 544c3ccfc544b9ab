#!/bin/sh
# Build an installable .ipk without the OpenWrt SDK (`make ipk`).
#
# Usage: sh scripts/build-ipk.sh <source-dir> <out-dir>
# Package metadata comes from the environment (the Makefile passes it, so the
# SDK-less ipk and the OpenWrt package definition share one set of values):
#   PKG_NAME PKG_VERSION (full, e.g. 0.1.0-r1) PKG_DEPENDS ("node, openvpn-openssl, gnupg")
#   PKG_MAINTAINER PKG_LICENSE PKG_SECTION PKG_TITLE PKG_DESCRIPTION PKG_CONFFILES (one per line)
#   SOURCE_DATE_EPOCH (optional; default: the last commit's time, so rebuilds are byte-identical)
#
# The format is what OpenWrt's opkg reads (and what the SDK's ipkg-build writes):
# a gzip'd tar holding ./debian-binary ("2.0"), ./data.tar.gz (the router's
# files, from scripts/install.sh) and ./control.tar.gz (control, conffiles,
# postinst, prerm), every member owned by root (uid/gid 0), names sorted, one
# fixed mtime, gzip without a timestamp. Needs GNU tar (--sort, --owner).
set -eu
umask 022

if [ "$#" -ne 2 ]; then
	echo "usage: $0 <source-dir> <out-dir>" >&2
	exit 2
fi
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)

: "${PKG_NAME:?}" "${PKG_VERSION:?}" "${PKG_DEPENDS:?}" "${PKG_MAINTAINER:?}" "${PKG_LICENSE:?}"
: "${PKG_SECTION:=base}" "${PKG_TITLE:?}" "${PKG_DESCRIPTION:?}" "${PKG_CONFFILES:=}"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)
fi

work=$out/.ipk-build.$$
trap 'rm -rf "$work"' EXIT
rm -rf "$work"
mkdir -p "$work/data" "$work/control"
chmod 0755 "$work/data" "$work/control"

sh "$src/scripts/install.sh" "$src" "$work/data"

# tar_gz DIR OUT MEMBERS…: a reproducible, root-owned gzip'd tar.
tar_gz() {
	dir=$1
	file=$2
	shift 2
	tar -C "$dir" --format=gnu --numeric-owner --owner=0 --group=0 --sort=name \
		--mtime="@$SOURCE_DATE_EPOCH" -cf - "$@" | gzip -9n >"$file"
}

tar_gz "$work/data" "$work/data.tar.gz" .
# As ipkg-build: Installed-Size is the size of the uncompressed data archive, in bytes.
installed_size=$(gzip -dc "$work/data.tar.gz" | wc -c | tr -d ' ')

{
	echo "Package: $PKG_NAME"
	echo "Version: $PKG_VERSION"
	echo "Depends: $PKG_DEPENDS"
	echo "License: $PKG_LICENSE"
	echo "Section: $PKG_SECTION"
	echo "Architecture: all"
	echo "Maintainer: $PKG_MAINTAINER"
	echo "Installed-Size: $installed_size"
	echo "SourceDateEpoch: $SOURCE_DATE_EPOCH"
	echo "Description: $PKG_TITLE"
	# Continuation lines of a control field start with a space; "." stands for a blank line.
	printf '%s\n' "$PKG_DESCRIPTION" | sed -e 's/^[[:space:]]*$/./' -e 's/^/ /'
} >"$work/control/control"

if [ -n "$PKG_CONFFILES" ]; then
	printf '%s\n' "$PKG_CONFFILES" | sed '/^[[:space:]]*$/d' >"$work/control/conffiles"
fi
cp "$src/control/postinst" "$src/control/prerm" "$work/control/"
chmod 0644 "$work/control/control"
[ ! -f "$work/control/conffiles" ] || chmod 0644 "$work/control/conffiles"
chmod 0755 "$work/control/postinst" "$work/control/prerm"
tar_gz "$work/control" "$work/control.tar.gz" .

echo "2.0" >"$work/debian-binary"
ipk=$out/${PKG_NAME}_${PKG_VERSION}_all.ipk
# Member order as ipkg-build writes it (opkg looks members up by name).
tar -C "$work" --format=gnu --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" \
	-cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n >"$ipk.tmp"
mv "$ipk.tmp" "$ipk"
echo "$ipk"
