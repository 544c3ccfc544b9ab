import type { Ctx } from "../platform/context";
import { NotImplementedError } from "../platform/errors";

// Placeholder until its issue lands: says so and exits 70.
export async function run(_ctx: Ctx, _args: string[]): Promise<number> {
  throw new NotImplementedError("send-backup");
}
