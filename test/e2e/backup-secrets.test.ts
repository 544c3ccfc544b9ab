/**
 * The passphrase and the portal secret never appear in any child's argv or
 * environment: /proc/<pid>/cmdline and /proc/<pid>/environ of every
 * descendant of the bundle are sampled while send-backup runs sysupgrade and
 * the real gpg (which lives ≥ 0.1 s: it derives the key with 65M S2K
 * iterations, so the sampler sees it).
 */
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startBundle } from "../helpers/bundle";
import type { TestDir } from "../helpers/testdir";
import { watchDescendants, type WatchReport } from "../helpers/proc-watch";
import { PASSPHRASE, registeredRoot, SECRET, SYSTEM_ID } from "./backup-fixture";

const SECRETS = [PASSPHRASE, SECRET, Buffer.from(`${SYSTEM_ID}:${SECRET}`).toString("base64")];

let SYSUPGRADE = "";
/**
 * The stand-in exactly: a shell script, so its argv is [sh, <bin>/sysupgrade, …, -b, <file>];
 * any other `sh` child does not count.
 */
function isSysupgrade(text: string): boolean {
  const argv = text.split("\0");
  const at = argv[0] === SYSUPGRADE ? 0 : /^(\/bin\/|\/usr\/bin\/)?(da|ba)?sh$/.test(argv[0]!) && argv[1] === SYSUPGRADE ? 1 : -1;
  return at >= 0 && argv.slice(at + 1).includes("-b");
}

async function watchedRun(args: string[], dir: TestDir) {
  const child = startBundle(args, { dir });
  const watch = watchDescendants(child.pid!, SECRETS, 1);
  let out = "";
  child.stdout!.on("data", (b) => (out += b));
  child.stderr!.on("data", (b) => (out += b));
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  return { code, out, report: watch.stop() };
}

test("send-backup: no secret in any child's argv or environment while sysupgrade and gpg run", async () => {
  const f = await registeredRoot();
  SYSUPGRADE = join(f.dir.bin, "sysupgrade");
  try {
    const reports: WatchReport[] = [];
    // Each run uploads (the content changes); stop once gpg has been caught in the act.
    const sawGpg = () => reports.some((r) => r.seen.some((s) => /(^|\/)gpg$/.test(s.split(":")[1]!)));
    const sawSysupgrade = () => reports.some((r) => r.texts.some(isSysupgrade));
    for (let i = 0; i < 8 && !(sawGpg() && sawSysupgrade()); i++) {
      f.dir.write("/etc/config/counter", `\nconfig run\n\toption n '${i}'\n`);
      const r = await watchedRun(["send-backup"], f.dir);
      assert.is(r.code, 0, r.out);
      for (const s of SECRETS) assert.not.ok(r.out.includes(s), "nothing printed carries a secret");
      reports.push(r.report);
    }
    const seen = reports.flatMap((r) => r.seen.map((s) => s.split(":")[1]!));
    assert.ok(seen.some((s) => /(^|\/)gpg$/.test(s)), `gpg was never observed running (seen: ${[...new Set(seen)].join(", ")})`);
    assert.ok(sawSysupgrade(), `the sysupgrade stand-in (${SYSUPGRADE} -b …) was never observed running`);
    assert.equal(reports.flatMap((r) => r.hits), [], "no process carried a secret");
    assert.ok(f.backupd.backups.length >= 1);
    if (process.env.TEST_VERBOSE) console.log(`runs: ${reports.length}; seen: ${[...new Set(seen)].join(", ")}`);
  } finally {
    await f.cleanup();
  }
});

test.run();
