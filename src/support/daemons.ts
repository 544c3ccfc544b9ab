/**
 * The two daemons of a session: OpenVPN (our own client, tunDON) and an
 * sshd bound to the tunnel address. Both daemonize; they are found again by
 * their config path on the command line, never by a bare pid file.
 */
import type { Ctx } from "../platform/context";
import { NsPlugError } from "../platform/errors";
import { which } from "../platform/exec";
import { isSocket } from "../platform/private-dir";
import { descendantsOf, isAlive, listProcesses, selfPid, signalProcess } from "../platform/processes";
import { askUnixSocket } from "../platform/unix-socket";
import { FILES, STATE_DIR } from "./paths";
import { tunnelAddress } from "./render";

/** Exit codes of `don start` (docs/exit-codes.md). */
export const EXIT = { noSystemId: 2, badCa: 3, noOpenvpn: 7, noTunnel: 8, noSshd: 9 } as const;

export async function startOpenvpn(ctx: Ctx): Promise<void> {
  // --daemon: the parent returns once the config is read; errors before that come back here.
  const r = await ctx.exec("openvpn", ["--config", ctx.path(FILES.openvpnConf)], { timeoutMs: 30_000 }).catch((e: Error) => {
    throw new NsPlugError(EXIT.noOpenvpn, `don start: cannot run openvpn: ${e.message}`);
  });
  if (r.code !== 0) {
    // With `daemon` OpenVPN logs to syslog from the config's parsing on: stdout/stderr rarely say why.
    const said = `${r.stderr}\n${r.stdout}`.split("\n").filter((l) => /error/i.test(l)).pop()?.trim();
    throw new NsPlugError(EXIT.noOpenvpn, `don start: openvpn did not start: ${said ?? `exit ${r.code} (the reason is in the system log, tag don-openvpn)`}`);
  }
}

async function openvpnPid(ctx: Ctx): Promise<number | undefined> {
  const t = (await ctx.fs.readIfExists(FILES.openvpnPid).catch(() => undefined))?.trim();
  return t && /^[0-9]+$/.test(t) ? Number(t) : undefined;
}

/**
 * Ask the management socket for the state until it reports CONNECTED with
 * an address. 7: no management socket within the bound (OpenVPN is not
 * running); 8: OpenVPN runs (or ran) but no tunnel came up.
 */
export async function waitForTunnel(ctx: Ctx, boundS: number): Promise<string> {
  const deadline = ctx.clock.now().getTime() + boundS * 1000;
  const socket = ctx.path(FILES.management);
  let socketSeen = false;
  for (;;) {
    if (await isSocket(socket)) {
      socketSeen = true;
      const answer = await askUnixSocket(socket, "state\n", /\r?\nEND\r?\n/, 5000).catch(() => "");
      const address = tunnelAddress(answer);
      if (address) return address;
    }
    const pid = await openvpnPid(ctx);
    if (pid !== undefined && !isAlive(pid)) {
      // Refused credentials, a wrong server certificate: OpenVPN gives up by itself.
      throw new NsPlugError(EXIT.noTunnel, "don start: openvpn exited before the tunnel came up (see the don-openvpn log)");
    }
    if (ctx.clock.now().getTime() >= deadline) {
      throw socketSeen
        ? new NsPlugError(EXIT.noTunnel, `don start: no tunnel to the support server within ${boundS} s`)
        : new NsPlugError(EXIT.noOpenvpn, `don start: openvpn's management socket did not appear within ${boundS} s`);
    }
    await ctx.clock.sleep(250);
  }
}

/**
 * sshd's host keys: the router's own dropbear keys converted (support sees
 * the unit's usual fingerprints), else fresh keys made for this session.
 */
export async function makeHostKeys(ctx: Ctx): Promise<string[]> {
  const keys: string[] = [];
  if (which("dropbearconvert", ctx.env.PATH)) {
    for (const type of ["rsa", "ed25519"]) {
      const from = `/etc/dropbear/dropbear_${type}_host_key`;
      if (!(await ctx.fs.stat(from))) continue;
      const to = `${STATE_DIR}/ssh_host_${type}_key`;
      const r = await ctx.exec("dropbearconvert", ["dropbear", "openssh", ctx.path(from), ctx.path(to)], { timeoutMs: 30_000 });
      if (r.code === 0) {
        await ctx.fs.chmod(to, 0o600);
        keys.push(ctx.path(to));
      } else ctx.log.warning(`dropbearconvert ${type} exited ${r.code}`);
    }
  }
  if (keys.length) return keys;
  const to = `${STATE_DIR}/ssh_host_ed25519_key`;
  const r = await ctx.exec("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "don", "-f", ctx.path(to)], { timeoutMs: 30_000 }).catch((e: Error) => {
    throw new NsPlugError(EXIT.noSshd, `don start: no host key: neither dropbearconvert nor ssh-keygen works (${e.message})`);
  });
  if (r.code !== 0) throw new NsPlugError(EXIT.noSshd, `don start: ssh-keygen exited ${r.code}`);
  return [ctx.path(to)];
}

export async function startSshd(ctx: Ctx): Promise<void> {
  // sshd's privilege separation directory on OpenWrt (Debian's is /run/sshd).
  await ctx.fs.mkdirp("/var/empty", 0o700);
  const sshd = which("sshd", ctx.env.PATH) ?? which("/usr/sbin/sshd", undefined);
  if (!sshd) throw new NsPlugError(EXIT.noSshd, "don start: sshd not found (install openssh-server)");
  // An absolute argv[0]: sshd re-executes itself for every connection.
  const r = await ctx.exec(sshd, ["-f", ctx.path(FILES.sshdConf)], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new NsPlugError(EXIT.noSshd, `don start: sshd did not start: ${r.stderr.trim().split("\n").pop() || `exit ${r.code}`}`);
  }
}

/** Our daemons: processes whose command line names one of this session's config files. */
function ourDaemons(ctx: Ctx): { openvpn: number[]; sshd: number[]; all: ReturnType<typeof listProcesses> } {
  const all = listProcesses();
  const ovpn = ctx.path(FILES.openvpnConf);
  const sshd = ctx.path(FILES.sshdConf);
  const me = selfPid();
  // A whole argument, not a substring: /var/run/don/sshd.conf must not match <other root>/var/run/don/sshd.conf.
  const mine = (path: string) => all.filter((p) => p.pid !== me && p.cmdline.split(" ").includes(path)).map((p) => p.pid);
  return { openvpn: mine(ovpn), sshd: mine(sshd), all };
}

export function openvpnRunning(ctx: Ctx): boolean {
  return ourDaemons(ctx).openvpn.length > 0;
}

/**
 * Stop sshd (with the support's open connections below it) and OpenVPN.
 * `fromOpenvpn`: we are OpenVPN's `down` script; OpenVPN is exiting and
 * waits for us, so it is not signalled (waiting for it would deadlock).
 */
export async function stopDaemons(ctx: Ctx, fromOpenvpn: boolean): Promise<void> {
  const found = ourDaemons(ctx);
  const sshd = new Set(found.sshd.flatMap((pid) => descendantsOf(found.all, pid)));
  sshd.delete(selfPid());
  const openvpn = fromOpenvpn ? [] : found.openvpn;
  const targets = [...sshd, ...openvpn];
  for (const pid of targets) signalProcess(pid, "SIGTERM");
  // OpenVPN says goodbye to the server first (explicit-exit-notify): give it a few seconds.
  const end = ctx.clock.now().getTime() + 6000;
  while (targets.some(isAlive) && ctx.clock.now().getTime() < end) await ctx.clock.sleep(100);
  for (const pid of targets) if (isAlive(pid)) signalProcess(pid, "SIGKILL");
}
