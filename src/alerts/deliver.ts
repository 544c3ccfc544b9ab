/**
 * One delivery attempt to the portal (SPEC §3.6): POST <alerts_url>alerts/store,
 * `Authorization: token <secret>`, body {"lk", "alert_id", "status"}.
 * Retries are the queue's business: this makes exactly one request.
 */
import type { JsonPoster } from "../platform/http-post";
import { describeFault } from "../platform/http";
import type { LegacyAlert } from "./map";
import type { SendOutcome } from "./queue";
import type { Registration } from "./registration";

/** A hung portal counts as a failure and is retried; it never holds the id for long. */
const ATTEMPT_TIMEOUT_MS = 15_000;

export async function postLegacyAlert(
  poster: JsonPoster,
  reg: Registration | undefined,
  alert: LegacyAlert,
  signal: AbortSignal,
): Promise<SendOutcome> {
  // Unregistered since the alert was queued: nothing to deliver it to.
  if (!reg) return "discarded";
  try {
    const status = await poster.post({
      url: reg.storeUrl,
      token: reg.secret,
      json: { lk: reg.lk, alert_id: alert.alertId, status: alert.status },
      timeoutMs: ATTEMPT_TIMEOUT_MS,
      signal,
    });
    return status >= 200 && status < 300 ? "delivered" : { error: `portal answered HTTP ${status}` };
  } catch (e) {
    return { error: describeFault(e) };
  }
}
