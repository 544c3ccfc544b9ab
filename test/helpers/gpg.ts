/**
 * Decrypt a backup with the real gpg 2 of an admin's desktop (passphrase on
 * stdin, throwaway home). By absolute path: tests put the router's gpg
 * (GnuPG 1.4.23) first in PATH as `gpg`.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

export const DESKTOP_GPG = "/usr/bin/gpg";

export function gpgDecrypt(file: string, passphrase: string): Buffer {
  const home = `${file}.gnupg`;
  execFileSync("mkdir", ["-m", "700", home]);
  try {
    return execFileSync(DESKTOP_GPG, ["--homedir", home, "--batch", "--no-autostart", "--passphrase-fd", "0", "-d", file], {
      input: `${passphrase}\n`,
      stdio: ["pipe", "pipe", "ignore"],
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
