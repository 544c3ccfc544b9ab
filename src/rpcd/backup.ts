/**
 * ns.backup: local and remote backups for LuCI (SPEC §7).
 */
import { looseText } from "./loose";
import { z } from "../platform/schema";
import { RpcdFailure } from "./answer";
import { method, notImplemented, type PluginMethods } from "./method";

/** The passphrase send-backup encrypts with (SPEC §1); kept by sysupgrade. */
export const PASSPHRASE_FILE = "/etc/backup.pass";

const setPassphrase = method({
  // Anything but NUL: gpg reads the first line of the file, so no newline either.
  args: z.object({ passphrase: looseText({ controls: true, max: 1024, pattern: [/^[^\n\r]*$/, "invalid_characters"] }) }),
  secrets: ["passphrase"],
  async run(ctx, a) {
    try {
      if (a.passphrase === "") await ctx.fs.remove(PASSPHRASE_FILE);
      else await ctx.fs.writeAtomic(PASSPHRASE_FILE, a.passphrase, { mode: 0o600 });
    } catch (e) {
      throw new RpcdFailure("passphrase_write_failed", e instanceof Error ? e.message : String(e));
    }
    return { message: "success" };
  },
});

const isPassphraseSet = method({
  async run(ctx) {
    const st = await ctx.fs.stat(PASSPHRASE_FILE);
    return { values: { set: st !== undefined && st.size > 0 } };
  },
});

export const methods: PluginMethods<"ns.backup"> = {
  backup: notImplemented,
  restore: notImplemented,
  "set-passphrase": setPassphrase,
  "is-passphrase-set": isPassphraseSet,
  "registered-list-backups": notImplemented,
  "registered-backup": notImplemented,
  "registered-restore": notImplemented,
  "registered-download-backup": notImplemented,
  "registered-delete-backup": notImplemented,
};
