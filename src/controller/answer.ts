/**
 * The controller answers `{code, message, data}`; SPEC §3.1 says to decide on
 * `code` in the body, not on the HTTP status (the real controller sends a
 * body code 403 with HTTP 401 for a wrong token, for example).
 */
import * as z from "zod/mini";
import { parseRegistrationData, type ControllerData } from "./validate";

export type Outcome =
  | { kind: "registered"; data: ControllerData }
  | { kind: "pending"; message: string }
  | { kind: "duplicate"; message: string }
  | { kind: "failed"; why: string };

const Envelope = z.object({
  code: z.union([z.number(), z.string().check(z.regex(/^[0-9]{3}$/))]),
  message: z.optional(z.unknown()),
  data: z.optional(z.unknown()),
});

/** Longest controller message we log, and only printable characters of it. */
function cleanMessage(m: unknown): string {
  if (typeof m !== "string") return "";
  return m.replace(/[^\x20-\x7e]+/g, " ").trim().slice(0, 200);
}

/** Pure: the body of a /api/units/register answer → what to do next. */
export function classifyAnswer(body: string, httpStatus: number): Outcome {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: "failed", why: `HTTP ${httpStatus}, answer is not JSON` };
  }
  const env = Envelope.safeParse(json);
  if (!env.success) return { kind: "failed", why: `HTTP ${httpStatus}, answer has no code` };
  const code = Number(env.data.code);
  const message = cleanMessage(env.data.message);
  switch (code) {
    case 200: {
      const d = parseRegistrationData(env.data.data);
      if (!d.ok) return { kind: "failed", why: `refused the controller's configuration: ${d.why}` };
      return { kind: "registered", data: d.data };
    }
    case 403:
      return { kind: "pending", message };
    case 409:
      return { kind: "duplicate", message };
    default:
      return { kind: "failed", why: `code ${code}${message ? ` (${message})` : ""}` };
  }
}
