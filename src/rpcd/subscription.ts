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

const register = method({
  // The portal feature's rules (checkSecret): one line, no control characters, at most 1024.
  args: z.object({ secret: looseText({ required: true, max: 1024 }) }),
  secrets: ["secret"],
  async run(ctx, a) {
    const r = await registerAnyPortal(ctx, a.secret, PORTAL_TIMEOUT_MS);
    return "error" in r ? r : { result: "success" };
  },
});

export const methods: PluginMethods<"ns.subscription"> = {
  register,
  unregister: method({ run: (ctx) => unregisterForRpc(ctx) }),
  info: method({ run: (ctx) => subscriptionSummary(ctx, PORTAL_TIMEOUT_MS) }),
  "inventory-status": method({ run: async (ctx) => ({ ...(await inventoryStatus(ctx)) }) }),
  "send-inventory": method({ run: (ctx) => sendInventoryNow(ctx) }),
};
