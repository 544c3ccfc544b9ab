/**
 * Symmetric OpenPGP encryption with the real gpg. The passphrase reaches gpg
 * through a pipe on fd 3 (--passphrase-fd 3), never argv or the environment
 * (the original passed --passphrase on the command line, visible in ps).
 *
 * The router's gpg is OpenWrt's `gnupg` package, GnuPG 1.4.23 (SPEC §3.5):
 * only options it accepts are used. It refuses gpg2-only ones such as
 * --no-autostart (`gpg: Invalid option`, exit 2), and it has no agent: with a
 * throwaway --homedir inside the workspace nothing caches the passphrase and
 * nothing outlives the command. (A gpg 2 put there by hand starts an agent in
 * that home, which exits once the home is removed.)
 *
 * 1.4's default cipher is CAST5: we ask for AES256, with an MDC, and the
 * OpenPGP maximum S2K iteration count (65011712) over SHA-512, the hardest to
 * brute-force for a file kept on a remote server. gpg 2 on an admin's desktop
 * decrypts it, and what gpg 2 writes with a passphrase decrypts here.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import { BackupError } from "./errors";

export const S2K_COUNT = "65011712";
const TIMEOUT_MS = 10 * 60_000;

function common(home: string): string[] {
  return ["--homedir", home, "--batch", "--yes", "--no-tty", "--passphrase-fd", "3"];
}

/** Pure: argv of the encryption (real paths). */
export function encryptArgs(home: string, input: string, output: string): string[] {
  return [
    ...common(home),
    ...["--cipher-algo", "AES256", "--force-mdc", "--s2k-digest-algo", "SHA512", "--s2k-count", S2K_COUNT],
    ...["--symmetric", "--output", output, input],
  ];
}

/** Pure: argv of the decryption (real paths). */
export function decryptArgs(home: string, input: string, output: string): string[] {
  return [...common(home), "--output", output, "--decrypt", input];
}

interface GpgOpts {
  /** Router path of a private directory for gpg's home (created here, mode 0700). */
  home: string;
  signal?: AbortSignal;
  track?: <T>(p: Promise<T>) => Promise<T>;
}

async function gpg(ctx: Ctx, args: string[], passphrase: string, opts: GpgOpts) {
  await ctx.fs.mkdirp(opts.home, 0o700);
  await ctx.fs.chmod(opts.home, 0o700);
  const run = ctx.exec("gpg", args, { fds: [`${passphrase}\n`], timeoutMs: TIMEOUT_MS, signal: opts.signal });
  return opts.track ? opts.track(run) : run;
}

function lastLine(s: string): string {
  return s.trim().split("\n").pop() ?? "";
}

/** Encrypt router path `input` into `output`. */
export async function encryptFile(ctx: Ctx, input: string, output: string, passphrase: string, opts: GpgOpts) {
  let r;
  try {
    r = await gpg(ctx, encryptArgs(ctx.path(opts.home), ctx.path(input), ctx.path(output)), passphrase, opts);
  } catch (e) {
    throw new BackupError("encryption_failed", `encrypt backup: gpg: ${errorMessage(e)}`);
  }
  if (r.code !== 0) {
    await ctx.fs.remove(output);
    throw new BackupError("encryption_failed", `encrypt backup: gpg failed (${r.code ?? r.signal}): ${lastLine(r.stderr)}`);
  }
}

/** Decrypt router path `input` into `output`; a wrong passphrase is `decryption_failed`. */
export async function decryptFile(ctx: Ctx, input: string, output: string, passphrase: string, opts: GpgOpts) {
  let r;
  try {
    r = await gpg(ctx, decryptArgs(ctx.path(opts.home), ctx.path(input), ctx.path(output)), passphrase, opts);
  } catch (e) {
    throw new BackupError("decryption_failed", `decrypt backup: gpg: ${errorMessage(e)}`);
  }
  if (r.code !== 0) {
    await ctx.fs.remove(output);
    const msg = lastLine(r.stderr);
    const bad = /bad session key|bad passphrase|decryption failed/i.test(msg);
    throw new BackupError(
      "decryption_failed",
      `decrypt backup: ${bad ? "wrong passphrase or damaged file" : "gpg failed"} (${msg || r.code})`,
    );
  }
}
