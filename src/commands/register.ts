/**
 * `register <community|enterprise> <secret> [timeout=180]` (SPEC §3.2).
 * Exit codes as the original script: 0 registered and heartbeat taken;
 * 1 for everything else, including a bad or missing type/secret (the
 * original printed its usage and exited 1, and LuCI relies on 0/non-0 only).
 */
import type { Ctx } from "../platform/context";
import { NsPlugError, RemoteError, UsageError } from "../platform/errors";
import { ENV_HELP, isPortalType, registerUnit } from "../portal";
import { parse, program } from "./cli";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  let type = "";
  let secret = "";
  let timeout: string | undefined;
  const cmd = program(ctx, "register", "Register this unit with a subscription portal, then send inventory and heartbeat")
    .argument("<type>", "community or enterprise")
    .argument("<secret>", "the system secret shown by the portal")
    .argument("[timeout]", "seconds to wait for the portal's lookup", "180")
    .addHelpText("after", ENV_HELP)
    .action((t: string, s: string, to: string) => {
      type = t;
      secret = s;
      timeout = to;
    });
  try {
    if (!(await parse(cmd, args))) return 0;
  } catch (e) {
    // The original exits 1 on a usage error; keep it (the message never contains the arguments).
    // An "unknown option" may be a secret starting with '-': its text is not repeated.
    if (e instanceof UsageError) throw new NsPlugError(1, e.message.replace(/(unknown option) '[^']*'/, "$1"));
    throw e;
  }
  if (!isPortalType(type)) throw new NsPlugError(1, "register: invalid type: expected community or enterprise");
  if (!/^[1-9][0-9]{0,5}$/.test(timeout ?? "")) throw new NsPlugError(1, "register: invalid timeout: expected seconds");
  const out = await registerUnit(ctx, type, secret, { timeoutMs: Number(timeout) * 1000 });
  if (out.heartbeatError) {
    throw new RemoteError(`register: registered as ${out.systemId}, but the heartbeat failed: ${out.heartbeatError}`);
  }
  return 0;
}
