/**
 * ns.subscription: the portal subscription for LuCI (SPEC §7). The work is
 * the portal feature's (src/portal); this maps it to rpcd arguments/answers.
 */
import * as z from "zod/mini";
import {
  inventoryStatus, registerAnyPortal, sendInventoryNow, subscriptionSummary, unregisterForRpc,
} from "../portal/index";
import { looseText } from "./loose";
import { method, type PluginMethods } from "./method";

/** LuCI waits for these answers: each portal gets a short try (the original used 5 s). */
export const PORTAL_TIMEOUT_MS = 5_000;
/**
 * Each send (inventory, heartbeat, freekey) gets 35 s, all attempts included:
 * register's two lookups and two sends fit in 80 s, well inside the protocol's
 * 100 s deadline and rpcd's 120 s kill (the commands' 180 s per send did not:
 * a hanging portal had send-inventory answer {"error":"timeout"}, found by the
 * fault matrix of issue 9).
 */
export const RPC_SEND_BUDGET = { overallMs: 35_000 };

const register = method({
  // The portal feature's rules (checkSecret): one line, no control characters, at most 1024.
  args: z.object({ secret: looseText({ required: true, max: 1024 }) }),
  secrets: ["secret"],
  async run(ctx, a) {
    const r = await registerAnyPortal(ctx, a.secret, PORTAL_TIMEOUT_MS, RPC_SEND_BUDGET);
    return "error" in r ? r : { result: "success" };
  },
});

export const methods: PluginMethods<"ns.subscription"> = {
  register,
  unregister: method({ run: (ctx) => unregisterForRpc(ctx, RPC_SEND_BUDGET) }),
  info: method({ run: (ctx) => subscriptionSummary(ctx, PORTAL_TIMEOUT_MS) }),
  "inventory-status": method({ run: async (ctx) => ({ ...(await inventoryStatus(ctx)) }) }),
  "send-inventory": method({ run: (ctx) => sendInventoryNow(ctx, RPC_SEND_BUDGET) }),
};
