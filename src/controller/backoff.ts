/**
 * Backoff between starts of `ns-plug` (SPEC §3.1 step 4), across procd's
 * respawns. After a controller outage every unit loses its tunnel at the same
 * moment, OpenVPN gives up after the same ~25 s and procd respawns after the
 * same 60 s: without this the whole fleet re-registers in lockstep, again and
 * again, and then all at once when the controller is back.
 *
 * So a start that follows failed starts first waits a random time drawn
 * uniformly from [0, min(cap, base·2^(n−1))) — "full jitter" — where n counts
 * the consecutive starts that did not keep a tunnel (a registration that
 * failed, a start killed before registering, or a tunnel that ended: a start
 * after an earlier one handed over to OpenVPN). A registration resets the
 * count. The count lives in /var/run (tmpfs: a reboot starts afresh, and the
 * first start after boot has its own 0–10 s delay, pacing.ts), and
 * `/etc/init.d/ns-plug` start and stop remove it: an admin's restart or reload is not penalised.
 *
 * Numbers: base 30 s, cap 180 s. A unit whose tunnel just dropped waits 0–30 s
 * on top of procd's 60 s and makes the usual 5 attempts ~2 s apart; after a
 * failed start the failures are still "in a row" (failuresCarried), so each
 * later start waits 0–60, 0–120, then 0–180 s and makes one attempt. A unit's
 * attempts are then at most 60 + 180 s apart: after a long outage 99 % of a
 * fleet is back within ~4 minutes, and the controller sees ~1/12 of the
 * original's peak (bench/fleet.bench.mjs, docs/operations.md).
 */
import * as z from "zod/mini";
import { MAX_FAILURES } from "./pacing";

export const START_BACKOFF_BASE_MS = 30_000;
export const START_BACKOFF_CAP_MS = 180_000;
/** The count of failed starts (SPEC §3.1: "counted in /var/run"). */
export const BACKOFF_STATE = "/var/run/ns-plug.backoff";

/** Pure: the wait before a start that follows `failed` failed starts; `r` uniform in [0, 1). */
export function startBackoffMs(failed: number, r: number): number {
  if (failed <= 0) return 0;
  const ceiling = Math.min(START_BACKOFF_CAP_MS, START_BACKOFF_BASE_MS * 2 ** Math.min(failed - 1, 30));
  return Math.floor(r * ceiling);
}

export interface BackoffState {
  /** Consecutive starts that did not register. */
  failedStarts: number;
  /** The last start registered and handed over to OpenVPN. */
  handedOver: boolean;
}

const StateSchema = z.object({
  failedStarts: z.int().check(z.minimum(0), z.maximum(1_000_000)),
  handedOver: z.boolean(),
});

/** Pure: the state file's text → state; anything unreadable counts as no history. */
export function parseBackoffState(text: string | undefined): BackoffState {
  if (text === undefined) return { failedStarts: 0, handedOver: false };
  try {
    const r = StateSchema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
  } catch {
    // fall through: a torn or foreign file is no history
  }
  return { failedStarts: 0, handedOver: false };
}

/** Pure: how many failed starts this start follows (a tunnel that ended after a hand-over is one). */
export function failedBefore(s: BackoffState): number {
  return s.failedStarts + (s.handedOver ? 1 : 0);
}

/**
 * Pure: registration failures already in a row when this start begins. After
 * a failed start they still are (SPEC §3.1's "5 failures in a row" go on across
 * the respawn), so the start makes one attempt and exits 5 again if it fails:
 * a backing-off fleet polls once per start, not in bursts of five. After a
 * hand-over (the tunnel ended) the count starts afresh: 5 attempts ~2 s apart
 * ride out a blip.
 */
export function failuresCarried(s: BackoffState): number {
  return s.failedStarts > 0 ? MAX_FAILURES - 1 : 0;
}

export const renderBackoffState = (s: BackoffState): string => `${JSON.stringify(s)}\n`;
