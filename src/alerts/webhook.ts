/**
 * Pure: one HTTP request to the proxy → the answer and the legacy alerts to
 * forward. POST on any path carries a webhook (vmalert appends
 * /api/v2/alerts to the notifier URL); GET and HEAD are health checks.
 */
import type { ServerAnswer, ServerRequest } from "../platform/http-server";
import { mapAlert, type LegacyAlert } from "./map";
import { parseWebhookBody } from "./schema";

export interface WebhookResult {
  answer: ServerAnswer;
  /** Legacy alerts to forward, in body order. */
  alerts: LegacyAlert[];
  /** Alerts in the body that map to nothing (unknown name, other path, HA resolution). */
  ignored: number;
  /** Why the request was refused (400), for the log. */
  refused?: string;
}

const OK: ServerAnswer = { status: 200, body: '{"status":"success"}\n', contentType: "application/json" };

export function answerRequest(req: Pick<ServerRequest, "method" | "body">, nowMs: number): WebhookResult {
  if (req.method === "GET" || req.method === "HEAD") return { answer: { status: 200, body: "ok\n" }, alerts: [], ignored: 0 };
  if (req.method !== "POST") return { answer: { status: 405, body: "use POST\n" }, alerts: [], ignored: 0 };
  const parsed = parseWebhookBody(req.body);
  if (!parsed.ok) return { answer: { status: 400, body: `${parsed.reason}\n` }, alerts: [], ignored: 0, refused: parsed.reason };
  const alerts: LegacyAlert[] = [];
  for (const a of parsed.alerts) {
    const legacy = mapAlert(a, nowMs);
    if (legacy) alerts.push(legacy);
  }
  return { answer: OK, alerts, ignored: parsed.alerts.length - alerts.length };
}
