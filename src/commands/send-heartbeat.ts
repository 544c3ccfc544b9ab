/** `send-heartbeat` (SPEC §3.4): not registered → 0 without a request; portal failed → 1. */
import type { Ctx } from "../platform/context";
import { RemoteError } from "../platform/errors";
import { currentRegistration, ENV_HELP, sendHeartbeatFor } from "../portal";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "send-heartbeat", "Tell the subscription portal this unit is alive").addHelpText("after", ENV_HELP);
  if (!(await parse(cmd, args))) return 0;
  const reg = await currentRegistration(ctx);
  if (!reg) {
    ctx.log.debug("not registered: no heartbeat");
    return 0;
  }
  const err = await sendHeartbeatFor(ctx, reg);
  if (err) throw new RemoteError(`send-heartbeat: ${err}`);
  return 0;
}
