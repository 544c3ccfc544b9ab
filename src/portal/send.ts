/**
 * Heartbeat and inventory sends (SPEC §3.4), shared by the commands, by
 * register, and by the rpcd plugin.
 */
import type { Ctx } from "../platform/context";
import { buildPhonehome, collectInventory } from "../inventory";
import { errorMessage } from "../platform/errors";
import { postHeartbeat, postInventory, type Registration, type SendBudget } from "./client";
import { writeInventoryStatus } from "./status";

/** Heartbeat; returns an error message or undefined. Never throws. */
export async function sendHeartbeatFor(ctx: Ctx, reg: Registration, budget?: SendBudget): Promise<string | undefined> {
  const err = await postHeartbeat(ctx, reg, budget);
  if (err) ctx.log.error(`heartbeat: ${err}`);
  else ctx.log.info("heartbeat sent");
  return err;
}

/** Collect and send the inventory, record the outcome in /tmp/inventory-sent.json. Never throws. */
export async function sendInventoryFor(ctx: Ctx, reg: Registration, budget?: SendBudget): Promise<string | undefined> {
  const inventory = await collectInventory(ctx);
  // Built from the inventory just collected: the facts are computed, and their failures logged, once.
  const phonehome =
    reg.type === "enterprise"
      ? await buildPhonehome(ctx, inventory).catch((e: unknown) => {
          ctx.log.warning(`inventory: phonehome facts not built: ${errorMessage(e)}`);
          return undefined;
        })
      : undefined;
  const err = await postInventory(ctx, reg, inventory, budget, phonehome);
  if (err) ctx.log.error(`inventory: ${err}`);
  else ctx.log.info("inventory sent");
  try {
    await writeInventoryStatus(ctx, err === undefined);
  } catch (e) {
    ctx.log.warning(`inventory: cannot write the status file: ${(e as Error).message}`);
  }
  return err;
}
