/**
 * The rpcd exec-plugin protocol, as rpcd's plugin.c drives it:
 *   `<plugin> list`          → one JSON object: method → argument signature
 *   `<plugin> call <method>` → JSON arguments on stdin, one JSON object on stdout
 * Two callers run `call` (SPEC §7): rpcd, which reads the first JSON value of
 * stdout, and ns-api-server (the web UI's backend), which reads stdout and
 * stderr combined, turns any non-zero exit into a bare "ubus call action
 * failed" and any extra byte into `data: null`. So every outcome — bad input,
 * a failure, a crash inside a handler — is answered in-band, exactly once; the
 * process exits 0 once it printed; and the log goes to syslog, not stderr
 * (platform/syslog.ts). Every plugin run through runPlugin gets this.
 * The installed fronts answer `list` in sh; this `list` serves direct runs.
 */
import type { Ctx } from "../platform/context";
import { redact } from "../platform/log";
import { createSyslogLog } from "../platform/syslog";
import { errorAnswer, issuesToErrors, RpcdFailure, systemReason, validationAnswer, type Answer } from "./answer";
import type { Method, PluginMethods } from "./method";
import { RPCD_TABLES, type PluginName } from "./tables";

/** rpcd truncates a call's arguments at 64 KiB; more than that is not from rpcd. */
export const STDIN_CAP = 64 * 1024;
/**
 * rpcd kills a plugin after its exec timeout (30 s on stock OpenWrt, 300 s on
 * NethSecurity); ns-api-server has none. Long calls answer before this.
 */
export const DEADLINE_MS = 100_000;
/** A caller that never closes stdin (a terminal, a stuck pipe) gets an answer anyway. */
const STDIN_IDLE_MS = 5_000;

export type Parsed = { args: Record<string, unknown> } | { answer: Answer };

/** Pure: stdin text → argument object, or the error answer. Empty input is `{}`. */
export function parseArguments(text: string): Parsed {
  if (text.trim() === "") return { args: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { answer: errorAnswer("invalid_json") };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { answer: errorAnswer("arguments_not_object") };
  // blobmsg has no null; a null from another caller means "not given".
  const args: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) if (val !== null) args[k] = val;
  return { args };
}

/** Pure: validate `args` with the method's schema. */
export function validateArguments(m: Method, args: Record<string, unknown>): { value: unknown } | { answer: Answer } {
  if (!m.args) return { value: {} };
  const r = m.args.safeParse(args);
  if (r.success) return { value: r.data };
  return { answer: validationAnswer(issuesToErrors(r.error.issues as never, args, m.secrets)) };
}

type Input = { text: string; tooLarge: boolean };

/** Read stdin up to `cap` bytes; stops at EOF, at the cap, or after `idleMs` of silence. */
export function readInput(ctx: Ctx, cap = STDIN_CAP, idleMs = STDIN_IDLE_MS): Promise<Input> {
  const stream = ctx.stdin as typeof ctx.stdin & { isTTY?: boolean };
  if (stream.isTTY) return Promise.resolve({ text: "", tooLarge: false });
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (tooLarge: boolean) => {
      if (timer) clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onEnd);
      stream.pause();
      const all = new Uint8Array(Math.min(size, cap));
      let at = 0;
      for (const c of chunks) {
        const part = c.subarray(0, all.length - at);
        all.set(part, at);
        at += part.length;
      }
      resolve({ text: new TextDecoder().decode(all), tooLarge });
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => done(false), idleMs);
    };
    const onData = (c: Uint8Array | string) => {
      const b = typeof c === "string" ? new TextEncoder().encode(c) : c;
      chunks.push(b);
      size += b.length;
      if (size > cap) done(true);
      else arm();
    };
    const onEnd = () => done(false);
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onEnd);
    arm();
  });
}

/** The handlers see a ctx whose stdout is the log: nothing they do can add to the answer. */
function quiet(ctx: Ctx): Ctx {
  return { ...ctx, print: (t) => ctx.log.debug(`(not on stdout) ${t.trim()}`) };
}

async function answerCall(ctx: Ctx, plugin: PluginName, name: string, m: Method): Promise<Answer> {
  const input = await readInput(ctx);
  if (input.tooLarge) return errorAnswer("input_too_large");
  const parsed = parseArguments(input.text);
  if ("answer" in parsed) return parsed.answer;
  const checked = validateArguments(m, parsed.args);
  if ("answer" in checked) return checked.answer;
  let timedOut = false;
  const deadline = ctx.clock.sleep(DEADLINE_MS).then(() => {
    timedOut = true;
    return errorAnswer("timeout");
  });
  try {
    const a = await Promise.race([m.run(quiet(ctx), checked.value), deadline]);
    if (timedOut) {
      ctx.log.error(`${plugin} ${name}: no answer after ${DEADLINE_MS / 1000} s`);
      // The process exits after this answer: what the work left behind (a backup workspace, children) goes first.
      await ctx.abandon();
    }
    return a;
  } catch (e) {
    if (e instanceof RpcdFailure) {
      ctx.log.error(`${plugin} ${name}: ${e.message}`);
      return errorAnswer(e.reason);
    }
    const msg = e instanceof Error ? e.message : String(e);
    ctx.log.error(`${plugin} ${name}: ${msg.split("\n")[0]}`);
    return errorAnswer(systemReason(e) ?? "internal_error");
  }
}

/** Secrets never reach stdout: redacted value by value, so the JSON stays whole. */
export function serialize(answer: Answer): string {
  try {
    return JSON.stringify(answer, (_k, v: unknown) => (typeof v === "string" ? redact.apply(v) : v));
  } catch {
    return JSON.stringify(errorAnswer("internal_error"));
  }
}

function help(plugin: PluginName): string {
  const methods = Object.keys(RPCD_TABLES[plugin]);
  return [
    `Usage: ${plugin} list | call <method>   (rpcd exec plugin; arguments as JSON on stdin)`,
    "",
    `Methods: ${methods.join(", ")}`,
    "",
  ].join("\n");
}

/**
 * Run one plugin invocation; returns the exit code: 0 whenever an answer was
 * printed, error answers included (ns-api-server drops the answer of a
 * non-zero exit). `list` and `--help` run from a shell keep stderr.
 */
export async function runPlugin<P extends PluginName>(
  ctx: Ctx,
  plugin: P,
  argv: string[],
  load: () => Promise<{ methods: PluginMethods<P> }>,
): Promise<number> {
  const table = RPCD_TABLES[plugin] as Record<string, unknown>;
  const [verb, name] = argv;
  if (verb === "--help" || verb === "-h") {
    ctx.print(help(plugin));
    return 0;
  }
  if (verb === "list" && argv.length === 1) {
    ctx.print(`${JSON.stringify(table)}\n`);
    return 0;
  }
  // From here on the caller reads stdout (and maybe stderr) as the answer: the log goes to syslog.
  const syslog = createSyslogLog(ctx.exec, plugin, ctx.log);
  const pctx: Ctx = { ...ctx, log: syslog.log };
  // rpcd's kill (SIGTERM) ends the call: what it logged still reaches syslog.
  const unsubscribe = ctx.onTerminate(() => syslog.flush());
  let answer: Answer;
  if (verb !== "call" || name === undefined || argv.length !== 2) {
    pctx.log.error(`usage: ${plugin} list | call <method>`);
    answer = errorAnswer("usage");
  } else if (!Object.hasOwn(table, name)) {
    pctx.log.error(`unknown method ${JSON.stringify(name.slice(0, 64))}`);
    answer = errorAnswer("method_not_found");
  } else {
    let m: Method | undefined;
    try {
      m = (await load()).methods[name as keyof PluginMethods<P>] as Method;
    } catch (e) {
      pctx.log.error(`${plugin}: cannot load methods: ${e instanceof Error ? e.message : String(e)}`);
    }
    answer = m ? await answerCall(pctx, plugin, name, m) : errorAnswer("internal_error");
  }
  ctx.print(`${serialize(answer)}\n`); // the one write to stdout
  unsubscribe();
  await syslog.flush();
  return 0;
}
