/**
 * ns.plug: the controller connection for LuCI (SPEC §7). Behaviour follows
 * the original python plugin (ns-api ns.plug), answers as snake_case errors.
 */
import * as z from "zod/mini";
import { cronRemove } from "../platform/services";
import { withdrawMetrics } from "../controller/metricsExporter";
import { CLIENT_CONF, REPORTS_CRON_MARKER } from "../controller/paths";
import type { JoinCode } from "../controller/index";
import { readHostname, unitName } from "../controller/unitInfo";
import { RpcdFailure, type Answer } from "./answer";
import { looseBool, looseText } from "./loose";
import { method, type PluginMethods } from "./method";
import { lastPushSent } from "./plug-status";
import {
  commitNsPlug, loadNsPlug, readConfig, readTunAddress, removeLogForwarding, SECTION, service, setTunInLan,
} from "./plug-io";

const SUCCESS: Answer = { result: "success" };
// The original's word, hyphen included (nethsec generic_error keeps it).
const RESTART_FAILED = "failed_to_restart_ns-plug";

/**
 * The controller feature's decoder; what is wrong with the code goes to the log
 * only (it holds the token). Loaded here, not at the top: its host validation
 * builds zod's IP schemas, which `status` (what LuCI polls) need not pay for.
 */
async function joinCode(text: string): Promise<JoinCode> {
  const { decodeJoinCode, JoinCodeError } = await import("../controller/index");
  try {
    return decodeJoinCode(text);
  } catch (e) {
    if (e instanceof JoinCodeError) throw new RpcdFailure("join_code_decode_failed", e.message);
    throw e;
  }
}

const status = method({
  async run(ctx) {
    const { config } = await readConfig(ctx);
    const common = {
      server: config.server ?? null,
      unit_name: await unitName(ctx, config),
      unit_id: config.unitId ?? "",
      tls_verify: config.tlsVerify,
      description: config.description ?? "",
    };
    if (!config.server) {
      return { status: "unregistered", address: null, ...common, push_status: "disabled", push_last_sent: -1 };
    }
    // No client.conf: the controller has not approved the unit yet, there is no tunnel to ask about.
    const address = (await ctx.fs.stat(CLIENT_CONF)) ? await readTunAddress(ctx) : null;
    const push = config.type !== undefined;
    // In /var: a file that is not root's (or a link) is not evidence of anything: "never sent".
    const messages = push ? await ctx.fs.readIfExists("/var/log/messages").catch(() => undefined) : undefined;
    return {
      status: address ? "connected" : "pending",
      address,
      ...common,
      push_status: push ? "enabled" : "disabled",
      push_last_sent: messages === undefined ? -1 : lastPushSent(messages, ctx.clock.now()),
    };
  },
});

const register = method({
  args: z.object({
    join_code: looseText({ required: true, max: 8192 }),
    tls_verify: z.optional(looseBool()),
    unit_name: z.optional(looseText({ max: 255 })),
    description: z.optional(looseText({ max: 1024 })),
  }),
  secrets: ["join_code"],
  async run(ctx, a) {
    const code = await joinCode(a.join_code);
    const { pkg } = await readConfig(ctx);
    pkg.set(SECTION, "unit_id", code.unitId);
    pkg.set(SECTION, "server", code.server);
    pkg.set(SECTION, "token", code.token);
    pkg.set(SECTION, "unit_name", a.unit_name || (await readHostname(ctx)));
    pkg.set(SECTION, "description", a.description ?? "");
    pkg.set(SECTION, "tls_verify", a.tls_verify === false ? "0" : "1");
    await commitNsPlug(ctx, pkg);
    await service(ctx, "ns-plug", "restart", RESTART_FAILED);
    await setTunInLan(ctx, true);
    return SUCCESS;
  },
});

const unregister = method({
  async run(ctx) {
    const { pkg } = await readConfig(ctx);
    for (const o of ["server", "unit_name", "vpn_address", "api_port"]) pkg.set(SECTION, o, "");
    await commitNsPlug(ctx, pkg);
    await removeLogForwarding(ctx);
    await ctx.fs.remove(CLIENT_CONF);
    // route-up's metrics exporter: the controller we leave must not scrape this unit any more.
    await withdrawMetrics(ctx);
    // Stop, not restart: without a server the init script refuses to start (exit 1, SPEC §6).
    await service(ctx, "ns-plug", "stop", "failed_to_stop_ns_plug");
    // The controller no longer takes reports: drop the cron job `connect` added.
    await cronRemove(ctx, REPORTS_CRON_MARKER);
    await service(ctx, "rsyslog", "restart", "failed_to_restart_rsyslog");
    await setTunInLan(ctx, false);
    return SUCCESS;
  },
});

const restart = method({
  async run(ctx) {
    await service(ctx, "ns-plug", "restart", "restart_failed");
    return SUCCESS;
  },
});

/**
 * Commit only, as the original: the controller reads the description at the
 * next route-up (push-info). A restart here dropped the tunnel every time an
 * admin saved the Controller page (issue 12).
 */
const update = method({
  args: z.object({ description: looseText({ max: 1024 }) }),
  async run(ctx, a) {
    const pkg = await loadNsPlug(ctx);
    pkg.set(SECTION, "description", a.description);
    await commitNsPlug(ctx, pkg);
    return SUCCESS;
  },
});

export const methods: PluginMethods<"ns.plug"> = { register, unregister, status, restart, update };
