// Inventory collection: `ns-plug.js inventory` on the fixture root, against
// `node -e 0` (the floor of any Node command) and against a shell that runs
// one process per fact the way the original Python inventory did (~25
// uname/cat/grep/awk/df/free pipelines). Interleaved, medians, same run.
import { mkdtempSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { interleaved, fmt } from "./lib.mjs";

const node = process.execPath;
const root = mkdtempSync(join(tmpdir(), "nsplug-bench-inv-"));
cpSync("test/fixtures/inventory/root", root, { recursive: true });
const env = { ...process.env, NS_PLUG_ROOT: root };
const sh = join(root, "per-fact.sh");
const facts = [
  "uname", "uname -r", "uname -n", "uname -n | cut -d. -f1", "uname -n | cut -d. -f2-",
  "grep -c processor /proc/cpuinfo", "grep -m1 'model name' /proc/cpuinfo", "cat /proc/uptime | awk -F. '{print $1}'",
  "cat /proc/net/arp | grep -v IP | wc -l", "free | grep Mem: | awk '{print $3}'", "free | grep Mem: | awk '{print $7}'",
  "free | grep Swap: | awk '{print $3}'", "df | sort | uniq | grep '/$' | awk '{print $3}'",
  "df | sort | uniq | grep '/$' | awk '{print $4}'", "grep VERSION= /etc/os-release | cut -d= -f2",
  "cat /sys/class/dmi/id/product_uuid 2>/dev/null", "cat /sys/class/dmi/id/bios_version 2>/dev/null",
  "cat /sys/class/dmi/id/bios_vendor 2>/dev/null", "cat /sys/class/dmi/id/sys_vendor 2>/dev/null",
  "cat /sys/class/dmi/id/board_name 2>/dev/null", "grep nameserver /etc/resolv.conf | awk '{print $2}' | tr '\\n' ,",
];
writeFileSync(sh, facts.map((f) => `${f} >/dev/null`).join("\n") + "\n");

const m = interleaved({
  "node -e 0": [node, ["-e", "0"]],
  "ns-plug.js inventory": [node, ["dist/ns-plug.js", "inventory"], { env }],
  "sh, one process per fact": ["sh", [sh]],
}, 25);
const inv = m["ns-plug.js inventory"];
console.log(`node -e 0                  median ${fmt(m["node -e 0"])} ms`);
console.log(`ns-plug.js inventory       median ${fmt(inv)} ms  (${fmt(inv / m["node -e 0"], 2)}x node -e 0)`);
console.log(`sh, one process per fact   median ${fmt(m["sh, one process per fact"])} ms  (inventory / sh = ${fmt(inv / m["sh, one process per fact"], 2)})`);
console.log("(the original also started Python and ran lscpu and ifstatus; its cost is above the sh line)");
