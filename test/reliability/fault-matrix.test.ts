/**
 * @runner-first (test/run.mjs: the longest file; it starts its layer)
 *
 * Issue 9 §1, the fault matrix: every command that talks to a remote
 * (controller, portal, backupd), against a loopback chaos server showing each
 * fault of test/servers/chaos.ts. Each cell runs the built bundle once on its
 * own test root and must show the documented exit code, one error line
 * naming the remote and the fault, no stack trace, and no file changed but
 * the documented ones (no temp file left). Cells are independent processes.
 * The fast faults run first, a few at a time: they are CPU-bound, and 32
 * bundles at once on 2 cores made a 5 s answer budget (ns.subscription
 * register) expire before a quick 502 was read — a timing failure, not a
 * behaviour one. The slow faults (hang, slow body) then run 32 at a time:
 * they mostly wait for their own timeouts. Prints the matrix and its figures.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FAULTS, type Fault } from "../servers/chaos";
import { backupdCells, backupdRpcCells, controllerCells, portalCells, portalRpcCells, runCell, type Cell } from "./lib/matrix";
import { check, expectedCode } from "./lib/expect";
import { pool, table } from "./lib/pool";

const CONCURRENCY = 32; // slow faults: waiting on timeouts
const FAST_CONCURRENCY = 3; // fast faults: CPU-bound process start-up
// Bounds in the feature code are ≤ 6 min (send-backup: 3 upload attempts × 120 s of silence); more is a hang.
const CELL_TIMEOUT_MS = 8 * 60_000;

// MATRIX_ONLY=<regexp> runs the matching cells only ("remote: command × fault"), for work on one row.
const only = process.env.MATRIX_ONLY ? new RegExp(process.env.MATRIX_ONLY) : undefined;
const cells: Cell[] = [
  ...controllerCells(FAULTS), ...portalCells(FAULTS), ...portalRpcCells(FAULTS), ...backupdCells(FAULTS), ...backupdRpcCells(FAULTS),
].filter((c) => !only || only.test(`${c.remote}: ${c.command} × ${c.fault}`));
const isSlow = (c: Cell) => c.fault === "hang" || c.fault === "slowbody";
const results = new Map<Cell, { problems: string[]; ms: number; code: number | null }>();
let wallMs = 0;

test.before(async () => {
  const t0 = Date.now();
  const runOne = async (cell: Cell) => {
    try {
      const o = await runCell(cell, CELL_TIMEOUT_MS);
      const problems = check(o);
      if (problems.length) problems.push(`stderr: ${o.stderr.trim().slice(-1500)}`);
      results.set(cell, { problems, ms: o.ms, code: o.code });
      o.dir.cleanup();
    } catch (e) {
      results.set(cell, { problems: [`harness: ${(e as Error).stack}`], ms: 0, code: null });
    }
  };
  await pool(cells.filter((c) => !isSlow(c)), FAST_CONCURRENCY, runOne);
  await pool(cells.filter(isSlow), CONCURRENCY, runOne);
  wallMs = Date.now() - t0;
});

for (const cell of cells) {
  test(`${cell.remote}: ${cell.command} × ${cell.fault} → exit ${expectedCode(cell)}`, () => {
    const r = results.get(cell);
    assert.ok(r, "the cell ran");
    assert.equal(r!.problems, [], r!.problems.join("\n"));
  });
}

test.after(() => {
  const rows = new Map<string, Map<Fault, string>>();
  for (const cell of cells) {
    const key = `${cell.remote}: ${cell.command}`;
    if (!rows.has(key)) rows.set(key, new Map());
    const r = results.get(cell);
    const mark = !r ? "—" : r.problems.length ? `FAIL(${r.code})` : `ok ${expectedCode(cell)}`;
    rows.get(key)!.set(cell.fault, mark);
  }
  const passed = cells.filter((c) => results.get(c)?.problems.length === 0).length;
  const slowest = [...results.entries()].sort((a, b) => b[1].ms - a[1].ms)[0];
  console.log("\nFault matrix (cell: ok <exit code> | FAIL(<exit code>)):\n");
  console.log(table(["remote: command", ...FAULTS], [...rows].map(([k, m]) => [k, ...FAULTS.map((f) => m.get(f) ?? "")])));
  console.log(`\nFIGURE fault matrix: ${passed}/${cells.length} scenarios passed; wall ${(wallMs / 1000).toFixed(0)} s ` +
    `with ${CONCURRENCY} at a time; slowest cell ${((slowest?.[1].ms ?? 0) / 1000).toFixed(0)} s ` +
    `(${slowest?.[0].remote}: ${slowest?.[0].command} × ${slowest?.[0].fault})`);
  for (const f of ["hang", "slowbody"] as const) {
    const ms = cells.filter((c) => c.fault === f).map((c) => results.get(c)?.ms ?? 0);
    if (!ms.length) continue;
    console.log(`FIGURE fault matrix: ${f}: longest command ${(Math.max(...ms) / 1000).toFixed(0)} s, median ${(ms.sort((a, b) => a - b)[ms.length >> 1]! / 1000).toFixed(0)} s`);
  }
});

test.run();
