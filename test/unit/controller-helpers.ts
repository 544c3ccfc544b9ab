/**
 * In-process context for the controller tests: the real fs/exec/http on a
 * temp root, a log captured in memory, and a clock whose sleep returns at
 * once but records how long it was asked to wait. That lets a test run the
 * registration loop through dozens of 10 s polls in milliseconds and check
 * the waits it would have made.
 */
import { PassThrough } from "node:stream";
import type { Ctx } from "../../src/platform/context";
import { NsPlugError } from "../../src/platform/errors";
import { createExec } from "../../src/platform/exec";
import { createFs } from "../../src/platform/fs";
import { createHttp } from "../../src/platform/http";
import { createLog } from "../../src/platform/log";
import { makeResolver } from "../../src/platform/paths";
import type { TestDir } from "../helpers/testdir";

export interface TestCtx {
  ctx: Ctx;
  logs: string[];
  sleeps: number[];
  out: string[];
  close(): Promise<void>;
}

/** `randoms`: the values clock.random() returns in turn (cycled); default 0.5 (no jitter). */
export function makeCtx(dir: TestDir, opts: { randoms?: number[]; env?: Record<string, string> } = {}): TestCtx {
  const logs: string[] = [];
  const sleeps: number[] = [];
  const out: string[] = [];
  const randoms = opts.randoms ?? [0.5];
  let n = 0;
  const random = () => randoms[n++ % randoms.length]!;
  const env = { ...process.env, PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root, ...opts.env };
  const resolve = makeResolver(dir.root);
  const http = createHttp({ sleep: async () => {}, random });
  const ctx: Ctx = {
    root: dir.root,
    env,
    path: resolve,
    fs: createFs(resolve),
    exec: createExec(env),
    http,
    log: createLog((l) => logs.push(l), "connect", "debug"),
    clock: {
      now: () => new Date(),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random,
    },
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    print: (t) => {
      out.push(t);
    },
    onTerminate: () => () => {},
    abandon: async () => {},
    onSignal: () => () => {},
  };
  return { ctx, logs, sleeps, out, close: () => http.close() };
}

/** /etc/config/ns-plug with the given options in section 'config'. */
export function nsPlugConfig(options: Record<string, string | undefined>): string {
  let s = "\nconfig main 'config'\n";
  for (const [k, v] of Object.entries(options)) if (v !== undefined) s += `\toption ${k} '${v}'\n`;
  return s;
}

/** The exit code a command would end with: its resolved value, or the code its NsPlugError carries. */
export async function exitCode(p: Promise<number>): Promise<number> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof NsPlugError) return e.exitCode;
    throw e;
  }
}
