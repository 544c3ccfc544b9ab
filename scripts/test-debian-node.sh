#!/bin/sh
# Run the suite on Debian's own Node.js package (18.20.4 on Debian 12: the
# `nodejs` a bare Debian gets from scripts/dev), next to whatever node is
# installed. Debian builds node against shared libraries (libnode108, libuv,
# c-ares, …) and loads some of its built-in modules (acorn, cjs-module-lexer,
# undici) from /usr/share/nodejs: both are checked here.
#
# When the installed nodejs is Debian's, it is used as it is. Otherwise its
# packages are fetched with `apt-get download` (nothing is installed over the
# existing node), unpacked under .cache/debian-node, and the tests run in a
# private mount namespace where that /usr/share/nodejs is bind-mounted.
# Default: the unit, integration and end-to-end layers (the reliability layer
# runs on the other two runtimes); pass test-file filters to choose.
set -eu
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- test/unit test/integration test/e2e; fi

case "$(dpkg-query -W -f='${Version}' nodejs 2>/dev/null || true)" in
*dfsg*)
	echo "test-debian-node: $(node --version) (the installed Debian nodejs)"
	exec node test/run.mjs "$@"
	;;
esac

dir=$PWD/.cache/debian-node
root=$dir/root
version=$(apt-cache madison nodejs | awk -F'|' '$2 ~ /dfsg/ { gsub(/ /, "", $2); print $2; exit }')
[ -n "$version" ] || { echo "test-debian-node: no Debian nodejs package in the apt sources" >&2; exit 1; }
if [ ! -x "$root/usr/bin/node" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$root"
	# The libraries Debian's node links against that the default node may not need.
	missing=""
	for p in libuv1 libc-ares2 libicu72 libnghttp2-14 libbrotli1 libssl3 zlib1g; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086 # a word list
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
	(cd "$dir/debs" && apt-get download -qq "nodejs=$version" "libnode108=$version" \
		node-acorn node-cjs-module-lexer node-undici node-busboy node-xtend)
	for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
	# libnode.so is unpacked next to the binary, not in /usr/lib: the binary's RUNPATH names it, so a
	# node started with a cleared environment (OpenVPN hooks, uci-defaults, tests' own env) finds it
	# too, as on a machine where the packages are installed. LD_LIBRARY_PATH would not reach those.
	command -v patchelf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf >/dev/null
	patchelf --set-rpath "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)" "$root/usr/bin/node"
	echo "$version" >"$dir/version"
fi

# /usr/share/nodejs may not exist on the host: create the mount point (empty, harmless).
[ -d /usr/share/nodejs ] || mkdir -p /usr/share/nodejs
# shellcheck disable=SC2016 # expanded by the inner sh
exec unshare --mount --propagation private sh -c '
	mount --bind "$1/usr/share/nodejs" /usr/share/nodejs
	shift
	PATH="$(dirname "$1"):$PATH"
	export PATH
	echo "test-debian-node: $(node --version) ($1, Debian package)"
	shift
	exec node test/run.mjs "$@"
' sh "$root" "$root/usr/bin/node" "$@"
