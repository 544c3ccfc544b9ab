/**
 * The fault matrix's test roots: an unregistered unit, a unit registered
 * with a portal, a registered unit with backups to make, a unit joined to a
 * controller. Every remote URL is the chaos server's (or a closed port).
 */
import { chmodSync } from "node:fs";
import { testdir, type TestDir } from "../../helpers/testdir";
import { installSysupgrade } from "../../servers/backupd";

export const SYSTEM_ID = "11111111-2222-4333-8444-555555555555";
export const SECRET = "Matrix-Secret-7a9c1e";
export const PASSPHRASE = "matrix passphrase 42";
export const TOKEN = "Matrix-Token-0b3d5f";
export const UNIT_ID = "6e0f2a58-0c4c-4b7e-9f0a-2b9c1d3e4f50";

const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

function config(opts: Record<string, string>): string {
  const lines = ["", "config main 'config'"];
  for (const [k, v] of Object.entries(opts)) lines.push(`\toption ${k} ${q(v)}`);
  return `${lines.join("\n")}\n`;
}

const BASE = {
  tls_verify: "1",
  repository_url: "https://updates.nethsecurity.nethserver.org/stable",
  alert_proxy_loglevel: "warning",
};

/** An unregistered router root (register starts from here). */
export function unregisteredRoot(backupUrl = "https://backupd.nethesis.it"): TestDir {
  const dir = testdir({
    "/etc/config/ns-plug": { content: config({ ...BASE, backup_url: backupUrl }), mode: 0o600 },
    "/etc/repo-channel": "stable\n",
  });
  dir.standin("/sbin/hotplug-call");
  return dir;
}

/** A root registered with `type` whose every portal URL is `portal`. */
export function portalRoot(type: "enterprise" | "community", portal: string, backupUrl = "https://backupd.nethesis.it"): TestDir {
  const urls =
    type === "enterprise"
      ? { api_url: `${portal}/api/`, alerts_url: `${portal}/isa/`, inventory_url: `${portal}/isa/inventory/store/` }
      : { api_url: `${portal}/api/`, alerts_url: `${portal}/api/machine/`, inventory_url: `${portal}/api/machine/inventories/store/` };
  const dir = testdir({
    "/etc/config/ns-plug": {
      content: config({ ...BASE, backup_url: backupUrl, type, system_id: SYSTEM_ID, secret: SECRET, ...urls }),
      mode: 0o600,
    },
    "/etc/repo-channel": "stable\n",
    "/tmp/inventory-sent.json": '{"status":"success","last_attempt":"2024-01-01T00:00:00+00:00"}\n',
  });
  dir.standin("/sbin/hotplug-call");
  return dir;
}

/** A registered (community) root whose backup_url is `backupd`, with a passphrase and something to back up. */
export function backupRoot(backupd: string): TestDir {
  const dir = portalRoot("community", "http://127.0.0.1:9", backupd);
  dir.write("/etc/backup.pass", PASSPHRASE, 0o600);
  dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption proto 'static'\n");
  dir.write("/lib/upgrade/keep.d/ns-plug", "/etc/backup.pass\n");
  dir.write("/etc/backup.md5", "0123456789abcdef0123456789abcdef\n", 0o600);
  dir.write("/var/backup/.keep", "");
  chmodSync(dir.path("/var/backup"), 0o700); // private, as send-backup makes it (docs/security.md)
  dir.write("/root/upload-me.tar.gz.gpg", "not really encrypted, but bytes to upload\n".repeat(50));
  installSysupgrade(dir.bin);
  return dir;
}

/** A unit joined to a controller at `server` (login rpcd.controller already there, boot delay done). */
export function controllerRoot(server: string): TestDir {
  return testdir({
    "/etc/config/ns-plug": {
      content: config({ ...BASE, server, unit_id: UNIT_ID, token: TOKEN, backup_url: "https://backupd.nethesis.it" }),
      mode: 0o600,
    },
    "/etc/config/rpcd": {
      content: "\nconfig login 'controller'\n\toption username '0123456789abcdef01234567'\n\tlist read '*'\n\tlist write '*'\n",
      mode: 0o600,
    },
    "/etc/os-release": 'NAME="NethSecurity"\nVERSION_ID="8-23.05.5-ns.1.6.0"\n',
    "/proc/sys/kernel/hostname": "fw-matrix.example\n",
    "/var/run/ns-plug.booted": "",
  });
}

