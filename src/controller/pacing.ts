/**
 * When to talk to the controller. A fleet that reboots together (power cut,
 * controller upgrade) must not poll in lockstep, so every wait is jittered
 * around its nominal value and the first start after boot waits a random
 * 0–10 s (openwisp-config's `bootup_delay`). The averages stay those of the
 * original script: 10 s between "not approved yet" polls, 2 s after a failure.
 */

/** Nominal pause after a 403 ("not approved yet"). */
export const PENDING_WAIT_MS = 10_000;
/** Nominal pause after a failed attempt. */
export const FAILURE_WAIT_MS = 2_000;
/** Failed attempts in a row before giving up with exit 5. */
export const MAX_FAILURES = 5;
/** Longest random delay before the first attempt after boot. */
export const BOOT_DELAY_MAX_MS = 10_000;
/**
 * Present once ns-plug ran since boot. /var/run is a tmpfs on OpenWrt, so it
 * disappears at every reboot and procd respawns skip the delay.
 */
export const BOOT_MARKER = "/var/run/ns-plug.booted";

/** Pure: `nominal` spread uniformly over [0.5, 1.5) × nominal; mean = nominal. `r` in [0, 1). */
export function jittered(nominal: number, r: number): number {
  return Math.floor(nominal * (0.5 + r));
}

/** Pure: the boot delay for a random `r` in [0, 1). */
export function bootDelay(r: number): number {
  return Math.floor(r * BOOT_DELAY_MAX_MS);
}
