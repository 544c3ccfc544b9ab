/**
 * The answer shapes LuCI understands (nethsec utils): a result object, an
 * error `{"error": "<snake_case>"}`, or a validation failure
 * `{"validation": {"errors": [{parameter, message, value}]}}`. Pure.
 */
export type Answer = Record<string, unknown>;

export interface ValidationIssue {
  parameter: string;
  message: string;
  value: unknown;
}

export const errorAnswer = (reason: string): Answer => ({ error: reason });

export const validationAnswer = (errors: ValidationIssue[]): Answer => ({ validation: { errors } });

/** One validation failure: handlers use it for checks zod cannot make (a wrong passphrase). */
export const invalid = (parameter: string, message: string, value: unknown = ""): Answer =>
  validationAnswer([{ parameter, message, value }]);

export function isFailure(a: Answer): boolean {
  return "error" in a || "validation" in a;
}

type ZodIssue = { code: string; path: PropertyKey[]; message?: string; expected?: string; input?: unknown };

/** Echoed values are cut: the answer must stay small, and may reach a browser. */
function echo(v: unknown): unknown {
  if (typeof v === "string") return v.length > 256 ? `${v.slice(0, 256)}…` : v;
  if (v === null || typeof v === "number" || typeof v === "boolean") return v;
  return v === undefined ? "" : typeof v;
}

function messageOf(i: ZodIssue, present: boolean): string {
  if (!present) return "required";
  if (i.code === "custom" && i.message && /^[a-z0-9_]+$/.test(i.message)) return i.message;
  if (i.code === "invalid_type") return `must_be_${i.expected ?? "valid"}`;
  return "invalid";
}

/**
 * zod issues → validation errors, one per parameter. Values of `secrets`
 * (passphrase, secret, join code) are never echoed back.
 */
export function issuesToErrors(issues: readonly ZodIssue[], args: Record<string, unknown>, secrets: readonly string[] = []): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const i of issues) {
    const parameter = i.path.length ? String(i.path[0]) : "arguments";
    if (out.some((e) => e.parameter === parameter)) continue;
    const present = parameter === "arguments" || (Object.hasOwn(args, parameter) && args[parameter] !== undefined);
    const value = secrets.includes(parameter) ? "" : echo(present ? args[parameter] : undefined);
    out.push({ parameter, message: messageOf(i, present), value });
  }
  return out;
}

/** Thrown by a handler to answer `{"error": reason}` (the message goes to the log only). */
export class RpcdFailure extends Error {
  readonly reason: string;
  constructor(reason: string, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = "RpcdFailure";
    this.reason = reason;
  }
}

/** errno → the word LuCI shows: the admin can act on "disk full", not on "internal error". */
const SYSTEM_REASONS: Record<string, string> = {
  ENOSPC: "disk_full",
  EDQUOT: "disk_full",
  EROFS: "read_only",
  EACCES: "permission_denied",
  EPERM: "permission_denied",
  EUNSAFE: "unsafe_path", // platform/shared.ts refused a path another user controls
};

/** Pure: the reason named by a system error's code, looking through `cause`s; undefined for anything else. */
export function systemReason(e: unknown): string | undefined {
  for (let cur = e, depth = 0; cur && typeof cur === "object" && depth < 8; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && SYSTEM_REASONS[code]) return SYSTEM_REASONS[code];
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
