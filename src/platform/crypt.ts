/**
 * crypt(3) hashes computed in-process, so a password never reaches another
 * process's argv (the original ran `uhttpd -m <password>`). rpcd checks a
 * login with musl's crypt(), which understands both formats made here:
 *   $1$<salt>$<hash>  MD5-crypt (what `uhttpd -m` prints), salt ≤ 8 chars
 *   $6$<salt>$<hash>  SHA-512-crypt, 5000 rounds (the default, no "rounds=")
 * Both follow the reference algorithms (phk's md5crypt, Drepper's SHA-crypt)
 * and are checked against `openssl passwd -1` / `-6` in the tests.
 * Also: random hex strings and salts from the system CSPRNG.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `n` random bytes as 2n lowercase hex characters. */
export function randomHex(nBytes: number): string {
  return randomBytes(nBytes).toString("hex");
}

/** A random version-4 UUID from the system CSPRNG (a support session id). */
export function randomUuid(): string {
  return randomUUID();
}

/** A random crypt salt of `length` characters from [./0-9A-Za-z] (64 symbols: `byte & 63` is uniform). */
export function randomSalt(length: number): string {
  return [...randomBytes(length)].map((b) => ITOA64[b & 63]).join("");
}

function to64(value: number, n: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < n; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

function checkSalt(salt: string, max: number): string {
  // A '$' or ':' would break the hash format (and /etc/shadow-like parsers).
  if (/[$:\n]/.test(salt)) throw new Error("internal: crypt salt must not contain '$', ':' or a newline");
  return salt.slice(0, max);
}

/** MD5-crypt, `$1$`. */
export function md5Crypt(password: string, salt: string): string {
  const pw = Buffer.from(password, "utf8");
  const s = Buffer.from(checkSalt(salt, 8), "utf8");
  const md5 = () => createHash("md5");
  let final = md5().update(pw).update(s).update(pw).digest();
  const ctx = md5().update(pw).update("$1$").update(s);
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(final.subarray(0, Math.min(pl, 16)));
  // The reference zeroes `final` here, so "final[0]" below is always a NUL byte.
  for (let i = pw.length; i; i >>>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = md5();
    c.update(i & 1 ? pw : final);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? final : pw);
    final = c.digest();
  }
  const f = final;
  let out = "";
  for (const [a, b, c] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const) {
    out += to64((f[a]! << 16) | (f[b]! << 8) | f[c]!, 4);
  }
  out += to64(f[11]!, 2);
  return `$1$${s.toString("utf8")}$${out}`;
}

/** `length` bytes made of `block` repeated (Drepper's P and S sequences). */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

/** SHA-512-crypt, `$6$`, default 5000 rounds. */
export function sha512Crypt(password: string, salt: string): string {
  const rounds = 5000;
  const p = Buffer.from(password, "utf8");
  const s = Buffer.from(checkSalt(salt, 16), "utf8");
  const sha = () => createHash("sha512");
  const b = sha().update(p).update(s).update(p).digest();
  const actx = sha().update(p).update(s);
  let pl = p.length;
  for (; pl > 64; pl -= 64) actx.update(b);
  actx.update(b.subarray(0, pl));
  for (let i = p.length; i > 0; i >>>= 1) actx.update(i & 1 ? b : p);
  const a = actx.digest();

  const dp = sha();
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pSeq = repeatTo(dp.digest(), p.length);
  const ds = sha();
  for (let i = 0; i < 16 + a[0]!; i++) ds.update(s);
  const sSeq = repeatTo(ds.digest(), s.length);

  let c = a;
  for (let i = 0; i < rounds; i++) {
    const h = sha();
    h.update(i & 1 ? pSeq : c);
    if (i % 3) h.update(sSeq);
    if (i % 7) h.update(pSeq);
    h.update(i & 1 ? c : pSeq);
    c = h.digest();
  }
  let out = "";
  for (let k = 0; k < 21; k++) {
    const t = [k, k + 21, k + 42];
    // Drepper's byte order rotates by one position every group.
    const [x, y, z] = k % 3 === 0 ? t : k % 3 === 1 ? [t[1]!, t[2]!, t[0]!] : [t[2]!, t[0]!, t[1]!];
    out += to64((c[x!]! << 16) | (c[y!]! << 8) | c[z!]!, 4);
  }
  out += to64(c[63]!, 2);
  return `$6$${s.toString("utf8")}$${out}`;
}

/** The hash stored for rpcd: SHA-512-crypt with a fresh 16-character salt. */
export function hashPassword(password: string): string {
  return sha512Crypt(password, randomSalt(16));
}

/** Check `password` against a `$1$` or `$6$` hash (what rpcd does with crypt()). */
export function verifyPassword(password: string, hash: string): boolean {
  const m = /^\$([16])\$([^$]*)\$/.exec(hash);
  if (!m) return false;
  return (m[1] === "1" ? md5Crypt(password, m[2]!) : sha512Crypt(password, m[2]!)) === hash;
}
