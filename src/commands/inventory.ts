/**
 * `inventory`: print the inventory JSON (SPEC §3.4) on one line. Works
 * registered or not. `--phonehome` prints the facts document the enterprise
 * send posts to /proxy/inventory instead (what NethSecurity's
 * /usr/sbin/phonehome prints).
 */
import type { Ctx } from "../platform/context";
import { buildPhonehome, collectInventory } from "../inventory";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "inventory", "Print the inventory JSON (facts from /proc, /sys, UCI and facts.d plugins)").option(
    "--phonehome",
    "print the phonehome facts document (schema facts/2022-12) instead",
  );
  if (!(await parse(cmd, args))) return 0;
  const inventory = await collectInventory(ctx);
  const out = cmd.opts<{ phonehome?: boolean }>().phonehome ? await buildPhonehome(ctx, inventory) : inventory;
  ctx.print(JSON.stringify(out) + "\n");
  return 0;
}
