/**
 * The controller's join code (SPEC §3.1): base64 of JSON
 * `{"fqdn", "token", "unit_id"}`. Pure. Every field ends up in
 * /etc/config/ns-plug, so each is checked for shape: no whitespace, quotes or
 * control characters can reach the file.
 * (Kept here until src/controller/ exports a decoder; then this file goes.)
 */
import { z } from "../platform/schema";

export interface JoinCode {
  fqdn: string;
  token: string;
  unitId: string;
}

// host, host:port, IPv4, [IPv6] or [IPv6]:port
const FQDN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const TOKEN = /^[\x21-\x7e]{1,512}$/;
const UNIT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const Schema = z.object({
  fqdn: z.string().check(z.regex(FQDN)),
  token: z.string().check(z.regex(TOKEN)),
  unit_id: z.string().check(z.regex(UNIT_ID)),
});

/** Decode a join code; undefined when it is not one. Accepts URL-safe base64 and missing padding. */
export function decodeJoinCode(code: string): JoinCode | undefined {
  const b64 = code.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64Bytes(b64)));
  } catch {
    return undefined;
  }
  const r = Schema.safeParse(value);
  if (!r.success) return undefined;
  return { fqdn: r.data.fqdn, token: r.data.token, unitId: r.data.unit_id };
}

/** atob without the Buffer import (feature code stays off node:*). */
function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64.replace(/=+$/, "").padEnd(Math.ceil(b64.replace(/=+$/, "").length / 4) * 4, "="));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
