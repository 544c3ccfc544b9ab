/**
 * `subscription-info [timeout=20]` (SPEC §3.4): the portal's info JSON for
 * this unit; `{"uuid": ""}` when not registered. A refused secret or a
 * failing portal → 1.
 */
import type { Ctx } from "../platform/context";
import { NsPlugError } from "../platform/errors";
import { ENV_HELP, fetchSubscriptionInfo } from "../portal";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  let timeout = "20";
  const cmd = program(ctx, "subscription-info", "Print the subscription portal's info about this unit")
    .argument("[timeout]", "seconds to wait for the portal", "20")
    .addHelpText("after", ENV_HELP)
    .action((t: string) => {
      timeout = t;
    });
  if (!(await parse(cmd, args))) return 0;
  if (!/^[1-9][0-9]{0,5}$/.test(timeout)) throw new NsPlugError(2, "subscription-info: invalid timeout: expected seconds");
  const got = await fetchSubscriptionInfo(ctx, Number(timeout) * 1000);
  ctx.print(JSON.stringify(got ? got.raw : { uuid: "" }) + "\n");
  return 0;
}
