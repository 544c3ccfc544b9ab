/**
 * ns-plug-alert-proxy (SPEC §3.6): the daemon procd runs. It returns 0 after
 * SIGTERM/SIGINT once pending deliveries were tried for up to 5 s; main.ts
 * exits with that code. SIGHUP (procd reload) re-reads /etc/config/ns-plug.
 */
import type { Ctx } from "../platform/context";
import { UsageError } from "../platform/errors";
import { parse, program } from "./cli";
import { startAlertProxy } from "../alerts/proxy";

export const DEFAULT_LISTEN = "127.0.0.1:9095";
const STOP_GRACE_MS = 5_000;

/** "host:port", "[v6]:port" → parts; port 0 picks a free one. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`ns-plug-alert-proxy: --listen: expected host:port, got '${text}'`);
  return { host: m[1] ?? m[2]!, port };
}

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "ns-plug-alert-proxy", "Forward Alertmanager webhooks to the portal as legacy alerts (daemon).")
    .option("--listen <host:port>", "address to listen on", DEFAULT_LISTEN);
  if (!(await parse(cmd, args))) return 0;
  const listen = parseListen(cmd.opts<{ listen: string }>().listen);

  // Installed before anything can take time, so no signal meets the default action (death).
  let stopRequested!: () => void;
  const stopped = new Promise<void>((r) => (stopRequested = r));
  let reload = () => {};
  const unsubscribe = [
    ctx.onSignal("SIGTERM", () => stopRequested()),
    ctx.onSignal("SIGINT", () => stopRequested()),
    ctx.onSignal("SIGHUP", () => reload()),
  ];
  try {
    const proxy = await startAlertProxy(ctx, listen);
    reload = () => proxy.reloadConfig();
    const where = proxy.host.includes(":") ? `[${proxy.host}]:${proxy.port}` : `${proxy.host}:${proxy.port}`;
    ctx.print(`ns-plug-alert-proxy: listening on ${where}\n`);
    await stopped;
    ctx.log.info("stopping: delivering what is pending (5 s at most)");
    await proxy.stop(STOP_GRACE_MS);
    return 0;
  } finally {
    for (const u of unsubscribe) u();
  }
}
