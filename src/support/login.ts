/**
 * The web UI login support uses through the tunnel: rpcd.ns_don (type
 * login), username nethsupport, the session id as a crypt(3) hash, all
 * permissions. rpcd re-reads /etc/config/rpcd at every login.
 */
import type { Ctx } from "../platform/context";
import { hashPassword } from "../platform/crypt";
import { commitPackage, loadPackage } from "../platform/uci/store";
import { RPCD_SECTION, SUPPORT_USER } from "./paths";

const MODE = { defaultMode: 0o600 };

export async function addSupportLogin(ctx: Ctx, sessionId: string): Promise<void> {
  const pkg = await loadPackage(ctx.fs, "rpcd");
  if (pkg.section(RPCD_SECTION)) pkg.deleteSection(RPCD_SECTION); // a leftover: start from a clean section
  pkg.setSection(RPCD_SECTION, "login");
  pkg.set(RPCD_SECTION, "username", SUPPORT_USER);
  pkg.set(RPCD_SECTION, "password", hashPassword(sessionId));
  pkg.set(RPCD_SECTION, "read", ["*"]);
  pkg.set(RPCD_SECTION, "write", ["*"]);
  await commitPackage(ctx.fs, pkg, MODE);
  // The hash of the session id is in it: private, whatever mode the file had.
  await ctx.fs.chmod("/etc/config/rpcd", 0o600);
}

export async function removeSupportLogin(ctx: Ctx): Promise<void> {
  const pkg = await loadPackage(ctx.fs, "rpcd");
  if (!pkg.section(RPCD_SECTION)) return;
  pkg.deleteSection(RPCD_SECTION);
  await commitPackage(ctx.fs, pkg, MODE);
}
