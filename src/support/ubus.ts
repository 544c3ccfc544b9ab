/**
 * The web UI sessions support opened with the `nethsupport` login: rpcd
 * keeps them alive after the login is removed, so stop destroys them.
 * `ubus call session list` prints one JSON object per session, back to back.
 */
import * as z from "zod/mini";
import type { Ctx } from "../platform/context";
import { which } from "../platform/exec";

const Session = z.object({
  ubus_rpc_session: z.string().check(z.regex(/^[0-9a-f]{32}$/)),
  data: z.optional(z.object({ username: z.optional(z.string()) })),
});

/** Pure: split concatenated JSON objects (ubus's output) at depth 0. */
export function splitObjects(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && depth > 0 && --depth === 0) {
      try {
        out.push(JSON.parse(text.slice(start, i + 1)));
      } catch {
        /* not JSON: skipped */
      }
    }
  }
  return out;
}

/** Pure: ids of the sessions logged in as `username`. */
export function sessionsOf(listOutput: string, username: string): string[] {
  return splitObjects(listOutput).flatMap((o) => {
    const r = Session.safeParse(o);
    return r.success && r.data.data?.username === username ? [r.data.ubus_rpc_session] : [];
  });
}

/** Destroy every ubus session of `username`; no ubus (a build host) → nothing to do. */
export async function destroySessions(ctx: Ctx, username: string): Promise<number> {
  if (!which("ubus", ctx.env.PATH)) {
    ctx.log.debug("ubus not found: no web sessions to destroy");
    return 0;
  }
  const list = await ctx.exec("ubus", ["call", "session", "list"], { timeoutMs: 10_000 });
  if (list.code !== 0) {
    ctx.log.warning(`ubus call session list exited ${list.code}`);
    return 0;
  }
  let n = 0;
  for (const id of sessionsOf(list.stdout, username)) {
    const r = await ctx.exec("ubus", ["call", "session", "destroy", JSON.stringify({ ubus_rpc_session: id })], { timeoutMs: 10_000 });
    if (r.code === 0) n++;
    else ctx.log.warning(`ubus call session destroy exited ${r.code}`);
  }
  return n;
}
