// rpcd plugins (issue 7). rpcd runs every plugin's `list` at its start, one
// after another, so `list` is boot time: goal <= 5 ms for all three together,
// shown next to `sh -c :`. `call ns.plug status` (what LuCI polls) against
// `node -e 0`, interleaved in the same run: goal <= 1.3x.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { interleaved, fmt } from "./lib.mjs";

const node = process.execPath;
const fronts = ["ns.plug", "ns.subscription", "ns.backup"].map((p) => join("dist", "rpcd", p));
const listAll = `for p in ${fronts.join(" ")}; do "$p" list >/dev/null; done`;

const lists = interleaved({
  "sh -c :": ["/bin/sh", ["-c", ":"]],
  "list x3 (one sh)": ["/bin/sh", ["-c", listAll]],
  "ns.plug list": [fronts[0], ["list"]],
}, 60);
console.log(`sh -c :                      median ${fmt(lists["sh -c :"], 2)} ms`);
console.log(`ns.plug list                 median ${fmt(lists["ns.plug list"], 2)} ms`);
console.log(`list of all three plugins    median ${fmt(lists["list x3 (one sh)"], 2)} ms  (goal <= 5 ms; rpcd forks each: ~3 x ns.plug list)`);

// A registered, pending unit (client.conf present: status asks `ip` about tun-nsplug).
const root = mkdtempSync(join(tmpdir(), "nsplug-bench-"));
mkdirSync(join(root, "etc/config"), { recursive: true });
mkdirSync(join(root, "usr/share/ns-plug"), { recursive: true });
writeFileSync(join(root, "etc/config/ns-plug"), "\nconfig main 'config'\n\toption server 'https://ctl.example.org'\n\toption unit_id 'u-1'\n\toption token 't'\n\toption unit_name 'fw'\n");
writeFileSync(join(root, "usr/share/ns-plug/client.conf"), "client\n");
const unregistered = mkdtempSync(join(tmpdir(), "nsplug-bench-"));
const env = (r) => ({ ...process.env, NS_PLUG_ROOT: r, NODE_OPTIONS: "" });
try {
  const m = interleaved({
    "node -e 0": [node, ["-e", "0"]],
    // Context: the bundle's own start (every command pays it) and `list` had it not been in sh.
    "ns-plug.js --help": [node, ["dist/ns-plug.js", "--help"]],
    "ns-plug.js ns.plug list": [node, ["dist/ns-plug.js", "ns.plug", "list"]],
    "status (pending, runs ip)": [fronts[0], ["call", "status"], { env: env(root), input: "{ }", stdio: ["pipe", "ignore", "ignore"] }],
    "status (unregistered)": [fronts[0], ["call", "status"], { env: env(unregistered), input: "{ }", stdio: ["pipe", "ignore", "ignore"] }],
    // A call that logs (one error line): the log goes to syslog through one `logger` child (issue 12).
    "unknown method (logs 1 line)": [fronts[0], ["call", "nope"], { env: env(unregistered), input: "{ }", stdio: ["pipe", "ignore", "ignore"] }],
  }, 40);
  const base = m["node -e 0"];
  console.log(`node -e 0                    median ${fmt(base)} ms`);
  for (const k of ["ns-plug.js --help", "ns-plug.js ns.plug list"]) {
    console.log(`${k.padEnd(28)} median ${fmt(m[k])} ms  ratio ${fmt(m[k] / base, 3)}`);
  }
  for (const k of ["status (pending, runs ip)", "status (unregistered)", "unknown method (logs 1 line)"]) {
    console.log(`call ns.plug ${k.padEnd(16)} median ${fmt(m[k])} ms  ratio ${fmt(m[k] / base, 3)}  (goal <= 1.3)`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
  rmSync(unregistered, { recursive: true, force: true });
}
