/**
 * `distfeed-setup` (SPEC §10): apk's repository files for this router.
 *
 * - 99-defaults.list: `set -default` values (target, arch, versions, channel)
 *   and the default endpoint, the public updates server for the channel.
 * - 01-enterprise.list (mode 0600, only while subscribed): `set endpoint=` with
 *   the portal credentials; apk reads the files in name order and a plain
 *   `set` wins over `set -default`, so a subscribed unit uses the
 *   subscription's repository. It holds the secret: nowhere else does (not in
 *   argv, not in the other two files).
 * - distfeeds.list: the five feeds, written with apk's ${…} variables.
 *
 * Formats: upstream docs/design/distfeed.md. Each file is replaced
 * atomically; a file that already has the content is left alone.
 */
import type { Ctx } from "../platform/context";
import type { NsPlugConfig } from "../config";
import type { FeedFacts } from "./release";

export const REPO_DIR = "/etc/apk/repositories.d";
export const DEFAULTS_LIST = `${REPO_DIR}/99-defaults.list`;
export const ENTERPRISE_LIST = `${REPO_DIR}/01-enterprise.list`;
export const DISTFEEDS_LIST = `${REPO_DIR}/distfeeds.list`;
export const DEFAULT_ENDPOINT = "updates.nethsecurity.nethserver.org";
export const SUBSCRIPTION_HOST = "distfeed.nethesis.it";

const HEADER = "# This file is handled by nethsecurity and should not be edited manually. Changes will be overwritten.\n";

/* The ${…} below are apk's variables, expanded by apk, not by us. */
export const DISTFEEDS = [
  "https://${endpoint}/${version}/targets/${target_arch}/packages/packages.adb",
  "https://${endpoint}/${version}/packages/${package_arch}/base/packages.adb",
  "https://${endpoint}/${version}/packages/${package_arch}/luci/packages.adb",
  "https://${endpoint}/${version}/packages/${package_arch}/nethsecurity/packages.adb",
  "https://${endpoint}/${version}/packages/${package_arch}/packages/packages.adb",
].join("\n") + "\n";

export function renderDefaults(f: FeedFacts): string {
  return (
    HEADER +
    "# Create a 98-overrides.list file to override these values if needed.\n" +
    `set -default target_arch=${f.target}\n` +
    `set -default package_arch=${f.arch}\n` +
    `set -default openwrt_version=${f.openwrtVersion}\n` +
    `set -default repo_channel=${f.channel}\n` +
    `set -default version=${f.versionId}\n` +
    `set -default endpoint=${DEFAULT_ENDPOINT}/\${repo_channel}\n`
  );
}

export interface Subscription {
  type: "enterprise" | "community";
  systemId: string;
  secret: string;
}

/** Pure: subscribed (type, system_id and secret all set) → the credentials; else undefined. */
export function subscriptionOf(c: Pick<NsPlugConfig, "type" | "systemId" | "secret">): Subscription | undefined {
  return c.type && c.systemId && c.secret ? { type: c.type, systemId: c.systemId, secret: c.secret } : undefined;
}

/**
 * The credentials go into a URL's user-info: percent-encoded, so that a ':',
 * '@', '/' or a newline in a value can neither split the URL nor add a line.
 */
export function renderEnterprise(s: Subscription): string {
  const user = encodeURIComponent(s.systemId);
  const pass = encodeURIComponent(s.secret);
  return HEADER + `set endpoint=${user}:${pass}@${SUBSCRIPTION_HOST}/repository/${s.type}/nethsecurity\n`;
}

export interface DistfeedResult {
  subscribed: boolean;
  changed: string[];
}

async function put(ctx: Ctx, path: string, text: string, mode: number, changed: string[]): Promise<void> {
  const st = await ctx.fs.stat(path);
  if (st?.isFile && st.mode === mode && (await ctx.fs.readIfExists(path)) === text) return;
  await ctx.fs.writeAtomic(path, text, { mode });
  changed.push(path);
}

export async function setupDistfeeds(ctx: Ctx, facts: FeedFacts, config: NsPlugConfig): Promise<DistfeedResult> {
  await ctx.fs.mkdirp(REPO_DIR, 0o755);
  const changed: string[] = [];
  await put(ctx, DEFAULTS_LIST, renderDefaults(facts), 0o644, changed);
  const sub = subscriptionOf(config);
  if (sub) await put(ctx, ENTERPRISE_LIST, renderEnterprise(sub), 0o600, changed);
  else if (await ctx.fs.stat(ENTERPRISE_LIST)) {
    await ctx.fs.remove(ENTERPRISE_LIST);
    changed.push(ENTERPRISE_LIST);
  }
  await put(ctx, DISTFEEDS_LIST, DISTFEEDS, 0o644, changed);
  return { subscribed: !!sub, changed };
}
