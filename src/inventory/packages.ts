/**
 * Installed package versions from the package manager's own database, read
 * as files (no opkg/apk process): NethSecurity 8 images up to 24.10 use opkg
 * (/usr/lib/opkg/status, RFC 822 stanzas), later ones apk
 * (/lib/apk/db/installed, `P:`/`V:` lines).
 */
import type { Ctx } from "../platform/context";

/** Pure: the version of `pkg` in an opkg status file. */
export function opkgVersion(status: string, pkg: string): string | undefined {
  for (const stanza of status.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split("\n")) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1]!, m[2]!.trim());
    }
    if (fields.get("Package") !== pkg) continue;
    // a package removed but not purged keeps its stanza: only "install ... installed" counts
    const st = fields.get("Status");
    if (st !== undefined && st.split(/\s+/).pop() !== "installed") continue;
    return fields.get("Version") || undefined;
  }
  return undefined;
}

/** Pure: the version of `pkg` in apk's installed database. */
export function apkVersion(db: string, pkg: string): string | undefined {
  for (const block of db.split(/\n\s*\n/)) {
    const lines = block.split("\n");
    if (!lines.includes(`P:${pkg}`)) continue;
    const v = lines.find((l) => l.startsWith("V:"));
    return v ? v.slice(2).trim() || undefined : undefined;
  }
  return undefined;
}

export async function installedVersion(ctx: Ctx, pkg: string): Promise<string | undefined> {
  const apk = await ctx.fs.readIfExists("/lib/apk/db/installed").catch(() => undefined);
  const fromApk = apk === undefined ? undefined : apkVersion(apk, pkg);
  if (fromApk) return fromApk;
  const opkg = await ctx.fs.readIfExists("/usr/lib/opkg/status").catch(() => undefined);
  return opkg === undefined ? undefined : opkgVersion(opkg, pkg);
}

/**
 * The NS7-shaped `rpms`: the portal reads the firewall UI's version under
 * NethServer 7's package name. Empty when ns-ui is not installed.
 */
export async function inventoryRpms(ctx: Ctx): Promise<Record<string, string>> {
  const ui = await installedVersion(ctx, "ns-ui");
  return ui ? { "nethserver-firewall-base-ui": ui } : {};
}
