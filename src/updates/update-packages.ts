/**
 * `update-packages` (SPEC §10): `apk update`, then `apk upgrade <pkg>` for
 * each upgradable package, one at a time so one failing package does not
 * stop the others. Every line apk prints goes to syslog under the tag
 * `update-packages`. Exit 1 when the metadata update or any upgrade failed.
 * (The original counted failures inside a pipeline's subshell, so a failed
 * upgrade still ended in "Update successful" and exit 0.)
 */
import type { Ctx } from "../platform/context";
import { parseUpgradable } from "./apk-list";

export const TAG = "update-packages";
/** apk fetches over the network; a hung mirror must not hold the cron job forever. */
const APK_TIMEOUT_MS = 30 * 60_000;

export interface UpdateOutcome {
  ok: boolean;
  upgraded: string[];
  failed: string[];
}

type Syslog = (lines: string) => Promise<void>;

/** Send text to syslog, one record per line, through `logger -s` (which echoes on stderr, as the original). */
export function syslogVia(ctx: Ctx): Syslog {
  return async (text) => {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    if (!lines.length) return;
    try {
      await ctx.exec("logger", ["-s", "-t", TAG], { stdin: lines.join("\n") + "\n", timeoutMs: 30_000 });
    } catch {
      // No logger (not OpenWrt): stderr is all we have.
      for (const l of lines) ctx.log.info(l);
    }
  };
}

async function apk(ctx: Ctx, args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await ctx.exec("apk", args, { timeoutMs: APK_TIMEOUT_MS });
    return { ok: r.code === 0 && !r.timedOut, output: r.stdout + r.stderr + (r.timedOut ? `apk ${args.join(" ")}: timed out\n` : "") };
  } catch (e) {
    return { ok: false, output: `apk: ${(e as Error).message}\n` };
  }
}

export async function updatePackages(ctx: Ctx, syslog: Syslog = syslogVia(ctx)): Promise<UpdateOutcome> {
  const update = await apk(ctx, ["update"]);
  await syslog(update.output);
  if (!update.ok) {
    await syslog("Failed to update metadata");
    return { ok: false, upgraded: [], failed: [] };
  }
  const list = await apk(ctx, ["list", "--upgradable"]);
  if (!list.ok) {
    await syslog(list.output);
    await syslog("Failed to list upgradable packages");
    return { ok: false, upgraded: [], failed: [] };
  }
  const upgraded: string[] = [];
  const failed: string[] = [];
  for (const name of parseUpgradable(list.output)) {
    const r = await apk(ctx, ["upgrade", name]);
    await syslog(r.output);
    (r.ok ? upgraded : failed).push(name);
  }
  if (failed.length) {
    await syslog(`Failed to upgrade ${failed.length} packages: ${failed.join(" ")}`);
    return { ok: false, upgraded, failed };
  }
  await syslog("Update successful");
  return { ok: true, upgraded, failed };
}
