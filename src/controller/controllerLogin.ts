/**
 * The LuCI login the controller uses to manage this unit through the tunnel:
 * section `controller` of /etc/config/rpcd (type `login`, lists read/write
 * `*`). rpcd re-reads this file at every login, so no reload is needed.
 */
import type { Ctx } from "../platform/context";
import { randomHex } from "../platform/crypt";
import { commitPackage, loadPackage } from "../platform/uci/store";

const RPCD = "rpcd";
const SECTION = "controller";
/** /etc/config/rpcd holds password hashes: a new file is private. */
const MODE = { defaultMode: 0o600 };

function setLogin(pkg: Awaited<ReturnType<typeof loadPackage>>, username: string): void {
  pkg.setSection(SECTION, "login");
  pkg.set(SECTION, "username", username);
  pkg.set(SECTION, "read", ["*"]);
  pkg.set(SECTION, "write", ["*"]);
}

/** Create `rpcd.controller` when missing (random 24-hex username); return the username. */
export async function ensureControllerLogin(ctx: Ctx): Promise<string> {
  const pkg = await loadPackage(ctx.fs, RPCD);
  const current = pkg.get(SECTION, "username");
  if (pkg.section(SECTION) && typeof current === "string" && current !== "") return current;
  const username = randomHex(12);
  setLogin(pkg, username);
  await commitPackage(ctx.fs, pkg, MODE);
  ctx.log.info("created the controller's login rpcd.controller");
  return username;
}

/** Store the crypt(3) hash of the password just registered. */
export async function setControllerPassword(ctx: Ctx, username: string, hash: string): Promise<void> {
  const pkg = await loadPackage(ctx.fs, RPCD);
  // Removed while we waited for approval (e.g. by hand): recreate what the controller now knows.
  if (!pkg.section(SECTION) || pkg.get(SECTION, "username") !== username) setLogin(pkg, username);
  pkg.set(SECTION, "password", hash);
  await commitPackage(ctx.fs, pkg, MODE);
}

/** 409 from the controller: this login belongs to nobody any more. */
export async function deleteControllerLogin(ctx: Ctx): Promise<void> {
  const pkg = await loadPackage(ctx.fs, RPCD);
  if (!pkg.section(SECTION)) return;
  pkg.deleteSection(SECTION);
  await commitPackage(ctx.fs, pkg, MODE);
}
