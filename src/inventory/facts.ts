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
): Promise<Record<string, Record<string, unknown>>> {
  const features: Record<string, Record<string, unknown>> = {};
  let plugins: Awaited<ReturnType<typeof listExecutables>>["run"];
  try {
    plugins = (await listExecutables(ctx, dir, "facts plugin")).run;
  } catch (e) {
    ctx.log.warning(`facts plugins ${dir}: cannot list: ${errorMessage(e)}`);
    return features;
  }
  for (const p of plugins) {
    const name = featureName(p.name);
    if (Object.hasOwn(features, name)) {
      ctx.log.warning(`facts plugin ${p.path} skipped: feature '${name}' already given by another plugin`);
      continue;
    }
    try {
      const r = await ctx.exec(ctx.path(p.path), [], { timeoutMs, processGroup: true, maxOutput: MAX_OUTPUT });
      if (r.timedOut) {
        ctx.log.warning(`facts plugin ${p.path} skipped: timed out after ${timeoutMs / 1000} s`);
        continue;
      }
      if (r.code !== 0) {
        ctx.log.warning(`facts plugin ${p.path} skipped: exited ${r.code ?? r.signal}`);
        continue;
      }
      if (r.stdoutBytes.length > MAX_OUTPUT) {
        ctx.log.warning(`facts plugin ${p.path} skipped: output over ${MAX_OUTPUT} bytes`);
        continue;
      }
      const parsed = parsePluginOutput(r.stdout);
      if (!parsed.ok) {
        ctx.log.warning(`facts plugin ${p.path} skipped: ${parsed.why}`);
        continue;
      }
      features[name] = parsed.value;
    } catch (e) {
      ctx.log.warning(`facts plugin ${p.path} skipped: ${errorMessage(e)}`);
    }
  }
  return features;
}
