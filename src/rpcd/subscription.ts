/**
 * ns.subscription: the portal subscription for LuCI (SPEC §7).
 */
import { z } from "../platform/schema";
import type { Answer } from "./answer";
import { method, notImplemented, type PluginMethods } from "./method";

/** Written by send-inventory (SPEC §3.4). */
export const INVENTORY_SENT = "/tmp/inventory-sent.json";

const InventorySent = z.object({ status: z.string(), last_attempt: z.optional(z.string()) });

const inventoryStatus = method({
  async run(ctx): Promise<Answer> {
    const text = await ctx.fs.readIfExists(INVENTORY_SENT);
    if (text === undefined) return { status: "not attempted" };
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    const r = InventorySent.safeParse(v);
    if (!r.success) {
      ctx.log.warning(`${INVENTORY_SENT}: not the expected JSON`);
      return { status: "not attempted" };
    }
    return r.data;
  },
});

export const methods: PluginMethods<"ns.subscription"> = {
  register: notImplemented,
  unregister: notImplemented,
  info: notImplemented,
  "inventory-status": inventoryStatus,
  "send-inventory": notImplemented,
};
