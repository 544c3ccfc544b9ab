/**
 * The proxy's view of /etc/config/ns-plug: whether the unit is registered
 * (where and how to deliver) and the log level. Re-read whenever the file
 * changed (new mtime or size, or it appeared or vanished), checked when
 * alerts arrive and before each delivery, so `register`/`unregister` (or an
 * admin's `uci commit`) take effect without a restart.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import { readNsPlugConfig, type NsPlugConfig } from "../config";

export interface Registration {
  /** The portal's name for this unit's licence key: system_id. */
  lk: string;
  secret: string;
  /** <alerts_url>alerts/store */
  storeUrl: string;
}

const CONFIG_FILE = "/etc/config/ns-plug";

/** Pure: registered (system_id, secret and an http(s) alerts_url) → where to deliver; else undefined. */
export function registrationOf(config: NsPlugConfig | undefined): Registration | undefined {
  if (!config?.systemId || !config.secret || !config.alertsUrl) return undefined;
  let base: URL;
  try {
    // The portal URLs end with '/'; one written by hand without it still works.
    base = new URL(config.alertsUrl.endsWith("/") ? config.alertsUrl : `${config.alertsUrl}/`);
  } catch {
    return undefined;
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") return undefined;
  return { lk: config.systemId, secret: config.secret, storeUrl: new URL("alerts/store", base).toString() };
}

export interface ConfigWatch {
  /** The current registration, re-reading the file first when it changed. */
  current(): Promise<Registration | undefined>;
  /** Forget what was read (SIGHUP): the next current() reads the file again. */
  invalidate(): void;
}

export function watchConfig(ctx: Ctx, onConfig: (config: NsPlugConfig) => void): ConfigWatch {
  let signature: string | undefined;
  let registration: Registration | undefined;
  let pending: Promise<Registration | undefined> | undefined;

  async function refresh(): Promise<Registration | undefined> {
    const st = await ctx.fs.stat(CONFIG_FILE).catch(() => undefined);
    const next = st ? `${st.mtimeMs}/${st.size}` : "missing";
    if (next === signature) return registration;
    signature = next;
    try {
      const { config } = await readNsPlugConfig(ctx);
      const was = registration;
      registration = registrationOf(config);
      onConfig(config);
      if (!!was !== !!registration) {
        ctx.log.info(registration ? `registered: forwarding alerts to ${registration.storeUrl}` : "not registered: alerts are dropped");
      }
    } catch (e) {
      // A broken edit must not stop the proxy: keep what was read last.
      ctx.log.error(`${CONFIG_FILE}: ${errorMessage(e)}; keeping the previous settings`);
    }
    return registration;
  }

  return {
    // Concurrent callers share one check, so callers are answered in call order.
    current: () => (pending ??= refresh().finally(() => (pending = undefined))),
    invalidate: () => {
      signature = undefined;
    },
  };
}
