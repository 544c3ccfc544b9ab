#!/usr/bin/env node
// Runs every bench/*.bench.mjs (or those matching the arguments) one after another.
// Benchmarks print figures and ratios against a baseline measured in the same
// run; they never fail on timing (exit 0 unless a benchmark itself crashes).
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";

const here = new URL("..", import.meta.url).pathname;
process.chdir(here);
execFileSync(process.execPath, ["build.mjs"], { stdio: "inherit" });
const filters = process.argv.slice(2);
const files = readdirSync("bench")
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => !filters.length || filters.some((s) => f.includes(s)))
  .sort();
let crashed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  try {
    execFileSync(process.execPath, [`bench/${f}`], { stdio: "inherit" });
  } catch {
    crashed++;
    console.log(`!! ${f} crashed`);
  }
}
process.exitCode = crashed ? 1 : 0;
