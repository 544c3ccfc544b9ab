/**
 * zod at the edges. We use `zod/mini` (tree-shakable) instead of full zod
 * (≈450 KB, mostly locales). Import it as `import * as z from "zod/mini"` in
 * each file: re-exporting the namespace from here (`export { z }`) made
 * esbuild keep all of zod, 265 KB of locales included (measured: 14 KB vs
 * 435 KB). Mini carries no English messages, so we word issues here.
 */
import type * as z from "zod/mini";
import { NsPlugError } from "./errors";

type Issue = { code: string; path: PropertyKey[]; expected?: string; message?: string; input?: unknown };

export function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const where = i.path.length ? i.path.map(String).join(".") : "value";
      if (i.message && i.message !== "Invalid input") return `${where}: ${i.message}`;
      if (i.code === "invalid_type") return `${where}: expected ${i.expected ?? "another type"}`;
      return `${where}: ${i.code.replace(/_/g, " ")}`;
    })
    .join("; ");
}

/** Parse `value` or throw NsPlugError(exitCode, "<what>: <why>"). */
export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, what: string, exitCode = 1): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new NsPlugError(exitCode, `${what}: ${describeIssues(r.error.issues as Issue[])}`);
}

/** JSON.parse that reports instead of throwing a SyntaxError with the input in it. */
export function parseJson(text: string, what: string, exitCode = 1): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new NsPlugError(exitCode, `${what}: not valid JSON`);
  }
}
