/**
 * Lay out a test root the way the package installs the controller client
 * (SPEC §1): the bundle at /usr/libexec/ns-plug/ns-plug.js, the sh wrapper
 * /usr/sbin/ns-plug, and the OpenVPN hook links. The wrapper and the bundle
 * both honour NS_PLUG_ROOT, so running <root>/usr/sbin/ns-plug with it set
 * is the installed program against this root.
 */
import { copyFileSync, chmodSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE, REPO } from "../helpers/bundle";
import type { TestDir } from "../helpers/testdir";

export const WRAPPER_SRC = join(REPO, "files", "usr", "sbin", "ns-plug");
export const INIT_SRC = join(REPO, "init.d", "ns-plug");

function link(dir: TestDir, at: string): void {
  const p = dir.path(at);
  mkdirSync(dirname(p), { recursive: true });
  if (!existsSync(p)) symlinkSync(BUNDLE, p);
}

export function installUnitFiles(dir: TestDir): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npm run build' (test/run.mjs does)`);
  link(dir, "/usr/libexec/ns-plug/ns-plug.js");
  for (const name of ["ns-controller-push-info", "ns-controller-telegraf-down", "ns-push-reports"]) link(dir, `/usr/sbin/${name}`);
  const wrapper = dir.path("/usr/sbin/ns-plug");
  mkdirSync(dirname(wrapper), { recursive: true });
  copyFileSync(WRAPPER_SRC, wrapper);
  chmodSync(wrapper, 0o755);
}
