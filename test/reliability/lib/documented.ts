/** The file changes some matrix commands make by contract, as checks. */
import { parseUci } from "../../../src/platform/uci/codec";
import type { TestDir } from "../../helpers/testdir";

/** sysupgrade -k (its stand-in here) writes the package list it archives: not ours to keep out. */
export const PACKAGE_DIFF_ALLOWED = ["+ /etc/backup", "+ /etc/backup/installed_packages.txt"];

/** SPEC §3.3: after unregister, the subscription keys are gone and the feed is the public one. */
export function unregisteredOptions(dir: TestDir): string[] {
  const sec = parseUci(dir.read("/etc/config/ns-plug"), "ns-plug").find((s) => s.name === "config");
  if (!sec) return ["ns-plug.config is gone"];
  const o = Object.fromEntries(sec.options);
  const bad: string[] = [];
  for (const k of ["type", "alerts_url", "api_url", "inventory_url", "system_id", "secret"]) {
    if (o[k] !== undefined && o[k] !== "") bad.push(`unregister left ${k}`);
  }
  if (o.repository_url !== "https://updates.nethsecurity.nethserver.org/stable") bad.push(`repository_url is ${o.repository_url}`);
  if (o.backup_url !== "https://backupd.nethesis.it" || o.tls_verify !== "1") bad.push("unregister changed unrelated options");
  return bad;
}
