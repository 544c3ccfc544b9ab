/**
 * One delivery attempt to the portal (SPEC §3.6): POST <alerts_url>alerts/store,
 * `Authorization: token <secret>`, body {"lk", "alert_id", "status"}.
 * Retries are the queue's business: this makes exactly one request.
 */
import type { Http } from "../platform/http";
import { errorMessage } from "../platform/errors";
import type { LegacyAlert } from "./map";
import type { SendOutcome } from "./queue";
import type { Registration } from "./registration";

export async function postLegacyAlert(
  http: Http,
  reg: Registration | undefined,
  alert: LegacyAlert,
  signal: AbortSignal,
): Promise<SendOutcome> {
  // Unregistered since the alert was queued: nothing to deliver it to.
  if (!reg) return "discarded";
  try {
    const res = await http.request({
      method: "POST",
      url: reg.storeUrl,
      auth: { token: reg.secret },
      json: { lk: reg.lk, alert_id: alert.alertId, status: alert.status },
      timeoutMs: 10_000,
      // A hung portal counts as a failure and is retried, it never holds the id forever.
      deadlineMs: 15_000,
      signal,
      // A POST must not silently become a GET elsewhere: a redirect is a failure.
      redirects: { max: 0, keepAuth: false },
      retries: 0,
      remote: "portal",
    });
    await res.dump();
    return res.status >= 200 && res.status < 300 ? "delivered" : { error: `portal answered HTTP ${res.status}` };
  } catch (e) {
    return { error: errorMessage(e) };
  }
}
