/**
 * The alert proxy: HTTP server → mapping → delivery queue → portal.
 * The answer is written before any forwarding starts: alerts are handed to
 * the queue only after the registration check, which is asynchronous.
 */
import type { Ctx } from "../platform/context";
import { listenHttp } from "../platform/http-server";
import { createJsonPoster } from "../platform/http-post";
import { answerRequest, type WebhookResult } from "./webhook";
import { postLegacyAlert } from "./deliver";
import { createDeliveryQueue, type Timers } from "./queue";
import { watchConfig } from "./registration";
import { watchHaRules } from "./ha-rules";

export const MAX_BODY_BYTES = 1024 * 1024;

export interface AlertProxy {
  host: string;
  port: number;
  /** Re-read /etc/config/ns-plug on the next alert (SIGHUP). */
  reloadConfig(): void;
  /** Stop accepting, try what is pending for up to `graceMs`, then give up. */
  stop(graceMs: number): Promise<void>;
}

const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export async function startAlertProxy(ctx: Ctx, listen: { host: string; port: number }): Promise<AlertProxy> {
  ctx.log.setLevel("warning"); // SPEC default, until the config says otherwise
  const config = watchConfig(ctx, (c) => ctx.log.setLevel(c.alertProxyLoglevel));
  await config.current();
  const haRules = await watchHaRules(ctx);
  // Not ctx.http: see platform/http-post.ts (undici's memory cost in a resident process).
  const poster = createJsonPoster();
  const queue = createDeliveryQueue({
    send: async (alert, signal) => postLegacyAlert(poster, await config.current(), alert, signal),
    timers: realTimers,
    random: ctx.clock.random,
    log: ctx.log,
  });

  const server = await listenHttp({
    ...listen,
    maxBodyBytes: MAX_BODY_BYTES,
    onHandlerError: (m) => ctx.log.error(`internal error answering a request: ${m}`),
    handle(req) {
      const r = answerRequest(req, ctx.clock.now().getTime(), { haRecoveryRule: haRules.installed() });
      haRules.maybeRefresh();
      if (r.refused) ctx.log.info(`webhook refused (400): ${r.refused}`);
      if (ctx.log.enabled("debug") && (r.alerts.length || r.ignored.length)) ctx.log.debug(describeWebhook(r));
      if (r.alerts.length === 0) return r.answer;
      void config.current().then((reg) => {
        if (!reg) ctx.log.debug(`not registered: ${r.alerts.length} alert(s) dropped`);
        else for (const a of r.alerts) queue.push(a);
      });
      return r.answer;
    },
  });

  return {
    host: server.host,
    port: server.port,
    reloadConfig: () => {
      config.invalidate();
      void haRules.refresh();
    },
    async stop(graceMs) {
      const closed = server.close();
      await queue.drain(graceMs);
      server.closeAll();
      poster.close();
      await closed;
    },
  };
}

function describeWebhook(r: WebhookResult): string {
  const forward = r.alerts.map((a) => `${a.alertId} ${a.status}`).join(", ") || "nothing";
  const names = r.ignored.slice(0, 10).join(", ") + (r.ignored.length > 10 ? ", …" : "");
  return `webhook: forward ${forward}; ignore ${r.ignored.length}${r.ignored.length ? ` (${names})` : ""}`;
}
