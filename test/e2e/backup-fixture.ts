/**
 * Shared set-up for the backup end-to-end tests: a registered test root
 * (ns-plug config pointing at a loopback backupd), a passphrase, some
 * configuration to back up, and the sysupgrade stand-in in PATH.
 */
import { testdir, type TestDir } from "../helpers/testdir";
import { installSysupgrade, startBackupd, type Backupd, type BackupdOptions } from "../servers/backupd";

export const SYSTEM_ID = "4a1f0c1e-8d4b-4a57-9d2e-b5c0a8f0e001";
export const SECRET = "s3cr3t-Backup-Token-7f9e";
export const PASSPHRASE = "correct horse battery staple";

export interface Fixture {
  dir: TestDir;
  backupd: Backupd;
  cleanup(): Promise<void>;
}

export function nsPlugConfig(o: { type?: string; backupUrl?: string; systemId?: string; secret?: string }): string {
  const lines = ["", "config main 'config'"];
  const opt = (k: string, v: string | undefined) => v !== undefined && lines.push(`\toption ${k} '${v}'`);
  opt("type", o.type);
  opt("system_id", o.systemId);
  opt("secret", o.secret);
  opt("backup_url", o.backupUrl);
  return `${lines.join("\n")}\n`;
}

export async function registeredRoot(
  opts: { type?: "enterprise" | "community"; passphrase?: string | null; redirect?: boolean; backupd?: BackupdOptions } = {},
): Promise<Fixture> {
  const backupd = await startBackupd({ systemId: SYSTEM_ID, secret: SECRET, ...opts.backupd });
  const dir = testdir({
    "/etc/config/ns-plug": nsPlugConfig({
      type: opts.type ?? "community",
      systemId: SYSTEM_ID,
      secret: SECRET,
      backupUrl: opts.redirect ? backupd.redirectUrl : backupd.url,
    }),
    "/etc/config/network": "\nconfig interface 'lan'\n\toption proto 'static'\n\toption ipaddr '192.168.1.1'\n",
    "/etc/config/firewall": "\nconfig defaults\n\toption input 'ACCEPT'\n",
    "/etc/sysupgrade.conf": "/etc/ssl/private\n",
    "/etc/ssl/private/site.key": { content: "-----BEGIN KEY-----\nabc\n-----END KEY-----\n", mode: 0o600 },
    "/lib/upgrade/keep.d/ns-plug": "/etc/backup.pass\n",
  });
  if (opts.passphrase !== null) dir.write("/etc/backup.pass", opts.passphrase ?? PASSPHRASE, 0o600);
  installSysupgrade(dir.bin);
  return {
    dir,
    backupd,
    async cleanup() {
      await backupd.close();
      dir.cleanup();
    },
  };
}
