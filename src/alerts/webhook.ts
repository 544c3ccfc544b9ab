/**
 * Pure: one HTTP request to the proxy → the answer and the legacy alerts to
 * forward. POST on any path carries a webhook (vmalert appends
 * /api/v2/alerts to the notifier URL); GET and HEAD are health checks.
 */
import type { ServerAnswer, ServerRequest } from "../platform/http-server";
import { mapAlert, type LegacyAlert, type MapOptions } from "./map";
import { parseWebhookBody } from "./schema";

export interface WebhookResult {
  answer: ServerAnswer;
  /** Legacy alerts to forward, in body order. */
  alerts: LegacyAlert[];
  /** alertname of each alert that maps to nothing (unknown name, other path, HA resolution), for the debug log. */
  ignored: string[];
  /** Why the request was refused (400), for the log. */
  refused?: string;
}

const OK: ServerAnswer = { status: 200, body: '{"status":"success"}\n', contentType: "application/json" };

export function answerRequest(req: Pick<ServerRequest, "method" | "body">, nowMs: number, opts: MapOptions = {}): WebhookResult {
  if (req.method === "GET" || req.method === "HEAD") return { answer: { status: 200, body: "ok\n" }, alerts: [], ignored: [] };
  if (req.method !== "POST") return { answer: { status: 405, body: "use POST\n" }, alerts: [], ignored: [] };
  const parsed = parseWebhookBody(req.body);
  if (!parsed.ok) return { answer: { status: 400, body: `${parsed.reason}\n` }, alerts: [], ignored: [], refused: parsed.reason };
  const alerts: LegacyAlert[] = [];
  const ignored: string[] = [];
  for (const a of parsed.alerts) {
    const legacy = mapAlert(a, nowMs, opts);
    if (legacy) alerts.push(legacy);
    else ignored.push(String(a.labels.alertname ?? "?").slice(0, 64));
  }
  return { answer: OK, alerts, ignored };
}
