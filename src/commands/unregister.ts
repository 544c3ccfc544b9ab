/**
 * `unregister` (SPEC §3.3): release the key at the portal (best effort),
 * clear the subscription, run the unregister hooks. Not registered → 0.
 */
import type { Ctx } from "../platform/context";
import { unregisterUnit } from "../portal";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "unregister", "Release the subscription and clear its settings");
  if (!(await parse(cmd, args))) return 0;
  await unregisterUnit(ctx);
  return 0;
}
