/**
 * `send-inventory` (SPEC §3.4): collect, send, record the outcome in
 * /tmp/inventory-sent.json. Not registered → 0 without a request; failed → 1.
 */
import type { Ctx } from "../platform/context";
import { RemoteError } from "../platform/errors";
import { currentRegistration, ENV_HELP, sendInventoryFor } from "../portal";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "send-inventory", "Send the inventory to the subscription portal").addHelpText("after", ENV_HELP);
  if (!(await parse(cmd, args))) return 0;
  const reg = await currentRegistration(ctx);
  if (!reg) {
    ctx.log.debug("not registered: no inventory sent");
    return 0;
  }
  const err = await sendInventoryFor(ctx, reg);
  if (err) throw new RemoteError(`send-inventory: ${err}`);
  return 0;
}
