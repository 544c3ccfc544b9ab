/**
 * Extra inventory facts from /usr/share/ns-plug/facts.d/ (like NS8's
 * get-facts): each executable prints one JSON object on stdout, merged under
 * `features.<name>`. A plugin that fails, is too slow, or prints anything but
 * one JSON object is skipped and logged; the inventory goes on without it.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import { listExecutables } from "../platform/hooks";

export const FACTS_DIR = "/usr/share/ns-plug/facts.d";
export const FACTS_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 1024 * 1024;

/** Pure: the feature name of a plugin file: its name without the extension ("dpi.sh" → "dpi"). */
export function featureName(file: string): string {
  const dot = file.lastIndexOf(".");
  return dot > 0 ? file.slice(0, dot) : file;
}

/**
 * Pure: why a feature name is refused, or undefined. Names become keys of the
 * JSON the portal parses: `__proto__` and friends would set the features
 * object's prototype instead of a key, and names are letters, digits, `_`
 * and `-` like the built-in ones.
 */
export function badFeatureName(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return "not a valid feature name";
  if (name === "constructor" || name === "prototype") return "not a valid feature name";
  return undefined;
}

/** Plugins run at most this many at a time: up to four hung plugins cost one time bound, not four. */
const CONCURRENCY = 4;

/** Pure: a plugin's stdout → its object, or why it is refused. */
export function parsePluginOutput(stdout: string): { ok: true; value: Record<string, unknown> } | { ok: false; why: string } {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return { ok: false, why: "output is not JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, why: "output is not a JSON object" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export async function collectPluginFacts(
  ctx: Ctx,
  dir = FACTS_DIR,
  timeoutMs = FACTS_TIMEOUT_MS,
  reserved: ReadonlySet<string> = new Set(),
): Promise<Record<string, Record<string, unknown>>> {
  const features: Record<string, Record<string, unknown>> = {};
  let plugins: Awaited<ReturnType<typeof listExecutables>>["run"];
  try {
    plugins = (await listExecutables(ctx, dir, "facts plugin")).run;
  } catch (e) {
    ctx.log.warning(`facts plugins ${dir}: cannot list: ${errorMessage(e)}`);
    return features;
  }
  // Decide names first (in byte order, so the first of two same-named plugins wins), then run.
  const runs: Array<{ name: string; path: string }> = [];
  const taken = new Set<string>();
  for (const p of plugins) {
    const name = featureName(p.name);
    const bad = badFeatureName(name);
    if (bad) ctx.log.warning(`facts plugin ${p.path} skipped: ${bad}`);
    else if (reserved.has(name)) ctx.log.warning(`facts plugin ${p.path} skipped: feature '${name}' is built in`);
    else if (taken.has(name)) ctx.log.warning(`facts plugin ${p.path} skipped: feature '${name}' already given by another plugin`);
    else {
      taken.add(name);
      runs.push({ name, path: p.path });
    }
  }
  const results = new Map<string, Record<string, unknown>>();
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const p = runs[next++]!;
      const value = await runPlugin(ctx, p.path, timeoutMs);
      if (value) results.set(p.name, value);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, runs.length) }, worker));
  for (const p of runs) {
    const v = results.get(p.name);
    if (v) features[p.name] = v;
  }
  return features;
}

/** One plugin's object, or undefined after logging why (exactly once) it was skipped. */
async function runPlugin(ctx: Ctx, path: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  const skip = (why: string) => {
    ctx.log.warning(`facts plugin ${path} skipped: ${why}`);
    return undefined;
  };
  try {
    const r = await ctx.exec(ctx.path(path), [], { timeoutMs, processGroup: true, maxOutput: MAX_OUTPUT });
    if (r.timedOut) return skip(`timed out after ${timeoutMs / 1000} s`);
    if (r.code !== 0) return skip(`exited ${r.code ?? r.signal}`);
    if (r.stdoutBytes.length > MAX_OUTPUT) return skip(`output over ${MAX_OUTPUT} bytes`);
    const parsed = parsePluginOutput(r.stdout);
    return parsed.ok ? parsed.value : skip(parsed.why);
  } catch (e) {
    return skip(errorMessage(e));
  }
}
