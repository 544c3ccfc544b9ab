/**
 * zod schemas for arguments in the forms rpcd really delivers. rpcd turns
 * the caller's blobmsg back into JSON (blobmsg_format_json): LuCI's JSON
 * booleans arrive as true/false, `ubus call … '{"x":1}'` as 1, doubles as
 * 1.500000, and shell callers send "1"/"true". Unknown keys (LuCI adds
 * ubus_rpc_session) are dropped by z.object. Pure: no I/O.
 */
import * as z from "zod/mini";

type Payload = { issues: Array<Record<string, unknown>> };

function fail(p: Payload, input: unknown, message: string): never {
  p.issues.push({ code: "custom", message, input });
  return z.NEVER as never;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

/** Pure: a loose boolean, or undefined when the value is not one. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  return undefined;
}

/** Pure: a finite number from a number or a numeric string ("1.500000"), else undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function looseBool() {
  return z.pipe(
    z.unknown(),
    z.transform((v, p) => toBool(v) ?? fail(p as unknown as Payload, v, "must_be_boolean")),
  );
}

/** An integer; 2.000000 is 2, 2.5 is rejected. */
export function looseInt(min = -2147483648, max = 2147483647) {
  return z.pipe(
    z.unknown(),
    z.transform((v, p) => {
      const n = toNumber(v);
      if (n === undefined || !Number.isInteger(n)) return fail(p as unknown as Payload, v, "must_be_integer");
      if (n < min || n > max) return fail(p as unknown as Payload, v, "out_of_range");
      return n;
    }),
  );
}

export function looseNumber() {
  return z.pipe(
    z.unknown(),
    z.transform((v, p) => toNumber(v) ?? fail(p as unknown as Payload, v, "must_be_number")),
  );
}

// Control characters would end up raw in a UCI file (libuci writes newlines as they are).
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface TextOptions {
  /** Longest accepted value, in characters (default 4096). */
  max?: number;
  /** Reject "" (default: accept it). */
  required?: boolean;
  /** Accept control characters (passphrases may hold anything but NUL). */
  controls?: boolean;
  /** Extra shape check; message on failure. */
  pattern?: [RegExp, string];
}

/** A string; a number is taken as its decimal text (rpcd callers do send them). */
export function looseText(o: TextOptions = {}) {
  return z.pipe(
    z.unknown(),
    z.transform((v, p) => {
      const pl = p as unknown as Payload;
      const s = typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : undefined;
      if (s === undefined) return fail(pl, v, "must_be_string");
      if (o.required && s === "") return fail(pl, v, "required");
      if (s.length > (o.max ?? 4096)) return fail(pl, v, "too_long");
      if (o.controls ? s.includes("\u0000") : CONTROL.test(s)) return fail(pl, v, "invalid_characters");
      if (o.pattern && s !== "" && !o.pattern[0].test(s)) return fail(pl, v, o.pattern[1]);
      return s;
    }),
  );
}
