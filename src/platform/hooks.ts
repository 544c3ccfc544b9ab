/**
 * Third-party executables we run as root: the register/unregister hook
 * directories, facts.d plugins and the hotplug event (SPEC §6).
 *
 * A hook is run only when nobody but root could have put it there: a file
 * that is group- or world-writable, or owned by another user, is skipped with
 * a warning, and so is every hook of a directory that is not root's or that
 * group or others can write (they could swap a safe file for their own
 * between our check and the exec; any local user could otherwise get code
 * run as root). "root" means uid 0
 * or the uid ns-plug itself runs as: on the router both are root; on a
 * developer machine it keeps the tests meaningful without sudo.
 */
import type { Ctx } from "./context";
import { which } from "./exec";
import { errorMessage } from "./errors";

export const HOOK_TIMEOUT_MS = 60_000;

export interface HookOutcome {
  name: string;
  /** ran = exited 0; failed = non-zero exit, signal or timeout; skipped = unsafe; error = could not start */
  result: "ran" | "failed" | "skipped" | "error";
  detail?: string;
}

/** Pure: names in byte order of their UTF-8 encoding, as `LC_ALL=C sort` orders them. */
export function byteOrder(names: readonly string[]): string[] {
  const enc = new TextEncoder();
  return [...names].sort((a, b) => {
    const x = enc.encode(a);
    const y = enc.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
}

/** Pure: why a file may not be run, or undefined when it is safe. */
export function unsafeReason(info: { mode: number; uid: number }, trustedUids: readonly number[]): string | undefined {
  if (info.mode & 0o002) return "world-writable";
  if (info.mode & 0o020) return "group-writable";
  if (!trustedUids.includes(info.uid)) return `owned by uid ${info.uid}, not root`;
  return undefined;
}

/** Pure: why no hook of a directory may run, or undefined when the directory is safe. */
export function unsafeDirReason(info: { mode: number; uid: number }, trustedUids: readonly number[]): string | undefined {
  if (info.mode & 0o022) return "directory writable by group or others";
  if (!trustedUids.includes(info.uid)) return `directory owned by uid ${info.uid}, not root`;
  return undefined;
}

function trustedUids(): number[] {
  const self = typeof process.getuid === "function" ? process.getuid() : 0;
  return self === 0 ? [0] : [0, self];
}

export interface Runnable {
  name: string;
  /** Router path. */
  path: string;
}

/**
 * The executables of `dir` that are safe to run, in byte order. Hidden files
 * (.keep), directories and files without any x bit are ignored silently: a
 * README in a hook directory is not a mistake. Unsafe ones are logged and
 * returned in `skipped`.
 */
export async function listExecutables(
  ctx: Ctx,
  dir: string,
  what: string,
): Promise<{ run: Runnable[]; skipped: HookOutcome[] }> {
  const run: Runnable[] = [];
  const skipped: HookOutcome[] = [];
  const trusted = trustedUids();
  const dirInfo = await ctx.fs.stat(dir).catch(() => undefined);
  const dirWhy = dirInfo?.isDirectory ? unsafeDirReason(dirInfo, trusted) : undefined;
  if (dirWhy) {
    ctx.log.warning(`${what}s in ${dir} skipped: ${dirWhy}`);
    return { run, skipped: [{ name: dir, result: "skipped", detail: dirWhy }] };
  }
  for (const name of byteOrder(await ctx.fs.list(dir))) {
    if (name.startsWith(".")) continue;
    const path = `${dir.replace(/\/+$/, "")}/${name}`;
    const info = await ctx.fs.stat(path).catch(() => undefined); // follows symlinks: the target counts
    if (!info || !info.isFile || (info.mode & 0o111) === 0) continue;
    const why = unsafeReason(info, trusted);
    if (why) {
      ctx.log.warning(`${what} ${path} skipped: ${why}`);
      skipped.push({ name, result: "skipped", detail: why });
      continue;
    }
    run.push({ name, path });
  }
  return { run, skipped };
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 200);
}

/**
 * Run every safe executable of `dir` in byte order, each with a timeout,
 * no arguments, its output captured into the log. Never throws: a hook's
 * failure is logged and the next one runs; the caller's exit status does
 * not depend on hooks.
 */
export async function runHooks(
  ctx: Ctx,
  dir: string,
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<HookOutcome[]> {
  const timeoutMs = opts.timeoutMs ?? HOOK_TIMEOUT_MS;
  let listed: Awaited<ReturnType<typeof listExecutables>>;
  try {
    listed = await listExecutables(ctx, dir, "hook");
  } catch (e) {
    ctx.log.error(`hooks ${dir}: cannot list: ${errorMessage(e)}`);
    return [];
  }
  const outcomes: HookOutcome[] = [...listed.skipped];
  for (const hook of listed.run) {
    try {
      const r = await ctx.exec(ctx.path(hook.path), [], {
        timeoutMs,
        processGroup: true,
        env: opts.env,
        maxOutput: 64 * 1024,
      });
      if (r.stdout.trim()) ctx.log.debug(`hook ${hook.path}: ${lastLine(r.stdout)}`);
      if (r.timedOut) {
        ctx.log.error(`hook ${hook.path} timed out after ${timeoutMs / 1000} s and was killed`);
        outcomes.push({ name: hook.name, result: "failed", detail: "timeout" });
      } else if (r.code !== 0) {
        const why = r.code === null ? `killed by ${r.signal}` : `exited ${r.code}`;
        const err = lastLine(r.stderr);
        ctx.log.error(`hook ${hook.path} ${why}${err ? `: ${err}` : ""}`);
        outcomes.push({ name: hook.name, result: "failed", detail: why });
      } else {
        ctx.log.info(`hook ${hook.path} done`);
        outcomes.push({ name: hook.name, result: "ran" });
      }
    } catch (e) {
      ctx.log.error(`hook ${hook.path} could not start: ${errorMessage(e)}`);
      outcomes.push({ name: hook.name, result: "error", detail: errorMessage(e) });
    }
  }
  return outcomes;
}

const HOTPLUG_CALL = "/sbin/hotplug-call";

/**
 * `ACTION=<action> /sbin/hotplug-call <subsystem>`: lets other packages react
 * through /etc/hotplug.d/<subsystem>/ (openwisp-config does the same). Skipped
 * when hotplug-call is not there (image build, test root without it).
 */
export async function emitHotplug(
  ctx: Ctx,
  subsystem: string,
  env: Record<string, string>,
  timeoutMs = HOOK_TIMEOUT_MS,
): Promise<boolean> {
  const bin = ctx.path(HOTPLUG_CALL);
  if (!which(bin, undefined)) {
    ctx.log.debug(`${HOTPLUG_CALL} not found: ${subsystem} event skipped`);
    return false;
  }
  try {
    const r = await ctx.exec(bin, [subsystem], { env, timeoutMs, processGroup: true });
    if (r.code !== 0) ctx.log.warning(`${HOTPLUG_CALL} ${subsystem} exited ${r.code ?? r.signal}`);
    return r.code === 0;
  } catch (e) {
    ctx.log.warning(`${HOTPLUG_CALL} ${subsystem}: ${errorMessage(e)}`);
    return false;
  }
}
