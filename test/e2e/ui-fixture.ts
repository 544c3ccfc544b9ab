/**
 * What NethSecurity's web UI reads from an ns-api-server answer (UPSTREAM.md
 * §0/§1, SPEC §7), as assertions over the stand-in's answer
 * (test/servers/ns-api-server.ts). Every failure message carries the
 * plugin's combined output, which is what broke the UI when it was not one
 * JSON object.
 */
import * as assert from "uvu/assert";
import type { ApiAnswer } from "../servers/ns-api-server";

const why = (r: ApiAnswer) => `HTTP ${r.status} ${JSON.stringify(r.body)}; exit ${r.exit}; output: ${JSON.stringify(r.output.slice(0, 2000))}`;

/** HTTP 200 with the plugin's object as `data` (the UI's `res.data.data`). */
export function uiData(r: ApiAnswer): Record<string, unknown> {
  assert.is(r.status, 200, why(r));
  assert.is(r.body.message, "ubus call action success", why(r));
  assert.ok(r.body.data !== null && typeof r.body.data === "object", `data is not an object: ${why(r)}`);
  return r.body.data as Record<string, unknown>;
}

/** HTTP 500 whose `message` is the plugin's error reason (`getAxiosErrorMessage` shows/translates it). */
export function uiError(r: ApiAnswer, reason: string): void {
  assert.is(r.status, 500, why(r));
  assert.is(r.body.message, reason, why(r));
  assert.is(r.exit, 0, `an error answer exits 0: ${why(r)}`);
}

/** HTTP 400 `validation_failed`; the UI reads `data.validation.errors` (UI/lib/validation.ts). */
export function uiValidation(r: ApiAnswer, parameter: string, message: string): void {
  assert.is(r.status, 400, why(r));
  assert.is(r.body.message, "validation_failed", why(r));
  const errors = (r.body.data as { validation?: { errors?: unknown } }).validation?.errors;
  assert.equal(errors, [{ parameter, message, value: "" }], why(r));
}

export const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
