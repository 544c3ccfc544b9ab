/**
 * The small context every feature receives. Production builds it from the
 * real process here; tests build the same thing against a temp root by
 * running the bundle with NS_PLUG_ROOT. There are no test switches: only
 * injected paths, environment and PATH.
 */
import type { Readable, Writable } from "node:stream";
import { makeResolver } from "./paths";
import { createFs, type Fs } from "./fs";
import { createExec, type Exec } from "./exec";
import { createHttp, type Http } from "./http";
import { createLog, isLevel, type Log } from "./log";

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface Ctx {
  /** NS_PLUG_ROOT: where the router's / is. */
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Map a router path to this machine's path (for argv of child processes). */
  path(abs: string): string;
  fs: Fs;
  exec: Exec;
  http: Http;
  log: Log;
  clock: Clock;
  stdin: Readable;
  stdout: Writable;
  /** Write text to stdout (the command's output, not the log). */
  print(text: string): void;
  /** Run `fn` on SIGTERM/SIGINT/SIGHUP before the process ends (temp-file cleanup); returns an unsubscribe. */
  onTerminate(fn: () => void | Promise<void>): () => void;
  /**
   * The caller stops waiting for the work in progress (rpcd's deadline answered
   * for it, and the process is about to exit): run the onTerminate handlers now
   * — kill children, remove temp files — as a signal would.
   */
  abandon(): Promise<void>;
  /**
   * Daemons: call `fn` on this signal instead of the default action (which
   * ends the process). The alert proxy drains on SIGTERM and returns its
   * exit code to main.ts, and re-reads its config on SIGHUP. Returns an unsubscribe.
   */
  onSignal(signal: "SIGTERM" | "SIGINT" | "SIGHUP", fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
};

/**
 * Commands print, return, and main.ts ends the process (its one exit call), which drops what a
 * pipe has not taken yet: through `| jq` or rpcd, a 1 MB subscription-info
 * answer came out cut at 64 KiB (issue 9's hostile corpus). Blocking writes
 * on a piped stdout make every print() complete before it returns (files and
 * TTYs are synchronous already).
 */
function blockingStdout(): void {
  const handle = (process.stdout as unknown as { _handle?: { setBlocking?(on: boolean): unknown } })._handle;
  handle?.setBlocking?.(true);
}

export function createContext(tag: string): Ctx {
  blockingStdout();
  const env = process.env;
  const root = env.NS_PLUG_ROOT || "/";
  const resolve = makeResolver(root);
  const level = env.NS_PLUG_LOGLEVEL ?? "info";
  const log = createLog((l) => process.stderr.write(l), tag, isLevel(level) ? level : "info");
  const handlers = new Set<() => void | Promise<void>>();
  let installed = false;
  const onSignal = (sig: NodeJS.Signals) => {
    void Promise.allSettled([...handlers].map((h) => h())).then(() => {
      // Default disposition again, then re-raise: the parent sees "killed by SIGTERM" as usual.
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
    });
  };
  return {
    root,
    env,
    path: resolve,
    fs: createFs(resolve),
    exec: createExec(env),
    http: createHttp({ sleep: realClock.sleep, random: realClock.random }),
    log,
    clock: realClock,
    // A getter: touching process.stdin creates its stream (for a pipe, a
    // net.Socket, which loads net), and only the rpcd plugins read stdin.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    print: (text) => {
      process.stdout.write(text);
    },
    onTerminate(fn) {
      handlers.add(fn);
      if (!installed) {
        installed = true;
        for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(s, onSignal);
      }
      return () => handlers.delete(fn);
    },
    async abandon() {
      await Promise.allSettled([...handlers].map((h) => h()));
    },
    onSignal(signal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    },
  };
}
