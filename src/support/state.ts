/** The session's state files: parsing is pure, reading goes through ctx.fs. */
import * as z from "zod/mini";
import type { Ctx } from "../platform/context";
import { FILES } from "./paths";

export interface SessionInfo {
  serverId: string;
  sessionId: string;
  /** Unix seconds. */
  expiryTime: number;
  extended: boolean;
}

const SessionFile = z.object({ expiry_time: z.number().check(z.int(), z.positive()), extended: z.boolean() });
export type SessionFile = z.infer<typeof SessionFile>;

export function parseSessionFile(text: string | undefined): SessionFile | undefined {
  if (text === undefined) return undefined;
  try {
    const r = SessionFile.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Pure: OpenVPN's auth-user-pass file → system id and session id. */
export function parseCredentials(text: string | undefined): { serverId: string; sessionId: string } | undefined {
  const [serverId, sessionId] = (text ?? "").split("\n");
  if (!serverId || !sessionId || !UUID.test(sessionId)) return undefined;
  return { serverId, sessionId };
}

export const credentialsText = (systemId: string, sessionId: string) => `${systemId}\n${sessionId}\n`;

/** The recorded session, or undefined when there is none (or it is incomplete). */
export async function readSession(ctx: Ctx): Promise<SessionInfo | undefined> {
  const file = parseSessionFile(await ctx.fs.readIfExists(FILES.session).catch(() => undefined));
  const creds = parseCredentials(await ctx.fs.readIfExists(FILES.credentials).catch(() => undefined));
  if (!file || !creds) return undefined;
  return { ...creds, expiryTime: file.expiry_time, extended: file.extended };
}

export async function writeSessionFile(ctx: Ctx, s: SessionFile): Promise<void> {
  await ctx.fs.writeAtomic(FILES.session, `${JSON.stringify(s)}\n`, { mode: 0o600 });
}

/** What `-j` prints and ns.don answers. */
export function sessionJson(s: SessionInfo): { server_id: string; session_id: string; expiry_time: number } {
  return { server_id: s.serverId, session_id: s.sessionId, expiry_time: s.expiryTime };
}

/** "23h 59m" (or "6d 23h 59m"). */
export function expiresIn(expiryTime: number, nowS: number): string {
  const left = Math.max(0, expiryTime - nowS);
  const d = Math.floor(left / 86400);
  const h = Math.floor((left % 86400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  return `${d ? `${d}d ` : ""}${h}h ${m}m`;
}
