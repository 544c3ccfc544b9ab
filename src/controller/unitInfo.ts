/**
 * Facts about this unit that the controller wants: name, version, ssh port.
 * Missing files give empty values, never a crash (a test root or a minimal
 * image may lack them).
 */
import type { Ctx } from "../platform/context";
import type { NsPlugConfig } from "../config";
import { loadPackage } from "../platform/uci/store";
import { parseShellVars } from "../platform/shellvars";

/** Pure: KEY=value lines of /etc/os-release (platform/shellvars.ts). */
export const parseOsRelease = parseShellVars;

export async function readOsRelease(ctx: Ctx): Promise<Record<string, string>> {
  return parseOsRelease((await ctx.fs.readIfExists("/etc/os-release")) ?? "");
}

export async function readHostname(ctx: Ctx): Promise<string> {
  return ((await ctx.fs.readIfExists("/proc/sys/kernel/hostname")) ?? "").trim();
}

/** The unit name shown at the controller: `unit_name`, else the hostname. */
export async function unitName(ctx: Ctx, config: NsPlugConfig): Promise<string> {
  return config.unitName ?? (await readHostname(ctx));
}

/** dropbear's port (first section with one), default 22 (also when its config is unreadable). */
export async function readSshPort(ctx: Ctx): Promise<number> {
  const pkg = await loadPackage(ctx.fs, "dropbear").catch(() => undefined);
  for (const s of pkg?.sectionsOfType("dropbear") ?? []) {
    const p = pkg!.get(s.name, "Port");
    if (typeof p === "string" && /^[0-9]{1,5}$/.test(p)) return Number(p);
  }
  return 22;
}
