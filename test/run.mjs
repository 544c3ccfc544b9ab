#!/usr/bin/env node
// Test runner: builds the bundle, runs every test file in its own process
// (uvu inside each), two at a time, and ends with "N passed, N failed".
// Usage: node test/run.mjs [substring-filter …]   (TEST_JOBS=n, TEST_TIMEOUT=seconds)
// Output: one line per file, its FIGURE lines (measurements), and the whole output of a
// failing file (of every file with TEST_VERBOSE=1).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const here = new URL("..", import.meta.url).pathname;
process.chdir(here);
execFileSync(process.execPath, ["build.mjs"], { stdio: "inherit" });

function find(dir) {
  let out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (/\.test\.(ts|mjs)$/.test(e)) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
// Fast layers first, so a broken unit shows up before the slow end-to-end runs.
const layers = ["unit", "integration", "e2e", "reliability"];
// Within a layer, files marked `@runner-first` (the few that take minutes) start
// first, so the other job slot works through the short ones meanwhile instead
// of the long one starting last and running alone (~2 min less per full run).
const first = (f) => (readFileSync(f, "utf8").slice(0, 2000).includes("@runner-first") ? 0 : 1);
const files = layers
  .flatMap((l) => (existsSync(join("test", l)) ? find(join("test", l)).sort((a, b) => first(a) - first(b) || a.localeCompare(b)) : []))
  .filter((f) => !filters.length || filters.some((s) => f.includes(s)));

const jobs = Number(process.env.TEST_JOBS ?? 2);
const timeout = Number(process.env.TEST_TIMEOUT ?? 900) * 1000;
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const timer = setTimeout(() => {
      out += `\n[runner] ${file}: killed after ${timeout / 1000}s\n`;
      child.kill("SIGKILL");
    }, timeout);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const num = (k) => Number((out.match(new RegExp(`^\\s*${k}:\\s+(\\d+)`, "m")) ?? [])[1] ?? 0);
      const total = num("Total");
      let ok = num("Passed");
      const skip = num("Skipped");
      let bad = Math.max(0, total - ok - skip);
      if ((code !== 0 || signal) && bad === 0) bad = 1; // crashed, timed out or threw outside a test
      if (total === 0 && bad === 0) bad = 1; // a file that runs no test is a failure, not a pass
      passed += ok;
      failed += bad;
      skipped += skip;
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const status = bad ? "FAIL" : "ok  ";
      process.stdout.write(`${status} ${relative("test", file)}  (${ok}/${total}, ${secs}s)\n`);
      if (bad) failures.push(file);
      if (bad || process.env.TEST_VERBOSE) {
        process.stdout.write(out.replace(/^/gm, "    | ") + "\n");
      } else {
        // Measured figures are the point of some tests: show them for passing files too.
        // (uvu's progress dots may precede them on the same line.)
        const figures = out.match(/FIGURE .*/g) ?? [];
        if (figures.length) process.stdout.write(figures.map((f) => `    ${f}\n`).join(""));
      }
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    while (queue.length) await runFile(queue.shift());
  }),
);
if (failures.length) process.stdout.write(`\nfailed files:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exitCode = failed || !files.length ? 1 : 0;
