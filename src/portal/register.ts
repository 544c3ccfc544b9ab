/**
 * register / unregister (SPEC §3.2, §3.3): the UCI edits around the portal
 * calls, then the send, the hooks and the hotplug event.
 */
import type { Ctx } from "../platform/context";
import { NsPlugError } from "../platform/errors";
import { emitHotplug, runHooks } from "../platform/hooks";
import { redact } from "../platform/log";
import { reloadConfig } from "../platform/services";
import { ensureSchedule } from "../schedule/index";
import { commitPackage } from "../platform/uci/store";
import { readNsPlugConfig, SECTION, type NsPlugConfig } from "../config";
import { freeKey, type Registration, type SendBudget } from "./client";
import { fetchInfo } from "./lookup";
import { sendHeartbeatFor, sendInventoryFor } from "./send";
import {
  communityRepositoryUrl, parseChannel, portalBase, portalUrls, subscribedRepositoryUrl, type PortalType,
} from "./urls";

export const HOOKS_DIR = "/usr/share/ns-plug/hooks";
export const REPO_CHANNEL_FILE = "/etc/repo-channel";
export const DEFAULT_REGISTER_TIMEOUT_S = 180;

/** Options of section 'config' that belong to the subscription (cleared by unregister). */
export const SUBSCRIPTION_KEYS = ["type", "alerts_url", "api_url", "inventory_url", "system_id", "secret"] as const;

/** Pure: a secret we can store and send. Quotes, spaces, `$(…)` are fine; control characters are not. */
export function checkSecret(secret: string): void {
  if (secret === "") throw new NsPlugError(1, "register: invalid secret: it is empty");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(secret)) throw new NsPlugError(1, "register: invalid secret: it contains control characters");
  if (secret.length > 1024) throw new NsPlugError(1, "register: invalid secret: longer than 1024 characters");
}

/** The registration saved in UCI, or undefined when the unit is not subscribed (no system_id or secret). */
export function registrationOf(config: NsPlugConfig): Registration | undefined {
  if (!config.systemId || !config.secret) return undefined;
  return {
    type: config.type,
    systemId: config.systemId,
    secret: config.secret,
    apiUrl: config.apiUrl,
    alertsUrl: config.alertsUrl,
    inventoryUrl: config.inventoryUrl,
  };
}

async function subscriptionChanged(ctx: Ctx, hooks: "register" | "unregister", type: string): Promise<void> {
  await runHooks(ctx, `${HOOKS_DIR}/${hooks}`);
  await emitHotplug(ctx, "ns-plug", { ACTION: "subscription-changed", TYPE: type });
}

export interface RegisterOutcome {
  systemId: string;
  /** Why the heartbeat failed; undefined when the portal took it. */
  heartbeatError?: string;
  inventoryError?: string;
}

/**
 * Look the system up with the secret; only then write UCI (a refused secret
 * or an unreachable portal leaves the file as it was). Then inventory,
 * heartbeat, hooks, event. Throws on a failed lookup; a failed send is in
 * the outcome (the command exits with the heartbeat's status).
 */
export async function registerUnit(
  ctx: Ctx,
  type: PortalType,
  secret: string,
  opts: { timeoutMs?: number; budget?: SendBudget } = {},
): Promise<RegisterOutcome> {
  checkSecret(secret);
  redact.add(secret);
  const urls = portalUrls(type, portalBase(type, ctx.env));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REGISTER_TIMEOUT_S * 1000;
  const { systemId } = await fetchInfo(ctx, type, urls.apiUrl, secret, timeoutMs, "register");

  const { pkg } = await readNsPlugConfig(ctx);
  if (!pkg.section(SECTION)) pkg.setSection(SECTION, "main");
  const set = (k: string, v: string) => pkg.set(SECTION, k, v);
  set("type", type);
  set("system_id", systemId);
  set("secret", secret);
  set("api_url", urls.apiUrl);
  set("alerts_url", urls.alertsUrl);
  set("inventory_url", urls.inventoryUrl);
  set("repository_url", subscribedRepositoryUrl(type, systemId, secret));
  if (await commitPackage(ctx.fs, pkg)) await reloadConfig(ctx);
  ctx.log.info(`registered with the ${type} portal as ${systemId}`);
  // A subscription without its heartbeat is dead at the portal: make sure the jobs are scheduled
  // (20_ns-plug normally did; a line that exists, even commented out by HA, is kept as it is).
  await ensureSchedule(ctx, ["backup", "heartbeat", "inventory"]);

  const reg: Registration = { type, systemId, secret, ...urls };
  const inventoryError = await sendInventoryFor(ctx, reg, opts.budget);
  const heartbeatError = await sendHeartbeatFor(ctx, reg, opts.budget);
  await subscriptionChanged(ctx, "register", type);
  return { systemId, heartbeatError, inventoryError };
}

/**
 * Release the key at the portal (best effort), clear the subscription keys,
 * point the package feed back at the public one, run the hooks. Returns
 * false when there was nothing to unregister (no request, no hooks).
 */
export async function unregisterUnit(ctx: Ctx, budget?: SendBudget): Promise<boolean> {
  const { pkg, config } = await readNsPlugConfig(ctx);
  const reg = registrationOf(config);
  if (!reg) {
    ctx.log.info("unregister: not registered: nothing to do");
    return false;
  }
  await freeKey(ctx, reg, budget);
  for (const k of SUBSCRIPTION_KEYS) pkg.set(SECTION, k, "");
  const channel = parseChannel(await ctx.fs.readIfExists(REPO_CHANNEL_FILE).catch(() => undefined));
  pkg.set(SECTION, "repository_url", communityRepositoryUrl(channel));
  if (await commitPackage(ctx.fs, pkg)) await reloadConfig(ctx);
  ctx.log.info(`unregistered ${reg.systemId}`);
  await subscriptionChanged(ctx, "unregister", "");
  return true;
}
