/**
 * Run the *built* bundle as a subprocess, as it runs on the router: with
 * NS_PLUG_ROOT pointing at a test root and that root's stand-ins first in PATH.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TestDir } from "./testdir";

export const REPO = resolve(new URL("../..", import.meta.url).pathname);
export const BUNDLE = join(REPO, "dist", "ns-plug.js");

export interface RunOptions {
  dir?: TestDir;
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Call the bundle through a link with this name (e.g. "register", "ns.plug"). */
  as?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function bundleEnv(opts: RunOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  if (opts.dir) {
    env.NS_PLUG_ROOT = opts.dir.root;
    env.PATH = `${opts.dir.bin}:${process.env.PATH}`;
  }
  delete env.NODE_OPTIONS; // the test process runs under tsx; the bundle must not
  return env;
}

function command(opts: RunOptions, args: string[]): [string, string[]] {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npm run build' (test/run.mjs does)`);
  if (!opts.as) return [process.execPath, [BUNDLE, ...args]];
  const base = opts.dir ? join(opts.dir.root, ".standins", "links") : join(REPO, "dist", ".links");
  mkdirSync(base, { recursive: true });
  const link = join(base, opts.as);
  if (!existsSync(link)) symlinkSync(BUNDLE, link);
  return [link, args];
}

export function startBundle(args: string[], opts: RunOptions = {}): ChildProcess {
  const [cmd, argv] = command(opts, args);
  return spawn(cmd, argv, { env: bundleEnv(opts), stdio: ["pipe", "pipe", "pipe"] });
}

export function runBundle(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = startBundle(args, opts);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (b) => (stdout += b));
    child.stderr!.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin!.on("error", () => {});
    child.stdin!.end(opts.stdin ?? "");
  });
}
