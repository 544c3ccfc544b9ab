import type { Ctx } from "../platform/context";
import { parse, program } from "./cli";

/** `ns-plug.js connect`: SPEC §3.1 steps 1–5; /usr/sbin/ns-plug then execs OpenVPN. */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "connect", "Register with the NethSecurity controller (waiting for approval) and write the OpenVPN client config.")
    .addHelpText(
      "after",
      "\nExit status: 0 registered (client.conf written), 1 server missing, 2 unit_id missing,\n" +
        "3 token missing, 4 duplicate unit (rpcd.controller removed), 5 controller failing 5 times in a row.\n" +
        "Run by /usr/sbin/ns-plug, which then execs openvpn --config /usr/share/ns-plug/client.conf.\n",
    );
  if (!(await parse(cmd, args))) return 0;
  const { connectController } = await import("../controller/connect");
  return connectController(ctx);
}
