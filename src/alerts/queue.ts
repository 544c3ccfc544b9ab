/**
 * Delivery queue for legacy alerts. No I/O of its own: `send`, the timers and
 * the random source are injected, so unit tests drive it with a fake clock.
 *
 * - Keyed by alert_id; an entry holds only the newest status. The map is
 *   the whole state (one timer for the queue, no per-retry closures holding
 *   copies), so memory is bounded by the number of distinct ids (`maxIds`).
 * - At most one request per alert_id is in flight, and each request carries
 *   the newest status when it starts: the portal sees a subsequence of the
 *   statuses in the order they arrived, never an older one after a newer.
 * - Ids are independent: a slow or failing request for one id never delays
 *   another.
 * - A failed status is retried with exponential backoff and jitter, then
 *   dropped and logged. A newer status for the same id gets a fresh budget
 *   but keeps the pending wait (the portal just failed; no hammering).
 */
import type { LegacyAlert, LegacyStatus } from "./map";

export type SendOutcome = "delivered" | "discarded" | { error: string };

export interface RetryPolicy {
  /** Tries of one status before it is dropped (the first included). */
  tries: number;
  /** Wait before the second try; doubles for each next one. */
  baseMs: number;
}

/** 6 tries; waits ≈5, 10, 20, 40, 80 s ±25 %: the last try comes 116–194 s after the first. */
export const DEFAULT_RETRY: RetryPolicy = { tries: 6, baseMs: 5_000 };

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface QueueLog {
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export interface QueueDeps {
  send(alert: LegacyAlert, signal: AbortSignal): Promise<SendOutcome>;
  timers: Timers;
  random(): number;
  log: QueueLog;
  retry?: RetryPolicy;
  /** Distinct alert ids kept at most; alerts for new ids beyond it are dropped (logged). */
  maxIds?: number;
}

export interface DeliveryQueue {
  push(alert: LegacyAlert): void;
  /** Number of alert ids with a status not yet delivered. */
  size(): number;
  /** Try everything pending now, for up to `ms`; then abort what is left. Resolves when done. */
  drain(ms: number): Promise<void>;
}

interface Entry {
  status: LegacyStatus;
  /** Bumped by every push: tells a finished request whether a newer status arrived meanwhile. */
  gen: number;
  tries: number;
  firstTryAt: number;
  dueAt: number;
  inFlight?: AbortController;
}

/** Wait after `failed` failed tries: base·2^(failed−1), scaled by a jitter factor in [0.75, 1.25). */
export function retryDelay(policy: RetryPolicy, failed: number, random: () => number): number {
  return Math.round(policy.baseMs * 2 ** (failed - 1) * (0.75 + random() / 2));
}

const DRAIN_RETRY_MS = 500;

export function createDeliveryQueue(deps: QueueDeps): DeliveryQueue {
  const policy = deps.retry ?? DEFAULT_RETRY;
  const maxIds = deps.maxIds ?? 1024;
  const { timers, log } = deps;
  const entries = new Map<string, Entry>();
  let timer: unknown;
  let timerAt = Infinity;
  let draining = false;
  /** Set when drain gave up: late answers of aborted requests change nothing. */
  let stopped = false;
  let onEmpty: (() => void) | undefined;
  /** Alerts dropped because the queue was full, not yet reported. */
  let overflow = 0;
  let overflowLoggedAt = -Infinity;
  let overflowTimer: unknown;

  // Rate-limited (a flood of distinct ids must not flood the log too), but every drop is
  // counted: the first at once, the rest in one line a minute later and at shutdown.
  function reportOverflow(): void {
    if (overflowTimer !== undefined) timers.clear(overflowTimer);
    overflowTimer = undefined;
    if (overflow === 0) return;
    const more = overflowLoggedAt === -Infinity ? "" : " more";
    log.error(`delivery queue full (${maxIds} alert ids pending): ${overflow}${more} alert(s) dropped`);
    overflowLoggedAt = timers.now();
    overflow = 0;
  }

  function arm(at: number): void {
    if (at >= timerAt) return;
    if (timer !== undefined) timers.clear(timer);
    timerAt = at;
    timer = timers.set(onTimer, Math.max(0, at - timers.now()));
  }

  function onTimer(): void {
    timer = undefined;
    timerAt = Infinity;
    if (stopped) return;
    const now = timers.now();
    let next = Infinity;
    for (const [id, e] of entries) {
      if (e.inFlight) continue;
      if (e.dueAt <= now) start(id, e);
      else next = Math.min(next, e.dueAt);
    }
    if (next < Infinity) arm(next);
  }

  function start(id: string, e: Entry): void {
    const gen = e.gen;
    const status = e.status;
    const ctrl = new AbortController();
    e.inFlight = ctrl;
    if (e.tries++ === 0) e.firstTryAt = timers.now();
    deps
      .send({ alertId: id, status }, ctrl.signal)
      .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
      .then((outcome) => finish(id, e, gen, status, outcome));
  }

  function finish(id: string, e: Entry, gen: number, status: LegacyStatus, outcome: SendOutcome): void {
    e.inFlight = undefined;
    if (stopped) return;
    const now = timers.now();
    const newer = e.gen !== gen;
    if (outcome === "delivered" || outcome === "discarded") {
      if (outcome === "delivered") log.info(`alert ${id} ${status} delivered`);
      else log.debug(`alert ${id} ${status} discarded (not registered)`);
      if (!newer) return remove(id);
      e.dueAt = now; // a newer status waited for this request: send it now
    } else if (newer) {
      log.warning(`alert ${id} ${status} not delivered (${outcome.error}); a newer status replaces it`);
      e.dueAt = now + (draining ? DRAIN_RETRY_MS : retryDelay(policy, 1, deps.random));
    } else if (e.tries >= policy.tries && !draining) {
      const secs = Math.round((now - e.firstTryAt) / 1000);
      log.error(`alert ${id} ${status} dropped after ${e.tries} tries over ${secs} s: ${outcome.error}`);
      return remove(id);
    } else {
      const wait = draining ? DRAIN_RETRY_MS : retryDelay(policy, e.tries, deps.random);
      log.warning(`alert ${id} ${status} not delivered (try ${e.tries}/${policy.tries}): ${outcome.error}; next try in ${Math.round(wait / 1000)} s`);
      e.dueAt = now + wait;
    }
    if (e.dueAt <= now) start(id, e);
    else arm(e.dueAt);
  }

  function remove(id: string): void {
    entries.delete(id);
    if (entries.size === 0) onEmpty?.();
  }

  return {
    push(alert) {
      if (stopped) return;
      let e = entries.get(alert.alertId);
      const now = timers.now();
      if (!e) {
        if (entries.size >= maxIds) {
          overflow++;
          if (now - overflowLoggedAt >= 60_000) reportOverflow();
          else overflowTimer ??= timers.set(reportOverflow, overflowLoggedAt + 60_000 - now);
          return;
        }
        e = { status: alert.status, gen: 0, tries: 0, firstTryAt: now, dueAt: now };
        entries.set(alert.alertId, e);
      } else {
        e.status = alert.status;
        e.gen++;
        e.tries = 0;
      }
      if (e.inFlight) return; // sent when the request in flight finishes
      if (e.dueAt <= now) start(alert.alertId, e);
      else arm(e.dueAt);
    },
    size: () => entries.size,
    drain(ms) {
      draining = true;
      reportOverflow();
      const now = timers.now();
      for (const e of entries.values()) e.dueAt = Math.min(e.dueAt, now);
      onTimer();
      if (entries.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const deadline = timers.set(() => {
          stopped = true;
          reportOverflow();
          for (const [id, e] of entries) {
            log.error(`alert ${id} ${e.status} dropped: not delivered before shutdown`);
            e.inFlight?.abort();
          }
          entries.clear();
          if (timer !== undefined) timers.clear(timer);
          onEmpty = undefined;
          resolve();
        }, ms);
        onEmpty = () => {
          stopped = true;
          reportOverflow();
          timers.clear(deadline);
          if (timer !== undefined) timers.clear(timer);
          resolve();
        };
      });
    },
  };
}
