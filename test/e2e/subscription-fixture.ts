/**
 * Shared set-up of the subscription end-to-end tests: a router root with the
 * package's default /etc/config/ns-plug, hook directories whose hooks record
 * their order, a recording /sbin/hotplug-call, and helpers to read UCI back.
 */
import { chownSync } from "node:fs";
import { parseUci } from "../../src/platform/uci/codec";
import { testdir, type TestDir } from "../helpers/testdir";
import { DEMO_SYSTEMS, startPortal, type Portal, type PortalSystem } from "../servers/portal";

export const DEFAULT_CONFIG = `
config main 'config'
\toption tls_verify '1'
\toption backup_url 'https://backupd.nethesis.it'
\toption repository_url 'https://updates.nethsecurity.nethserver.org/stable'
\toption alert_proxy_loglevel 'warning'
`;

export const HOOKS = "/usr/share/ns-plug/hooks";

export function routerRoot(opts: { config?: string; channel?: string } = {}): TestDir {
  const dir = testdir({
    "/etc/config/ns-plug": opts.config ?? DEFAULT_CONFIG,
    "/etc/repo-channel": `${opts.channel ?? "stable"}\n`,
  });
  dir.standin("/sbin/hotplug-call", `echo "$1 ACTION=$ACTION TYPE=$TYPE" >> '${dir.path("/tmp/hotplug.log")}'`);
  return dir;
}

/** Hooks for `kind`: 10 and 40 record, 20 fails, 30 is world-writable, 35 is owned by another user. */
export function installHooks(dir: TestDir, kind: "register" | "unregister"): void {
  const log = dir.path(`/tmp/hooks-${kind}.log`);
  const rec = (name: string) => `#!/bin/sh\necho ${name} >> '${log}'\n`;
  dir.write(`${HOOKS}/${kind}/10-first`, rec("10-first"), 0o755);
  dir.write(`${HOOKS}/${kind}/20-fails`, `${rec("20-fails")}echo 'hook broke' >&2\nexit 7\n`, 0o755);
  dir.write(`${HOOKS}/${kind}/30-world-writable`, rec("30-world-writable"), 0o777);
  dir.write(`${HOOKS}/${kind}/35-not-root`, rec("35-not-root"), 0o755);
  chownSync(dir.path(`${HOOKS}/${kind}/35-not-root`), 4242, 4242);
  dir.write(`${HOOKS}/${kind}/40-last`, rec("40-last"), 0o755);
}

export function hooksRan(dir: TestDir, kind: "register" | "unregister"): string[] {
  return (dir.readIfExists(`/tmp/hooks-${kind}.log`) ?? "").split("\n").filter(Boolean);
}

/** Options of ns-plug.config as a plain object. */
export function nsPlugOptions(dir: TestDir): Record<string, string | string[]> {
  const s = parseUci(dir.read("/etc/config/ns-plug"), "ns-plug").find((x) => x.name === "config");
  return Object.fromEntries(s ? [...s.options] : []);
}

/** A root already registered with `sys` at `portal` (what register would have written). */
export function registeredConfig(portal: Portal, sys: PortalSystem, secret = sys.secret): string {
  const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
  const urls =
    sys.type === "enterprise"
      ? { api: `${portal.url}/api/`, alerts: `${portal.url}/isa/`, inv: `${portal.url}/isa/inventory/store/` }
      : { api: `${portal.url}/api/`, alerts: `${portal.url}/api/machine/`, inv: `${portal.url}/api/machine/inventories/store/` };
  return `${DEFAULT_CONFIG.trimEnd()}
\toption type '${sys.type}'
\toption system_id '${sys.uuid}'
\toption secret ${q(secret)}
\toption api_url '${urls.api}'
\toption alerts_url '${urls.alerts}'
\toption inventory_url '${urls.inv}'
`;
}

export const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

/** The loopback portal's demo systems, one per subscription type. */
export const ENT = DEMO_SYSTEMS.find((s) => s.type === "enterprise")!;
export const COM = DEMO_SYSTEMS.find((s) => s.type === "community")!;

/** Run `fn` against a fresh loopback portal, closed afterwards whatever happens. */
export async function withPortal(fn: (p: Portal) => Promise<void>): Promise<void> {
  const portal = await startPortal();
  try {
    await fn(portal);
  } finally {
    await portal.close();
  }
}
