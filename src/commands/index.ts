/**
 * The command table: installed name → one-line summary and a lazy loader.
 * Loaders use dynamic import so that esbuild keeps every command's code (and
 * its dependencies: zod, undici, commander) unevaluated until it is run.
 */
import type { Ctx } from "../platform/context";

export type CommandRun = (ctx: Ctx, args: string[]) => Promise<number>;
export interface CommandSpec {
  summary: string;
  load: () => Promise<{ run: CommandRun }>;
}

export const COMMANDS: Record<string, CommandSpec> = {
  connect: {
    summary: "register with the controller and write the OpenVPN client (run by /usr/sbin/ns-plug)",
    load: () => import("./connect"),
  },
  register: {
    summary: "register <community|enterprise> <secret> [timeout]: subscribe this unit",
    load: () => import("./register"),
  },
  unregister: { summary: "release the subscription and clear its settings", load: () => import("./unregister") },
  "send-heartbeat": { summary: "tell the portal this unit is alive", load: () => import("./send-heartbeat") },
  "send-inventory": { summary: "send the inventory to the portal", load: () => import("./send-inventory") },
  inventory: { summary: "print the inventory JSON", load: () => import("./inventory") },
  "subscription-info": {
    summary: "print the portal's subscription info [timeout]",
    load: () => import("./subscription-info"),
  },
  "send-backup": {
    summary: "encrypt and upload the configuration backup when it changed",
    load: () => import("./send-backup"),
  },
  "remote-backup": {
    summary: "list | download <file> [out|-] | upload <file> | delete <file> remote backups",
    load: () => import("./remote-backup"),
  },
  "ns-plug-alert-proxy": {
    summary: "forward Alertmanager webhooks to the portal (daemon)",
    load: () => import("./alert-proxy"),
  },
  "ns-controller-push-info": {
    summary: "send unit info to the controller (OpenVPN route-up)",
    load: () => import("./push-info"),
  },
  "ns-controller-telegraf-down": {
    summary: "remove the controller's telegraf output (OpenVPN down)",
    load: () => import("./telegraf-down"),
  },
  "ns-push-reports": { summary: "send reports to the controller", load: () => import("./push-reports") },
  "distfeed-setup": { summary: "write apk's repository files (feeds, channel, subscription)", load: () => import("./distfeed-setup") },
  "update-packages": { summary: "apk update, then upgrade every package (log: update-packages)", load: () => import("./update-packages") },
  "ns-download": { summary: "[-f] [-l] download and verify the system image; print its path", load: () => import("./ns-download") },
  schedule: {
    summary: "schedule the portal jobs at this unit's cron offsets (run by 20_ns-plug)",
    load: () => import("./schedule"),
  },
  "ns.plug": { summary: "rpcd plugin: controller connection for LuCI", load: () => import("./rpcd-plug") },
  "ns.subscription": {
    summary: "rpcd plugin: subscription for LuCI",
    load: () => import("./rpcd-subscription"),
  },
  "ns.backup": { summary: "rpcd plugin: backups for LuCI", load: () => import("./rpcd-backup") },
  don: { summary: "start|stop|status|extend|expire [-j]: remote support session", load: () => import("./don") },
  "ns.don": { summary: "rpcd plugin: remote support sessions for LuCI", load: () => import("./rpcd-don") },
};

export function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`);
  return [
    "Usage: ns-plug.js <command> [args…]   (or call it through a link named after the command)",
    "",
    "Commands:",
    ...lines,
    "",
    "Run '<command> --help' for a command's options.",
    "",
  ].join("\n");
}
