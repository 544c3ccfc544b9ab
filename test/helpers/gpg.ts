/** Decrypt a backup with the real gpg, as an admin would (passphrase on stdin, throwaway home). */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

export function gpgDecrypt(file: string, passphrase: string): Buffer {
  const home = `${file}.gnupg`;
  execFileSync("mkdir", ["-m", "700", home]);
  try {
    return execFileSync("gpg", ["--homedir", home, "--batch", "--no-autostart", "--passphrase-fd", "0", "-d", file], {
      input: `${passphrase}\n`,
      stdio: ["pipe", "pipe", "ignore"],
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
