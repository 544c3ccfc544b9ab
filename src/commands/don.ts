/**
 * `don start|stop|status|extend|expire [-j]` (SPEC §9): remote support
 * sessions. Exit codes: docs/exit-codes.md. OpenVPN runs `don stop` as its
 * `down` script, adding its own arguments (tunDON 1500 … init): they are
 * accepted, and only then, when OpenVPN's script_type=down says it is OpenVPN.
 */
import type { Ctx } from "../platform/context";
import { UsageError } from "../platform/errors";
import { readDonConfig } from "../support/config";
import { currentSession, expireSession, extendSession, startSession, stopSession } from "../support/session";
import { expiresIn, sessionJson, type SessionInfo } from "../support/state";

const USAGE = `Usage: don start|stop|status|extend|expire [-j]

Remote support session: an OpenVPN tunnel to the support server, an sshd on
the tunnel address (port 981) for the support key, and the web login
'nethsupport' (password: the session id), for 24 hours (extend: once, 7 more days).

  start    open a session; prints the Server ID and Session ID to hand to support
  status   the running session, or "don is not running" (exit 1)
  extend   move the expiry 7 days later (once per session)
  expire   stop the session when it is past its expiry (cron, every 10 minutes)
  stop     stop the session and remove every trace of it
  -j       JSON output
`;

const ACTIONS = ["start", "stop", "status", "extend", "expire"] as const;
type Action = (typeof ACTIONS)[number];

function parseArgs(ctx: Ctx, args: string[]): { action: Action; json: boolean; fromOpenvpn: boolean } | undefined {
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) return undefined;
  const [action, ...rest] = args;
  if (!ACTIONS.includes(action as Action)) throw new UsageError(`don: unknown action '${action}'\n${USAGE}`);
  const fromOpenvpn = action === "stop" && ctx.env.script_type === "down";
  const json = rest.includes("-j") || rest.includes("--json");
  const extra = rest.filter((a) => a !== "-j" && a !== "--json");
  if (extra.length && !fromOpenvpn) throw new UsageError(`don ${action}: unexpected argument '${extra[0]}'`);
  return { action: action as Action, json, fromOpenvpn };
}

function show(ctx: Ctx, s: SessionInfo, json: boolean, extra: Record<string, unknown> = {}): void {
  if (json) {
    ctx.print(`${JSON.stringify({ ...extra, ...sessionJson(s) })}\n`);
    return;
  }
  const left = expiresIn(s.expiryTime, Math.floor(ctx.clock.now().getTime() / 1000));
  ctx.print(`Server ID:\t${s.serverId}\nSession ID:\t${s.sessionId}\nExpires in:\t${left}\n`);
}

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const p = parseArgs(ctx, args);
  if (!p) {
    ctx.print(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  switch (p.action) {
    case "start": {
      const { session } = await startSession(ctx, await readDonConfig(ctx));
      show(ctx, session, p.json);
      return 0;
    }
    case "status": {
      const s = await currentSession(ctx);
      if (s) show(ctx, s, p.json);
      else ctx.print(p.json ? "null\n" : "don is not running\n");
      return s ? 0 : 1;
    }
    case "extend": {
      const r = await extendSession(ctx);
      if (r.status === "no_session") {
        ctx.print(p.json ? `${JSON.stringify({ status: "no_session" })}\n` : "don is not running\n");
        return 1;
      }
      if (p.json) show(ctx, r.session, true, { status: r.status });
      else {
        ctx.print(r.status === "extended" ? "Session extended by 7 days.\n" : "The session was already extended once.\n");
        show(ctx, r.session, false);
      }
      return r.status === "extended" ? 0 : 1;
    }
    case "expire":
      await expireSession(ctx);
      return 0;
    case "stop":
      await stopSession(ctx, { fromOpenvpn: p.fromOpenvpn });
      return 0;
  }
}
