/**
 * Where remote backups live and who we are there: pure, from the parsed
 * ns-plug config and the environment (portal host override).
 */
import type { NsPlugConfig } from "../config";
import { portalBase, portalUrls } from "../portal/index";
import { BackupError } from "./errors";

export interface RemoteTarget {
  /** `<backup_url>/<type>/api/v2/backup/` */
  base: string;
  type: "enterprise" | "community";
  auth: { basic: { user: string; password: string } };
  /** Best-effort copy of every upload (enterprise only): `<portal>/proxy/backup`. */
  proxyUrl?: string;
}

export const NOT_CONFIGURED = "System ID, system secret or backup url not found";

/** Pure: is the unit registered with a portal (send-backup does nothing otherwise)? */
export function isRegistered(c: NsPlugConfig): boolean {
  return c.systemId !== undefined && c.secret !== undefined;
}

/** Pure: `<enterprise portal>/proxy/backup`, following NS_PLUG_ENTERPRISE_PORTAL (SPEC §3.2). */
export function backupProxyUrl(env: Readonly<Record<string, string | undefined>>): string {
  return `${portalUrls("enterprise", portalBase("enterprise", env)).proxyUrl}backup`;
}

export function remoteTarget(c: NsPlugConfig, env: Readonly<Record<string, string | undefined>>): RemoteTarget {
  if (!c.systemId || !c.secret || !c.backupUrl || !c.type) {
    throw new BackupError("remote_not_configured", NOT_CONFIGURED);
  }
  let url: URL;
  try {
    url = new URL(c.backupUrl);
  } catch {
    throw new BackupError("remote_not_configured", "backup_url is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new BackupError("remote_not_configured", "backup_url must be an http(s) URL");
  }
  // Credentials live in system_id/secret, never in the URL (they would reach logs).
  url.username = "";
  url.password = "";
  const root = url.toString().replace(/\/+$/, "");
  return {
    base: `${root}/${c.type}/api/v2/backup/`,
    type: c.type,
    auth: { basic: { user: c.systemId, password: c.secret } },
    proxyUrl: c.type === "enterprise" ? backupProxyUrl(env) : undefined,
  };
}
