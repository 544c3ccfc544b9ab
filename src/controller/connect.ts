/**
 * `ns-plug connect` (SPEC §3.1 steps 1–5): everything the original ns-plug
 * script did before `exec openvpn`. The sh wrapper /usr/sbin/ns-plug runs
 * this, then execs OpenVPN, so no Node process stays resident.
 */
import type { Ctx } from "../platform/context";
import { ConfigError, NsPlugError } from "../platform/errors";
import { randomHex } from "../platform/crypt";
import { displayUrl } from "../platform/http";
import { redact } from "../platform/log";
import { readNsPlugConfig } from "../config";
import { applyRegistration } from "./applyRegistration";
import { deleteControllerLogin, ensureControllerLogin } from "./controllerLogin";
import { errorMessage } from "../platform/errors";
import { BACKOFF_STATE, failedBefore, failuresCarried, parseBackoffState, renderBackoffState, startBackoffMs, type BackoffState } from "./backoff";
import { BOOT_MARKER, bootDelay } from "./pacing";
import { registerUntilDone } from "./registrationLoop";
import { readOsRelease, unitName } from "./unitInfo";
import { controllerBase } from "./server";

/** First start since boot: random 0–10 s so a fleet rebooting together spreads out. */
async function bootDelayOnce(ctx: Ctx): Promise<void> {
  if (await ctx.fs.stat(BOOT_MARKER)) return;
  // Marker first: a respawn during the delay does not wait again.
  await ctx.fs.writeAtomic(BOOT_MARKER, "", { defaultMode: 0o644 });
  const ms = bootDelay(ctx.clock.random());
  ctx.log.info(`first start since boot: waiting ${(ms / 1000).toFixed(1)} s before contacting the controller`);
  await ctx.clock.sleep(ms);
}

async function saveBackoff(ctx: Ctx, s: BackoffState): Promise<void> {
  try {
    await ctx.fs.writeAtomic(BACKOFF_STATE, renderBackoffState(s), { mode: 0o644 });
  } catch (e) {
    // Losing the count only costs the spread of this one unit: never a reason not to connect.
    ctx.log.warning(`could not record the start in ${BACKOFF_STATE}: ${errorMessage(e)}`);
  }
}

/**
 * Wait the backoff this start owes (backoff.ts), then count it as failed
 * until it registers: a start killed before that counts too.
 */
async function backoffBeforeStart(ctx: Ctx): Promise<BackoffState> {
  let text: string | undefined;
  try {
    // /var/run is shared: ctx.fs reads a planted link or another user's file as absent (platform/shared.ts).
    text = await ctx.fs.readIfExists(BACKOFF_STATE);
  } catch (e) {
    ctx.log.warning(`ignoring ${BACKOFF_STATE}: ${errorMessage(e)}`);
  }
  const state = parseBackoffState(text);
  const failed = failedBefore(state);
  if (failed > 0) {
    const ms = startBackoffMs(failed, ctx.clock.random());
    ctx.log.info(`${failed} start(s) without a tunnel before this one: waiting ${(ms / 1000).toFixed(1)} s before contacting the controller`);
    await ctx.clock.sleep(ms);
  }
  await saveBackoff(ctx, { failedStarts: failed + 1, handedOver: false });
  return state;
}

export async function connectController(ctx: Ctx): Promise<number> {
  const { config } = await readNsPlugConfig(ctx);
  if (!config.server) throw new ConfigError("connect: server is not set (ns-plug.config.server)", 1);
  if (!config.unitId) throw new ConfigError("connect: unit_id is not set (ns-plug.config.unit_id)", 2);
  if (!config.token) throw new ConfigError("connect: token is not set (ns-plug.config.token)", 3);
  const server = controllerBase(config.server);
  if (!server) throw new ConfigError(`connect: server '${displayUrl(config.server)}' is not an http(s) URL`, 1);

  await bootDelayOnce(ctx);
  const before = await backoffBeforeStart(ctx);
  const username = await ensureControllerLogin(ctx);
  // Fresh at every start: the controller learns it at registration, rpcd stores only its hash.
  const password = randomHex(16);
  redact.add(password);
  const os = await readOsRelease(ctx);
  const result = await registerUntilDone(ctx, {
    server,
    token: config.token,
    tlsVerify: config.tlsVerify,
    body: {
      unit_id: config.unitId,
      username,
      password,
      unit_name: await unitName(ctx, config),
      version: os.VERSION_ID ?? "",
      subscription_type: config.type ?? "",
      system_id: config.systemId ?? "",
    },
  }, failuresCarried(before));
  if (result.kind === "duplicate") {
    await deleteControllerLogin(ctx);
    throw new NsPlugError(
      4,
      `connect: controller ${displayUrl(server)} refused unit ${config.unitId} as a duplicate` +
        `${result.message ? ` (${result.message})` : ""}: removed rpcd.controller`,
    );
  }
  if (result.kind === "unreachable") {
    throw new NsPlugError(5, `connect: controller ${displayUrl(server)}: giving up after 5 failed attempts in a row: ${result.why}`);
  }
  await applyRegistration(ctx, config, { username, password }, result.data);
  // Registered: the count starts again. If this tunnel ends, the next start waits 0–30 s.
  await saveBackoff(ctx, { failedStarts: 0, handedOver: true });
  ctx.log.info(`registered with controller ${displayUrl(server)}: ready for OpenVPN`);
  return 0;
}
