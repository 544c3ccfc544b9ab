import type { Ctx } from "../platform/context";
import { readNsPlugConfig } from "../config";
import { readFeedFacts } from "../updates/release";
import { setupDistfeeds } from "../updates/distfeed";
import { parse, program } from "./cli";

/** `distfeed-setup`: write apk's repository files for this router and its subscription (SPEC §10). */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "distfeed-setup", "Write /etc/apk/repositories.d/{99-defaults,01-enterprise,distfeeds}.list.");
  if (!(await parse(cmd, args))) return 0;
  const facts = await readFeedFacts(ctx);
  const { config } = await readNsPlugConfig(ctx);
  const r = await setupDistfeeds(ctx, facts, config);
  ctx.log.debug(`distfeed-setup: ${r.subscribed ? "subscription" : "public"} repository; changed: ${r.changed.join(", ") || "nothing"}`);
  return 0;
}
