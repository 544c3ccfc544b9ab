/**
 * Seeded randomness for tests: every random choice a test makes comes from
 * here, and the seed is printed first, so a failure can be replayed exactly
 * with `TEST_SEED=<seed> node --import tsx <file>` (test/run.mjs shows a failing
 * file's output, seed line included).
 */

/** mulberry32: small, fast, good enough to spread kill times and delays (and fixed-seed data sets). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Seeded {
  seed: number;
  /** In [0, 1). */
  random(): number;
  /** In [lo, hi). */
  between(lo: number, hi: number): number;
  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[];
}

/** TEST_SEED when set (replay), else a fresh seed; printed either way. */
export function seeded(what: string): Seeded {
  const env = process.env.TEST_SEED;
  const seed = env !== undefined && /^\d+$/.test(env) ? Number(env) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  console.log(`[seed] ${what}: TEST_SEED=${seed} replays this run's random choices`);
  const random = mulberry32(seed);
  return {
    seed,
    random,
    between: (lo, hi) => lo + random() * (hi - lo),
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
  };
}
