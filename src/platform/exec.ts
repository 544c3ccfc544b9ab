import type * as ChildProcess from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { Readable, Writable } from "node:stream";

export interface ExecOptions {
  /** Data or a stream for the child's stdin; omitted → /dev/null. */
  stdin?: string | Uint8Array | Readable;
  /**
   * Extra pipes from fd 3 upwards, each written then closed: how a secret
   * reaches a child (gpg --passphrase-fd 3) without argv or environment.
   */
  fds?: Array<string | Uint8Array>;
  /** Kill (SIGTERM, then SIGKILL after 2 s) when exceeded. */
  timeoutMs?: number;
  /** Added to the context's environment. Never put a secret here. */
  env?: Record<string, string>;
  cwd?: string;
  /** Where stdout goes: captured (default), or streamed into a writable. */
  stdout?: "capture" | Writable;
  /** Stop capturing beyond this many bytes (default 16 MiB). */
  maxOutput?: number;
  /** Kill the child (SIGTERM) when aborted, e.g. from ctx.onTerminate before removing its files. */
  signal?: AbortSignal;
  /**
   * Run the child in its own process group and signal the whole group on
   * timeout. For third-party scripts (hooks, facts.d plugins): a shell
   * killed alone leaves its `sleep` holding our pipes open until it ends.
   */
  processGroup?: boolean;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
  timedOut: boolean;
}

export type Exec = (cmd: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** Find an executable in PATH (or check an absolute one). */
export function which(cmd: string, path: string | undefined): string | undefined {
  const candidates = isAbsolute(cmd) ? [cmd] : (path ?? "").split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

let cp: typeof ChildProcess | undefined;

/**
 * procd's PATH. OpenVPN runs its hooks (route-up, down) with only its own
 * variables, so a hook has no PATH at all: without a default it could not
 * find `ip`, `logger` or an init script.
 */
export const DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * spawn with an argument array, never a shell. PATH comes from the context's
 * environment, so tests put their OpenWrt stand-ins first.
 */
export function createExec(baseEnv: Record<string, string | undefined>): Exec {
  return (cmd, args, opts = {}) =>
    new Promise((resolve, reject) => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
      Object.assign(env, opts.env ?? {});
      env.PATH ??= DEFAULT_PATH;
      const resolved = which(cmd, env.PATH);
      if (!resolved) {
        const e = new Error(`${cmd}: command not found`) as Error & { code: string };
        e.code = "ENOENT";
        reject(e);
        return;
      }
      const fds = opts.fds ?? [];
      const stdinKind = opts.stdin === undefined ? "ignore" : "pipe";
      const stdoutKind = opts.stdout === undefined || opts.stdout === "capture" ? "pipe" : "pipe";
      // Loaded on the first spawn, not at start-up: child_process pulls in net,
      // dgram and the stream machinery, which commands that never spawn don't need.
      cp ??= require("node:child_process") as typeof ChildProcess;
      const child = cp.spawn(resolved, args, {
        env,
        cwd: opts.cwd,
        stdio: [stdinKind, stdoutKind, "pipe", ...fds.map(() => "pipe" as const)],
        detached: opts.processGroup === true,
      });
      const kill = (sig: NodeJS.Signals) => {
        if (opts.processGroup && child.pid !== undefined) {
          try {
            process.kill(-child.pid, sig);
            return;
          } catch {
            /* group already gone: fall back to the child itself */
          }
        }
        child.kill(sig);
      };
      const max = opts.maxOutput ?? 16 * 1024 * 1024;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timer =
        opts.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              kill("SIGTERM");
              killTimer = setTimeout(() => kill("SIGKILL"), 2000);
            }, opts.timeoutMs)
          : undefined;

      if (opts.stdout && opts.stdout !== "capture") {
        child.stdout!.pipe(opts.stdout, { end: false });
      } else {
        child.stdout!.on("data", (b: Buffer) => {
          if (outLen < max) out.push(b);
          outLen += b.length;
        });
      }
      child.stderr!.on("data", (b: Buffer) => {
        if (errLen < 1024 * 1024) err.push(b);
        errLen += b.length;
      });
      // EPIPE on a pipe the child closed early is not our failure; its exit code says what happened.
      const ignore = () => {};
      fds.forEach((data, i) => {
        const s = child.stdio[3 + i] as Writable;
        s.on("error", ignore);
        s.end(data);
      });
      if (opts.stdin !== undefined) {
        child.stdin!.on("error", ignore);
        const input = opts.stdin;
        if (typeof input === "string" || input instanceof Uint8Array) child.stdin!.end(input);
        else input.pipe(child.stdin!);
      }
      const onAbort = () => kill("SIGTERM");
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener("abort", onAbort, { once: true });
      child.on("error", (e) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        reject(e);
      });
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        if (killTimer) clearTimeout(killTimer);
        const stdoutBytes = Buffer.concat(out);
        resolve({
          code,
          signal,
          stdout: stdoutBytes.toString("utf8"),
          stdoutBytes,
          stderr: Buffer.concat(err).toString("utf8"),
          timedOut,
        });
      });
    });
}
