/** `inventory`: print the inventory JSON (SPEC §3.4) on one line. Works registered or not. */
import type { Ctx } from "../platform/context";
import { collectInventory } from "../inventory";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "inventory", "Print the inventory JSON (facts from /proc, /sys, UCI and facts.d plugins)");
  if (!(await parse(cmd, args))) return 0;
  ctx.print(JSON.stringify(await collectInventory(ctx)) + "\n");
  return 0;
}
