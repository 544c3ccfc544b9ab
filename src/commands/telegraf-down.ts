import type { Ctx } from "../platform/context";
import { parse, program } from "./cli";

/** `ns-controller-telegraf-down`: OpenVPN down hook: stop exporting metrics to a controller we left. */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "ns-controller-telegraf-down", "Remove the controller's telegraf output (OpenVPN down).")
    .allowExcessArguments(true)
    .allowUnknownOption(true);
  if (!(await parse(cmd, args))) return 0;
  const { withdrawMetrics } = await import("../controller/metricsExporter");
  await withdrawMetrics(ctx);
  return 0;
}
