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

export async function connectController(ctx: Ctx): Promise<number> {
  const { config } = await readNsPlugConfig(ctx);
  if (!config.server) throw new ConfigError("connect: server is not set (ns-plug.config.server)", 1);
  if (!config.unitId) throw new ConfigError("connect: unit_id is not set (ns-plug.config.unit_id)", 2);
  if (!config.token) throw new ConfigError("connect: token is not set (ns-plug.config.token)", 3);
  const server = controllerBase(config.server);
  if (!server) throw new ConfigError(`connect: server '${displayUrl(config.server)}' is not an http(s) URL`, 1);

  await bootDelayOnce(ctx);
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
  });
  if (result.kind === "duplicate") {
    await deleteControllerLogin(ctx);
    throw new NsPlugError(
      4,
      `connect: controller ${displayUrl(server)} refused unit ${config.unitId} as a duplicate` +
        `${result.message ? ` (${result.message})` : ""}: removed rpcd.controller`,
    );
  }
  if (result.kind === "unreachable") {
    throw new NsPlugError(5, `connect: controller ${displayUrl(server)}: giving up after 5 failed attempts: ${result.why}`);
  }
  await applyRegistration(ctx, config, { username, password }, result.data);
  ctx.log.info(`registered with controller ${displayUrl(server)}: ready for OpenVPN`);
  return 0;
}
