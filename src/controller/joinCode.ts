/**
 * LuCI's join code (SPEC §3.1): base64 of JSON `{"fqdn", "token", "unit_id"}`,
 * as shown by the controller. It becomes `server=https://<fqdn>`, `token`
 * and `unit_id` in /etc/config/ns-plug, so each value is checked as strictly
 * as a UCI value that ends up in a URL and an HTTP header must be.
 */
import * as z from "zod/mini";
import { describeIssues } from "../platform/schema";
import { NsPlugError } from "../platform/errors";
import { isHost, toPort } from "./validate";

export class JoinCodeError extends NsPlugError {
  constructor(why: string) {
    super(1, `join code: ${why}`);
    this.name = "JoinCodeError";
  }
}

export interface JoinCode {
  server: string;
  token: string;
  unitId: string;
}

/** `host` or `host:port` (IPv6 in brackets when a port follows). */
function isFqdn(v: string): boolean {
  const m = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?$/.exec(v) ?? /^([^:[\]]+)(?::([0-9]{1,5}))?$/.exec(v);
  if (!m) return isHost(v) && v.includes(":"); // a bare IPv6 literal
  return isHost(m[1]!) && (m[2] === undefined || toPort(m[2]) !== undefined);
}

const Schema = z.object({
  fqdn: z.string().check(z.maxLength(260), z.refine(isFqdn, "not a host name")),
  // Printable ASCII without spaces: it travels in an HTTP header and in UCI.
  token: z.string().check(z.regex(/^[\x21-\x7e]{1,512}$/, "not a token")),
  unit_id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "not a unit id")),
});

/** Pure: decode a join code or throw JoinCodeError. */
export function decodeJoinCode(code: string): JoinCode {
  const text = code.trim();
  if (!text) throw new JoinCodeError("empty");
  if (text.length > 4096) throw new JoinCodeError("too long");
  // Standard or URL-safe alphabet, padding optional.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new JoinCodeError("not base64");
  const std = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (std.length % 4 === 1) throw new JoinCodeError("not base64");
  let json: unknown;
  try {
    const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new JoinCodeError("not base64-encoded JSON");
  }
  const r = Schema.safeParse(json);
  if (!r.success) throw new JoinCodeError(describeIssues(r.error.issues as never));
  const fqdn = r.data.fqdn.includes(":") && !r.data.fqdn.startsWith("[") && isHost(r.data.fqdn) ? `[${r.data.fqdn}]` : r.data.fqdn;
  return { server: `https://${fqdn}`, token: r.data.token, unitId: r.data.unit_id };
}
