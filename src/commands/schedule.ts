import type { Ctx } from "../platform/context";
import { parse, program } from "./cli";

/**
 * `ns-plug.js schedule`: add the portal jobs' cron lines at this unit's
 * offsets and migrate the original's lines once (run by 20_ns-plug, SPEC §6).
 */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "schedule", "Schedule send-heartbeat, send-inventory and send-backup in root's crontab at this unit's offsets.")
    .option("--print", "print this unit's cron line of every job; change nothing")
    .addHelpText(
      "after",
      "\nLines left by the original package (or earlier releases) are rewritten once; a job that\n" +
        "any line mentions, commented out (HA) or not, is never added again. Run by /etc/uci-defaults/20_ns-plug.\n" +
        "Exit status: 0 done, 1 the crontab could not be written.\n",
    );
  if (!(await parse(cmd, args))) return 0;
  const schedule = await import("../schedule/index");
  if (cmd.opts<{ print?: boolean }>().print) {
    const key = await schedule.readUnitKey(ctx);
    for (const id of Object.keys(schedule.JOBS) as Array<keyof typeof schedule.JOBS>) ctx.print(`${schedule.cronLine(key, id)}\n`);
    return 0;
  }
  await schedule.ensureSchedule(ctx, ["backup", "heartbeat", "inventory"]);
  return 0;
}
