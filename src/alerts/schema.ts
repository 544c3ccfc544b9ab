/**
 * The webhook body: Alertmanager's `{"alerts": [...], ...}` or vmalert's bare
 * array, parsed with zod. Only the fields the mapping reads are checked;
 * everything else (annotations, generatorURL, …) is ignored, whatever it holds.
 */
import * as z from "zod/mini";
import { describeIssues } from "../platform/schema";

const WebhookAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  endsAt: z.optional(z.nullable(z.string())),
});
export type WebhookAlert = z.infer<typeof WebhookAlertSchema>;

/**
 * Elements are checked one by one, stopping at the first bad one: zod reports
 * every issue it finds, and a 1 MiB body of 80 000 bad alerts (or one alert
 * with 50 000 bad labels) would otherwise build more issue objects than the
 * router's capped heap holds. Same reason for the label bound.
 */
const Envelope = z.object({ alerts: z.array(z.unknown()) });
export const MAX_LABELS = 256;

/**
 * JSON.parse of 1 MiB of `[{},{},…]` builds 350 000 objects, ~25 MiB of heap:
 * more than the proxy's capped heap (init.d). A real webhook holds a few
 * objects per alert, so '{' and '[' bytes are counted first (inside strings
 * too: cheap, and only ever errs on the safe side).
 */
export const MAX_CONTAINERS = 10_000;

export type ParsedBody = { ok: true; alerts: WebhookAlert[] } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });
type Issues = Parameters<typeof describeIssues>[0];

function refuse(issues: Issues, prefix: PropertyKey[] = []): ParsedBody {
  const withPath = issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
  // The path may hold a label name from the body: keep the reason short and on one line.
  const reason = describeIssues(withPath).replace(/[\x00-\x1f\x7f]/g, "?").slice(0, 200);
  return { ok: false, reason: `not an Alertmanager webhook: ${reason}` };
}

function tooManyContainers(body: Uint8Array): boolean {
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if ((b === 0x7b || b === 0x5b) && ++n > MAX_CONTAINERS) return true;
  }
  return false;
}

function tooManyLabels(el: unknown): boolean {
  const labels = typeof el === "object" && el !== null ? (el as { labels?: unknown }).labels : undefined;
  if (typeof labels !== "object" || labels === null) return false;
  let n = 0;
  for (const _ in labels) if (++n > MAX_LABELS) return true;
  return false;
}

/** Pure: request body bytes → alerts, or a short reason for a 400 answer. */
export function parseWebhookBody(body: Uint8Array): ParsedBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: "body is not UTF-8" };
  }
  if (tooManyContainers(body)) return { ok: false, reason: `body has more than ${MAX_CONTAINERS} JSON objects and arrays` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "body is not valid JSON" };
  }
  // Alertmanager's envelope, or vmalert's bare array.
  let list: unknown[];
  const prefix: PropertyKey[] = [];
  if (Array.isArray(value)) list = value;
  else {
    const env = Envelope.safeParse(value);
    if (!env.success) return refuse(env.error.issues as Issues);
    list = env.data.alerts;
    prefix.push("alerts");
  }
  const alerts: WebhookAlert[] = [];
  for (let i = 0; i < list.length; i++) {
    if (tooManyLabels(list[i])) {
      return { ok: false, reason: `not an Alertmanager webhook: ${[...prefix, i].join(".")}.labels: more than ${MAX_LABELS} labels` };
    }
    const r = WebhookAlertSchema.safeParse(list[i]);
    if (!r.success) return refuse(r.error.issues as Issues, [...prefix, i]);
    alerts.push(r.data);
  }
  return { ok: true, alerts };
}
