/**
 * Remote support sessions (SPEC §9): start, status, extend, expire, stop.
 * The session id is generated here and lives only in the 0600 credentials
 * file (OpenVPN reads it from there), in rpcd's config as a crypt hash, and
 * on stdout for the admin. It is never logged, put in argv or environment.
 */
import type { Ctx } from "../platform/context";
import { randomUuid } from "../platform/crypt";
import { NsPlugError } from "../platform/errors";
import { removePrivateDir, tryLock } from "../platform/private-dir";
import { cronAdd, cronRemove } from "../platform/services";
import { subjectCommonName } from "../platform/x509";
import type { DonConfig } from "./config";
import { EXIT, makeHostKeys, openvpnRunning, startOpenvpn, startSshd, stopDaemons, waitForTunnel } from "./daemons";
import { addSupportLogin, removeSupportLogin } from "./login";
import { CRON_LINE, CRON_MARKER, DAY_S, DON_COMMAND, FILES, SSH_PORT, START_LOCK, STATE_DIR, SUPPORT_USER } from "./paths";
import { authorizedKeys, isUsableCn, renderOpenvpnConf, renderSshdConf } from "./render";
import { credentialsText, readSession, writeSessionFile, type SessionInfo } from "./state";
import { destroySessions } from "./ubus";

const nowS = (ctx: Ctx) => Math.floor(ctx.clock.now().getTime() / 1000);
const PRIVATE = { mode: 0o600 };

const DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Pure: PATH for a `setenv` line. OpenVPN refuses a config line over 256
 * characters (and then does not start), so a long PATH keeps its first
 * entries (deduplicated) up to 200 characters.
 */
export function shortPath(path: string | undefined): string {
  const dirs = [...new Set((path ?? "").split(":").filter((d) => /^\/[A-Za-z0-9._\/+-]*$/.test(d)))];
  let out = "";
  for (const d of dirs) {
    const next = out ? `${out}:${d}` : d;
    if (next.length > 200) break;
    out = next;
  }
  return out || DEFAULT_PATH;
}

/** What OpenVPN's `down` (don stop) needs of our environment: PATH, and the root when it is not /. */
function scriptEnv(ctx: Ctx): Record<string, string> {
  const env: Record<string, string> = {};
  env.PATH = shortPath(ctx.env.PATH);
  if (ctx.root !== "/" && ctx.root !== "") env.NS_PLUG_ROOT = ctx.root;
  return env;
}

/** The running session: its files are there and its OpenVPN is alive. */
export async function currentSession(ctx: Ctx): Promise<SessionInfo | undefined> {
  const s = await readSession(ctx);
  return s && openvpnRunning(ctx) ? s : undefined;
}

async function supportFiles(ctx: Ctx, cfg: DonConfig): Promise<{ cn: string; keys: string }> {
  const pem = await ctx.fs.readIfExists(cfg.ca).catch(() => undefined);
  if (pem === undefined) throw new NsPlugError(EXIT.badCa, `don start: support CA ${cfg.ca} not readable`);
  const cn = subjectCommonName(pem);
  if (cn === undefined) throw new NsPlugError(EXIT.badCa, `don start: support CA ${cfg.ca} has no subject CN`);
  if (!isUsableCn(cn)) throw new NsPlugError(EXIT.badCa, `don start: support CA ${cfg.ca}: its CN has characters OpenVPN cannot match`);
  const keys = authorizedKeys((await ctx.fs.readIfExists(cfg.sshKey).catch(() => undefined)) ?? "");
  if (!keys) throw new NsPlugError(EXIT.badCa, `don start: support key ${cfg.sshKey} missing or not an SSH public key`);
  return { cn, keys };
}

/**
 * Start a session, or return the one already running (`started: false`).
 * Any failure after the state directory exists removes every trace again.
 */
export async function startSession(ctx: Ctx, cfg: DonConfig): Promise<{ session: SessionInfo; started: boolean }> {
  const running = await currentSession(ctx);
  if (running) return { session: running, started: false };
  // One start at a time (a double click): a second one waits for the first and answers its session.
  const release = await waitForLock(ctx, cfg.connectTimeout + 60);
  try {
    const started = await currentSession(ctx);
    if (started) return { session: started, started: false };
    return await startLocked(ctx, cfg);
  } finally {
    await release();
  }
}

async function waitForLock(ctx: Ctx, boundS: number): Promise<() => Promise<void>> {
  const end = ctx.clock.now().getTime() + boundS * 1000;
  for (;;) {
    const release = await tryLock(ctx.path(START_LOCK));
    if (release) return release;
    if (ctx.clock.now().getTime() > end) throw new NsPlugError(1, "don start: another don start is still running");
    await ctx.clock.sleep(250);
  }
}

async function startLocked(ctx: Ctx, cfg: DonConfig): Promise<{ session: SessionInfo; started: boolean }> {
  if (!cfg.systemId) throw new NsPlugError(EXIT.noSystemId, "don start: no system_id (don.config.system_id, or ns-plug's: register first)");
  const { cn, keys } = await supportFiles(ctx, cfg);
  // A leftover of a crash or of a half-stopped session: clear it first.
  if (await ctx.fs.stat(STATE_DIR)) await stopSession(ctx, { fromOpenvpn: false });

  const undo = ctx.onTerminate(() => stopSession(ctx, { fromOpenvpn: false }).then(() => undefined));
  try {
    // A private directory in the shared /var/run: a link or another user's directory there is moved aside (platform/shared.ts).
    await ctx.fs.mkdirp(STATE_DIR, 0o700);
    const sessionId = randomUuid();
    await ctx.fs.writeAtomic(FILES.credentials, credentialsText(cfg.systemId, sessionId), PRIVATE);
    await ctx.fs.writeAtomic(FILES.authorizedKeys, keys, PRIVATE);
    const conf = renderOpenvpnConf({
      server: cfg.server,
      ca: ctx.path(cfg.ca),
      credentials: ctx.path(FILES.credentials),
      management: ctx.path(FILES.management),
      pidFile: ctx.path(FILES.openvpnPid),
      cn,
      downCommand: ctx.path(DON_COMMAND),
      scriptEnv: scriptEnv(ctx),
    });
    await ctx.fs.writeAtomic(FILES.openvpnConf, conf, PRIVATE);
    ctx.log.info(`starting the support tunnel to ${cfg.server} (UDP 1194, then TCP 443)`);
    await startOpenvpn(ctx);
    const address = await waitForTunnel(ctx, cfg.connectTimeout);
    ctx.log.info(`support tunnel up: ${address}`);

    const hostKeys = await makeHostKeys(ctx);
    const sshd = renderSshdConf({
      address,
      port: SSH_PORT,
      hostKeys,
      authorizedKeys: ctx.path(FILES.authorizedKeys),
      pidFile: ctx.path(FILES.sshdPid),
    });
    await ctx.fs.writeAtomic(FILES.sshdConf, sshd, PRIVATE);
    await startSshd(ctx);
    await addSupportLogin(ctx, sessionId);
    const expiryTime = nowS(ctx) + DAY_S;
    await writeSessionFile(ctx, { expiry_time: expiryTime, extended: false });
    await cronAdd(ctx, CRON_LINE, CRON_MARKER);
    ctx.log.info(`support session started: ssh on ${address}:${SSH_PORT}, web login ${SUPPORT_USER}, expires ${new Date(expiryTime * 1000).toISOString()}`);
    return { session: { serverId: cfg.systemId, sessionId, expiryTime, extended: false }, started: true };
  } catch (e) {
    await stopSession(ctx, { fromOpenvpn: false }).catch((c: Error) => ctx.log.error(`don start: cleanup: ${c.message}`));
    throw e;
  } finally {
    undo();
  }
}

/**
 * Remove every trace of a session: daemons, state directory, rpcd login,
 * cron line, web sessions. Each step runs even when an earlier one failed,
 * and each is a no-op when there is nothing to remove, so two stops (the
 * admin's and OpenVPN's `down`) can run at once.
 */
export async function stopSession(ctx: Ctx, opts: { fromOpenvpn: boolean }): Promise<void> {
  const failures: string[] = [];
  const step = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
    }
  };
  await step("daemons", () => stopDaemons(ctx, opts.fromOpenvpn));
  await step("state directory", () => removePrivateDir(ctx.path(STATE_DIR)));
  await step("rpcd login", () => removeSupportLogin(ctx));
  await step("cron line", () => cronRemove(ctx, CRON_MARKER));
  await step("web sessions", () => destroySessions(ctx, SUPPORT_USER));
  if (failures.length) throw new NsPlugError(1, `don stop: ${failures.join("; ")}`);
  ctx.log.info("support session stopped");
}

export type ExtendResult = { status: "extended" | "already_extended"; session: SessionInfo } | { status: "no_session" };

/** One extension per session: the expiry moves 7 days later. */
export async function extendSession(ctx: Ctx): Promise<ExtendResult> {
  const s = await currentSession(ctx);
  if (!s) return { status: "no_session" };
  if (s.extended) return { status: "already_extended", session: s };
  const expiryTime = s.expiryTime + 7 * DAY_S;
  await writeSessionFile(ctx, { expiry_time: expiryTime, extended: true });
  ctx.log.info(`support session extended until ${new Date(expiryTime * 1000).toISOString()}`);
  return { status: "extended", session: { ...s, expiryTime, extended: true } };
}

/** Cron: a session past its expiry is stopped. Returns whether it stopped one. */
export async function expireSession(ctx: Ctx): Promise<boolean> {
  const s = await readSession(ctx);
  if (s && nowS(ctx) < s.expiryTime) return false;
  // No session file but traces (a crashed start): clean them too.
  if (!s) {
    const dir = await ctx.fs.stat(STATE_DIR);
    // A start in progress has no session file yet: leave a directory touched in the last 5 minutes alone.
    if (dir && ctx.clock.now().getTime() - dir.mtimeMs < 5 * 60_000) return false;
    if (!dir && !openvpnRunning(ctx)) return false;
  }
  ctx.log.info(s ? "support session expired: stopping it" : "support session traces without a session: removing them");
  await stopSession(ctx, { fromOpenvpn: false });
  return true;
}
