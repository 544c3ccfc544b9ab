/**
 * /etc/backup.pass: the passphrase of the backup encryption, mode 0600.
 * What counts is its first line without the newline — exactly what
 * `gpg --passphrase-file /etc/backup.pass` uses, so the documented restore
 * pipeline decrypts what we encrypted.
 */
import type { Ctx } from "../platform/context";
import { redact } from "../platform/log";
import { BackupError } from "./errors";
import { PASS_FILE } from "./paths";

/** Pure: the passphrase held by the file's text, undefined when empty. */
export function passphraseOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const first = text.split("\n")[0]!;
  return first === "" ? undefined : first;
}

/** Pure: why a passphrase can't be stored, or undefined when it can. */
export function passphraseProblem(p: string): string | undefined {
  // A newline would split it: gpg reads only the first line of the file.
  if (/[\n\r\0]/.test(p)) return "must be one line without control characters";
  if (p.length > 1024) return "too long (max 1024 characters)";
  return undefined;
}

export async function readPassphrase(ctx: Ctx): Promise<string | undefined> {
  const p = passphraseOf(await ctx.fs.readIfExists(PASS_FILE));
  redact.add(p);
  return p;
}

export async function isPassphraseSet(ctx: Ctx): Promise<boolean> {
  return (await readPassphrase(ctx)) !== undefined;
}

/** Store the passphrase (mode 0600, atomic); an empty one removes the file. */
export async function setPassphrase(ctx: Ctx, passphrase: string): Promise<void> {
  if (passphrase === "") {
    await ctx.fs.remove(PASS_FILE);
    return;
  }
  const problem = passphraseProblem(passphrase);
  if (problem) throw new BackupError("invalid_passphrase", `set passphrase: the passphrase ${problem}`);
  redact.add(passphrase);
  await ctx.fs.writeAtomic(PASS_FILE, passphrase, { mode: 0o600 });
}
