/**
 * The webhook body: Alertmanager's `{"alerts": [...], ...}` or vmalert's bare
 * array, parsed with zod. Only the fields the mapping reads are checked;
 * everything else (annotations, generatorURL, …) is ignored, whatever it holds.
 */
import { z, describeIssues } from "../platform/schema";

const WebhookAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  endsAt: z.optional(z.nullable(z.string())),
});
export type WebhookAlert = z.infer<typeof WebhookAlertSchema>;

const AlertList = z.array(WebhookAlertSchema);
const Envelope = z.object({ alerts: AlertList });

export type ParsedBody = { ok: true; alerts: WebhookAlert[] } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Pure: request body bytes → alerts, or a short reason for a 400 answer. */
export function parseWebhookBody(body: Uint8Array): ParsedBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: "body is not UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "body is not valid JSON" };
  }
  // Pick the form first: a union would report both branches' issues at once.
  const r = Array.isArray(value) ? AlertList.safeParse(value) : Envelope.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues as Parameters<typeof describeIssues>[0];
    // The path may hold a label name from the body: keep the reason short and on one line.
    const reason = describeIssues(issues).replace(/[\x00-\x1f\x7f]/g, "?").slice(0, 200);
    return { ok: false, reason: `not an Alertmanager webhook: ${reason}` };
  }
  return { ok: true, alerts: Array.isArray(r.data) ? r.data : r.data.alerts };
}
