/**
 * SPEC §3.1 step 4: POST /api/units/register until the controller answers
 * something final. 403 (not approved yet) polls forever every ~10 s; any
 * other failure retries after ~2 s and gives up after 5 in a row.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import type { Readable } from "../platform/fs";
import { classifyAnswer, type Outcome } from "./answer";
import { FAILURE_WAIT_MS, MAX_FAILURES, PENDING_WAIT_MS, jittered } from "./pacing";
import type { ControllerData } from "./validate";

/** The JSON body the controller expects (field names are the wire format). */
export interface RegistrationBody {
  unit_id: string;
  username: string;
  password: string;
  unit_name: string;
  version: string;
  subscription_type: string;
  system_id: string;
}

export interface RegistrationRequest {
  server: string;
  token: string;
  tlsVerify: boolean;
  body: RegistrationBody;
}

export type LoopResult =
  | { kind: "registered"; data: ControllerData }
  | { kind: "duplicate"; message: string }
  | { kind: "unreachable"; why: string };

/** A controller answer is a few KiB; refuse to buffer a hostile endless one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

async function readLimited(body: Readable, max: number): Promise<string | undefined> {
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/** One registration attempt → its outcome (never throws for network trouble). */
export async function attemptRegistration(ctx: Ctx, req: RegistrationRequest): Promise<Outcome> {
  try {
    const res = await ctx.http.request({
      method: "POST",
      url: `${req.server}/api/units/register`,
      json: req.body,
      auth: { header: "RegistrationToken", value: req.token },
      tlsVerify: req.tlsVerify,
      timeoutMs: 15_000,
      deadlineMs: 30_000,
      remote: "controller",
    });
    const text = await readLimited(res.body, MAX_ANSWER_BYTES);
    if (text === undefined) return { kind: "failed", why: `answer larger than ${MAX_ANSWER_BYTES} bytes` };
    return classifyAnswer(text, res.status);
  } catch (e) {
    return { kind: "failed", why: errorMessage(e) };
  }
}

/**
 * Poll until registered, duplicate, or MAX_FAILURES failures in a row.
 * `failuresBefore`: failures already in a row when this start began (a start
 * that follows a failed start carries them, backoff.ts), so a fleet backing
 * off makes one attempt per start instead of a burst of five.
 */
export async function registerUntilDone(ctx: Ctx, req: RegistrationRequest, failuresBefore = 0): Promise<LoopResult> {
  let failures = Math.max(0, Math.min(failuresBefore, MAX_FAILURES - 1));
  let lastMessage: string | undefined;
  for (;;) {
    const out = await attemptRegistration(ctx, req);
    if (out.kind === "registered" || out.kind === "duplicate") return out;
    if (out.kind === "pending") {
      failures = 0;
      // Logged when it changes, so logread says why the unit waits without repeating it every 10 s.
      if (out.message !== lastMessage) {
        ctx.log.info(`controller has not approved this unit yet: ${out.message || "(no message)"}`);
        lastMessage = out.message;
      } else ctx.log.debug("still waiting for approval");
      await ctx.clock.sleep(jittered(PENDING_WAIT_MS, ctx.clock.random()));
      continue;
    }
    failures++;
    ctx.log.warning(`registration attempt ${failures}/${MAX_FAILURES} failed: ${out.why}`);
    if (failures >= MAX_FAILURES) return { kind: "unreachable", why: out.why };
    await ctx.clock.sleep(jittered(FAILURE_WAIT_MS, ctx.clock.random()));
  }
}
