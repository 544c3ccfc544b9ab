/**
 * Run the *generated* rpcd plugin files (dist/rpcd/<plugin>) exactly as rpcd
 * does: `<file> list`, or `<file> call <method>` with JSON on stdin, against a
 * test root. rpcd reads only the first JSON value on stdout, so `onlyJson`
 * insists there is exactly one object and nothing else.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { bundleEnv, REPO } from "./bundle";
import type { TestDir } from "./testdir";

export const PLUGINS = ["ns.plug", "ns.subscription", "ns.backup", "ns.don"] as const;
export type Plugin = (typeof PLUGINS)[number];
export const pluginFile = (p: string) => join(REPO, "dist", "rpcd", p);

export interface PluginRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runFile(
  file: string,
  args: string[],
  opts: {
    dir?: TestDir;
    env?: Record<string, string | undefined>;
    stdin?: string | Buffer;
    timeoutMs?: number;
    /** Run through a wrapper, e.g. ["ip", "netns", "exec", name]. */
    prefix?: string[];
  } = {},
): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const env = bundleEnv({ dir: opts.dir, env: opts.env });
    const [cmd, ...argv] = [...(opts.prefix ?? []), file, ...args];
    const child = spawn(cmd!, argv, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.stdin ?? "");
  });
}

/** stdout must be one JSON object and a newline, nothing before or after. */
export function onlyJson(stdout: string, stderr = ""): Record<string, unknown> {
  if (!stdout.endsWith("\n") || stdout.indexOf("\n") !== stdout.length - 1) {
    throw new Error(`stdout is not exactly one line: ${JSON.stringify(stdout)}\nstderr: ${stderr}`);
  }
  const v = JSON.parse(stdout) as unknown;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`not a JSON object: ${stdout}`);
  return v as Record<string, unknown>;
}

/** `<plugin> call <method>` with `args` (an object → compact JSON like rpcd, or raw text). */
export async function call(
  dir: TestDir,
  plugin: Plugin,
  method: string,
  args: unknown = {},
  env: Record<string, string | undefined> = {},
  prefix?: string[],
): Promise<{ answer: Record<string, unknown>; run: PluginRun }> {
  const stdin = typeof args === "string" || Buffer.isBuffer(args) ? args : JSON.stringify(args);
  const run = await runFile(pluginFile(plugin), ["call", method], { dir, env, stdin, prefix });
  return { answer: onlyJson(run.stdout, run.stderr), run };
}
