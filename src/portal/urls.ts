/**
 * Where the two subscription portals live (SPEC §3.2). Pure.
 *
 * Each portal has one default origin that one environment variable
 * overrides; every URL derived from that portal (api, isa, proxy) follows the
 * override, so tests and the demo point a whole portal at loopback.
 */
import { NsPlugError } from "../platform/errors";

export type PortalType = "enterprise" | "community";
export const PORTAL_TYPES: readonly PortalType[] = ["enterprise", "community"];

export const DEFAULT_PORTALS: Record<PortalType, string> = {
  enterprise: "https://my.nethesis.it",
  community: "https://my.nethserver.com",
};

export const PORTAL_ENV: Record<PortalType, string> = {
  enterprise: "NS_PLUG_ENTERPRISE_PORTAL",
  community: "NS_PLUG_COMMUNITY_PORTAL",
};

export const DISTFEED = "https://distfeed.nethesis.it";
export const UPDATES = "https://updates.nethsecurity.nethserver.org";

export function isPortalType(v: string): v is PortalType {
  return v === "enterprise" || v === "community";
}

/**
 * The portal's base URL: the override when set, else the default. The
 * override must be an http(s) URL; a path in it is kept as a prefix.
 * Trailing slashes are dropped so derived URLs never carry "//".
 */
export function portalBase(type: PortalType, env: Readonly<Record<string, string | undefined>>): string {
  const name = PORTAL_ENV[type];
  const raw = env[name];
  if (raw === undefined || raw === "") return DEFAULT_PORTALS[type];
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new NsPlugError(1, `${name}: not a URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new NsPlugError(1, `${name}: expected an http(s) URL`);
  if (u.username || u.password || u.search || u.hash) {
    throw new NsPlugError(1, `${name}: expected scheme://host[:port][/path] only`);
  }
  return `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, "");
}

export interface PortalUrls {
  /** `api_url`: …/api/ for both portals. */
  apiUrl: string;
  /** `alerts_url`: heartbeats/store and alerts/store are appended to it. */
  alertsUrl: string;
  /** `inventory_url`: the inventory is POSTed here as is. */
  inventoryUrl: string;
  /** Enterprise only: the new portal's collector (/proxy/heartbeat, /proxy/inventory, /proxy/backup). */
  proxyUrl?: string;
}

/** Pure: the URLs register writes to UCI, for a portal base. */
export function portalUrls(type: PortalType, base: string): PortalUrls {
  if (type === "enterprise") {
    return {
      apiUrl: `${base}/api/`,
      alertsUrl: `${base}/isa/`,
      inventoryUrl: `${base}/isa/inventory/store/`,
      proxyUrl: `${base}/proxy/`,
    };
  }
  return {
    apiUrl: `${base}/api/`,
    alertsUrl: `${base}/api/machine/`,
    inventoryUrl: `${base}/api/machine/inventories/store/`,
  };
}

/** `<api_url>` (or `<alerts_url>`) + path, tolerating a URL saved with or without its trailing slash. */
export function apiEndpoint(apiUrl: string, path: string): string {
  return `${apiUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/**
 * The package feed of a subscribed unit. The credentials are percent-encoded:
 * a secret with ':' '@' '/' or spaces would otherwise end the userinfo early
 * (for the usual alphanumeric secrets this is the original's URL, unchanged).
 */
export function subscribedRepositoryUrl(type: PortalType, systemId: string, secret: string): string {
  return `${DISTFEED.replace("://", `://${encodeURIComponent(systemId)}:${encodeURIComponent(secret)}@`)}/repository/${type}/nethsecurity`;
}

/** Pure: the channel named in /etc/repo-channel ("stable" when the file is missing or empty). */
export function parseChannel(text: string | undefined): string {
  const first = (text ?? "").split("\n")[0]!.trim();
  return /^[A-Za-z0-9._-]+$/.test(first) ? first : "stable";
}

/** The public feed of an unsubscribed unit. */
export function communityRepositoryUrl(channel: string): string {
  return `${UPDATES}/${channel}`;
}

/** For the commands' --help. */
export const ENV_HELP = `
Environment:
  NS_PLUG_ENTERPRISE_PORTAL  enterprise portal origin (default https://my.nethesis.it)
  NS_PLUG_COMMUNITY_PORTAL   community portal origin (default https://my.nethserver.com)
`;
