/**
 * What a plugin module exports: one Method per entry of its table in
 * tables.ts. The mapped type makes a missing or extra method a type error,
 * so the table (what `list` advertises) and the code cannot drift apart.
 */
import type { Ctx } from "../platform/context";
import type * as z from "zod/mini";
import type { Answer } from "./answer";
import type { MethodName, PluginName } from "./tables";

export interface Method<A = unknown> {
  /** Argument schema (a z.object: unknown keys dropped); none → arguments are ignored. */
  args?: z.ZodMiniType<A>;
  /** Parameters whose values are never echoed in a validation answer or logged. */
  secrets?: readonly string[];
  run(ctx: Ctx, args: A): Promise<Answer>;
}

// `any` on purpose: each method has its own argument type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PluginMethods<P extends PluginName> = { readonly [M in MethodName<P>]: Method<any> };

/** Identity, for inference of A from the schema. */
export function method<A>(m: Method<A>): Method<A> {
  return m;
}

/** The answer of a method whose feature has not landed in this build. */
export const notImplemented: Method = { run: async () => ({ error: "not_implemented" }) };
