/**
 * The start backoff of `ns-plug` (src/controller/backoff.ts) and its state
 * file in /var/run (read and written through ctx.fs, whose shared-path layer,
 * src/platform/shared.ts, trusts nothing planted there): pure sequence with a
 * seeded RNG, and the file on a test root.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BACKOFF_STATE,
  START_BACKOFF_BASE_MS,
  START_BACKOFF_CAP_MS,
  failedBefore,
  parseBackoffState,
  renderBackoffState,
  startBackoffMs,
} from "../../src/controller/backoff";
import { createContext } from "../../src/platform/context";
import { mulberry32 as rng } from "../helpers/seed";


test("no failed start: no wait; then full jitter under 30, 60, 120 s and a 180 s cap", () => {
  assert.is(startBackoffMs(0, 0.999), 0);
  const ceilings = [30, 60, 120, 180, 180, 180].map((s) => s * 1000);
  ceilings.forEach((c, i) => {
    assert.is(startBackoffMs(i + 1, 0), 0, "full jitter starts at 0");
    assert.is(startBackoffMs(i + 1, 0.999_999), c - 1);
  });
  assert.is(startBackoffMs(10_000, 0.5), START_BACKOFF_CAP_MS / 2, "no overflow for long outages");
  assert.is(START_BACKOFF_BASE_MS, 30_000);
});

test("the sequence with a seeded RNG: inside its ceiling, uniform (mean ≈ half the ceiling), never two units in lockstep", () => {
  const r = rng(42);
  for (let n = 1; n <= 8; n++) {
    const ceiling = Math.min(START_BACKOFF_CAP_MS, START_BACKOFF_BASE_MS * 2 ** (n - 1));
    const waits = Array.from({ length: 20_000 }, () => startBackoffMs(n, r()));
    for (const w of waits) assert.ok(w >= 0 && w < ceiling, `${n}: ${w}`);
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    assert.ok(Math.abs(mean / ceiling - 0.5) < 0.02, `${n}: mean ${mean}`);
    // 10 bins: each holds ~10 % of the waits.
    const bins = new Array<number>(10).fill(0);
    for (const w of waits) bins[Math.floor((w / ceiling) * 10)]!++;
    for (const b of bins) assert.ok(Math.abs(b / waits.length - 0.1) < 0.015, `${n}: ${bins.join(",")}`);
  }
  // Two units with their own randomness: the same failure count, different waits.
  assert.is.not(startBackoffMs(3, rng(1)()), startBackoffMs(3, rng(2)()));
});

test("state: a tunnel that ended counts as one failed start; a registration resets; garbage is no history", () => {
  assert.is(failedBefore(parseBackoffState(undefined)), 0);
  assert.is(failedBefore(parseBackoffState(renderBackoffState({ failedStarts: 0, handedOver: true }))), 1);
  assert.is(failedBefore(parseBackoffState(renderBackoffState({ failedStarts: 4, handedOver: false }))), 4);
  for (const bad of ["", "{", "[]", '{"failedStarts":-1,"handedOver":false}', '{"failedStarts":1.5,"handedOver":false}', "null"]) {
    assert.equal(parseBackoffState(bad), { failedStarts: 0, handedOver: false }, bad);
  }
});

test("the count in /var/run goes through the shared-path layer: 0644; a planted link, FIFO or others' file is refused (no history); a write replaces the link, not its target", async () => {
  const root = mkdtempSync(join(tmpdir(), "nsplug-state-"));
  mkdirSync(join(root, "var/run"), { recursive: true });
  process.env.NS_PLUG_ROOT = root;
  const ctx = createContext("ns-plug");
  const f = join(root, BACKOFF_STATE);
  // What connect.ts makes of the file: its count, or (refused, logged) no history.
  const history = async () => {
    try {
      return String(failedBefore(parseBackoffState(await ctx.fs.readIfExists(BACKOFF_STATE))));
    } catch (e) {
      return `refused: ${(e as Error).message}`;
    }
  };
  try {
    assert.is(await ctx.fs.readIfExists(BACKOFF_STATE), undefined, "missing: no history");
    await ctx.fs.writeAtomic(BACKOFF_STATE, "x\n", { mode: 0o644 });
    assert.is(readFileSync(f, "utf8"), "x\n");
    assert.is(statSync(f).mode & 0o777, 0o644);
    assert.is(await ctx.fs.readIfExists(BACKOFF_STATE), "x\n");

    const target = join(root, "target");
    writeFileSync(target, '{"failedStarts":99,"handedOver":false}\n');
    rmSync(f);
    symlinkSync(target, f);
    assert.match(await history(), /^refused: .*symbolic link/, "a link is never read through");
    await ctx.fs.writeAtomic(BACKOFF_STATE, "y\n", { mode: 0o644 });
    assert.is(readFileSync(target, "utf8"), '{"failedStarts":99,"handedOver":false}\n', "the link's target is untouched");
    assert.is(readFileSync(f, "utf8"), "y\n");

    chmodSync(f, 0o666);
    assert.match(await history(), /^refused: /, "writable by others: not believed");
    rmSync(f);
    assert.is(spawnSync("mkfifo", [f]).status, 0);
    assert.match(await history(), /^refused: /, "a FIFO neither hangs nor counts");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
