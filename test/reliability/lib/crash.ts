/**
 * Crash consistency (issue 9 §3): run a bundle command on a copy of a
 * template root, SIGKILL its whole process group after a random delay, and
 * classify every file the command writes: the old version, the new version,
 * or torn (anything else, or unparseable). A hidden temp file left next to a
 * target (`.name.*.tmp`, writeAtomic's) means the kill landed mid-write,
 * between creating the temp file and the rename.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { BUNDLE, bundleEnv } from "../../helpers/bundle";

export interface Target {
  /** Router path of a file the command writes. */
  path: string;
  /** Text before and after a complete run (undefined = absent), after `normalise`. */
  old?: string;
  new?: string;
  /** Must not throw for a file that is whole (UCI parser, digest shape, …). */
  parse(text: string): void;
  /** Volatile parts replaced (a random password hash), so versions compare. */
  normalise?(text: string): string;
  mode?: number;
}

export interface Job {
  name: string;
  /** A prepared root to copy for every run. */
  template: string;
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  targets: Target[];
}

export interface RunOutcome {
  /** Per target: "old" | "new" | "torn: why". */
  states: string[];
  /** Temp files found next to the targets. */
  temps: string[];
  delayMs: number;
  /** The process had already exited when the kill was due. */
  finished: boolean;
}

const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : undefined);

/** Files may name their own root (client.conf's hook paths under NS_PLUG_ROOT): compare without it. */
export function rootless(text: string | undefined, root: string): string | undefined {
  return text?.split(root).join("<root>");
}

/** Run once without a kill: duration and when each target changed (ms after spawn). */
export async function calibrate(job: Job): Promise<{ ms: number; writes: number[]; after: (string | undefined)[] }> {
  const root = copyRoot(job.template);
  try {
    const t0 = Date.now();
    const { code, stderr } = await runOnce(job, root, undefined);
    const ms = Date.now() - t0;
    if (code !== 0) throw new Error(`${job.name}: calibration run failed (exit ${code}): ${stderr}`);
    const writes = job.targets.map((t) => {
      const p = join(root, t.path);
      return existsSync(p) ? Math.max(0, statSync(p).mtimeMs - t0) : NaN;
    });
    return { ms, writes, after: job.targets.map((t) => rootless(read(join(root, t.path)), root)) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function copyRoot(template: string): string {
  const root = mkdtempSync(join(tmpdir(), "nsplug-crash-"));
  cpSync(template, root, { recursive: true, preserveTimestamps: true });
  return root;
}

function runOnce(job: Job, root: string, killAfterMs: number | undefined): Promise<{ code: number | null; stderr: string; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const env = bundleEnv({ env: { ...job.env, NS_PLUG_ROOT: root, PATH: `${join(root, ".standins", "bin")}:${process.env.PATH}` } });
    // Its own process group: the kill takes sysupgrade, gpg, stand-ins with it, like a power cut.
    const child = spawn(process.execPath, [BUNDLE, ...job.args], { env, detached: true, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    let exited = false;
    child.stderr!.on("data", (b) => (stderr += b));
    child.stdin!.on("error", () => {});
    child.stdin!.end(job.stdin ?? "");
    const timer =
      killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            try {
              process.kill(-child.pid!, "SIGKILL");
            } catch {
              /* already gone */
            }
          }, killAfterMs);
    child.on("exit", () => (exited = true));
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      const finished = code !== null;
      // The group may outlive the leader by a moment (a child still running): make sure it is gone.
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* none left */
      }
      void exited;
      resolve({ code, stderr, finished });
    });
  });
}

/** Files left by writeAtomic next to a target: `.<name>.<hex>.tmp`. */
function tempsNear(root: string, targets: Target[]): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    const dir = join(root, dirname(t.path));
    if (!existsSync(dir)) continue;
    const prefix = `.${basename(t.path)}.`;
    for (const f of readdirSync(dir)) if (f.startsWith(prefix) && f.endsWith(".tmp")) out.add(join(dirname(t.path), f));
  }
  return [...out];
}

export function classify(t: Target, text: string | undefined): string {
  const norm = (s: string | undefined) => (s === undefined || !t.normalise ? s : t.normalise(s));
  const v = norm(text);
  if (v !== undefined) {
    try {
      t.parse(text!);
    } catch (e) {
      return `torn: does not parse (${(e as Error).message})`;
    }
  }
  if (v === norm(t.old)) return "old";
  if (v === norm(t.new)) return "new";
  return `torn: neither old nor new (${text === undefined ? "absent" : `${text.length} bytes`})`;
}

export async function crashRun(job: Job, delayMs: number): Promise<RunOutcome> {
  const root = copyRoot(job.template);
  try {
    const r = await runOnce(job, root, delayMs);
    const states = job.targets.map((t) => {
      const p = join(root, t.path);
      // An untouched file still names the template's root (it was copied from there).
      const state = classify(t, rootless(rootless(read(p), root), job.template));
      if (!state.startsWith("torn") && t.mode !== undefined && existsSync(p) && (statSync(p).mode & 0o777) !== t.mode) {
        return `torn: mode ${(statSync(p).mode & 0o777).toString(8)}`;
      }
      return state;
    });
    return { states, temps: tempsNear(root, job.targets), delayMs, finished: r.finished };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
