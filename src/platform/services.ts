/**
 * OpenWrt service plumbing: reload_config, /etc/init.d scripts, root's crontab.
 * Each is optional on a given system (an image build, a test root): a missing
 * command is skipped with a debug line, never an error.
 */
import type { Ctx } from "./context";
import { which } from "./exec";

const CRONTAB = "/etc/crontabs/root";

/** `reload_config`: lets procd fire the reload triggers of the configs we committed. */
export async function reloadConfig(ctx: Ctx): Promise<void> {
  if (!which("reload_config", ctx.env.PATH)) {
    ctx.log.debug("reload_config not found: skipped");
    return;
  }
  const r = await ctx.exec("reload_config", [], { timeoutMs: 30_000 });
  if (r.code !== 0) ctx.log.warning(`reload_config exited ${r.code}: ${r.stderr.trim()}`);
}

/** `/etc/init.d/<name> <action>`; returns the exit code, or undefined when the script is missing. */
export async function initScript(ctx: Ctx, name: string, action: string): Promise<number | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`internal: bad init script name ${name}`);
  const script = ctx.path(`/etc/init.d/${name}`);
  if (!which(script, undefined)) {
    ctx.log.debug(`/etc/init.d/${name} not found: ${action} skipped`);
    return undefined;
  }
  const r = await ctx.exec(script, [action], { timeoutMs: 60_000 });
  if (r.code !== 0) ctx.log.warning(`/etc/init.d/${name} ${action} exited ${r.code}`);
  return r.code ?? 1;
}

/** Pure: crontab text with `line` appended when no line contains `marker`. */
export function crontabWith(text: string, line: string, marker: string): string {
  if (text.split("\n").some((l) => l.includes(marker))) return text;
  const base = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  return `${base}${line}\n`;
}

/** Pure: crontab text without the lines that contain `marker`. */
export function crontabWithout(text: string, marker: string): string {
  return text
    .split("\n")
    .filter((l) => !l.includes(marker))
    .join("\n");
}

async function editCrontab(ctx: Ctx, edit: (t: string) => string): Promise<boolean> {
  const before = (await ctx.fs.readIfExists(CRONTAB)) ?? "";
  const after = edit(before);
  if (after === before) return false;
  await ctx.fs.writeAtomic(CRONTAB, after, { defaultMode: 0o600 });
  // busybox crond on OpenWrt does not notice edits by itself; the packages restart it.
  await initScript(ctx, "cron", "restart");
  return true;
}

/** Apply a pure edit to root's crontab; returns whether it changed. */
export function cronEdit(ctx: Ctx, edit: (t: string) => string): Promise<boolean> {
  return editCrontab(ctx, edit);
}

/** Add a cron line unless a line containing `marker` is already there. Returns whether it changed. */
export function cronAdd(ctx: Ctx, line: string, marker: string): Promise<boolean> {
  return editCrontab(ctx, (t) => crontabWith(t, line, marker));
}

/** Remove every cron line containing `marker`. Returns whether it changed. */
export function cronRemove(ctx: Ctx, marker: string): Promise<boolean> {
  return editCrontab(ctx, (t) => crontabWithout(t, marker));
}
