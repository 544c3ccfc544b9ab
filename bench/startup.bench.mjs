// Start-up: `ns-plug.js --help` against `node -e 0`, interleaved, same run.
// Goal (issue 2): ratio <= 1.25.
import { statSync } from "node:fs";
import { interleaved, fmt } from "./lib.mjs";

const node = process.execPath;
const m = interleaved({
  "node -e 0": [node, ["-e", "0"]],
  "ns-plug.js --help": [node, ["dist/ns-plug.js", "--help"]],
}, 40);
const ratio = m["ns-plug.js --help"] / m["node -e 0"];
console.log(`node -e 0            median ${fmt(m["node -e 0"])} ms`);
console.log(`ns-plug.js --help    median ${fmt(m["ns-plug.js --help"])} ms`);
console.log(`ratio                ${fmt(ratio, 3)}  (goal <= 1.25)`);
console.log(`bundle size          ${statSync("dist/ns-plug.js").size} bytes`);
