// Feature facts: `ns-plug.js inventory` on the office fixture (all 33 built-in
// facts of NethSecurity's inventory, computed in-process) against `node -e 0`
// (the floor of any Node command), and against the other design the issue
// allowed: the same number of facts as small files in facts.d, here the
// cheapest possible kind (a sh script printing a constant, no UCI parsing),
// run by the collector four at a time. Interleaved, medians, same run.
import { mkdtempSync, writeFileSync, cpSync, mkdirSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { interleaved, fmt } from "./lib.mjs";

const node = process.execPath;
const office = mkdtempSync(join(tmpdir(), "nsplug-bench-facts-"));
cpSync("test/fixtures/inventory/office", office, { recursive: true });
const files = mkdtempSync(join(tmpdir(), "nsplug-bench-factsd-"));
cpSync("test/fixtures/inventory/office", files, { recursive: true });
const factsd = join(files, "usr/share/ns-plug/facts.d");
mkdirSync(factsd, { recursive: true });
for (let i = 0; i < 33; i++) {
  const f = join(factsd, `extra_${i}.sh`);
  writeFileSync(f, `#!/bin/sh\necho '{"enabled": false, "count": ${i}}'\n`);
  chmodSync(f, 0o755);
}

const m = interleaved({
  "node -e 0": [node, ["-e", "0"]],
  "inventory, 33 built-in facts": [node, ["dist/ns-plug.js", "inventory"], { env: { ...process.env, NS_PLUG_ROOT: office } }],
  "inventory, + 33 facts.d sh plugins": [node, ["dist/ns-plug.js", "inventory"], { env: { ...process.env, NS_PLUG_ROOT: files } }],
}, 15);
const base = m["node -e 0"];
const all = m["inventory, 33 built-in facts"];
const plug = m["inventory, + 33 facts.d sh plugins"];
console.log(`node -e 0                               median ${fmt(base)} ms`);
console.log(`inventory, all 33 built-in facts        median ${fmt(all)} ms  (${fmt(all / base, 2)}x node -e 0, +${fmt(all - base)} ms)`);
console.log(`inventory + 33 facts.d sh plugins       median ${fmt(plug)} ms  (the plugins alone: +${fmt(plug - all)} ms, ${fmt((plug - all) / 33, 1)} ms a fact)`);
