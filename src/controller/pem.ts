/**
 * Reduce an untrusted certificate/key text to its PEM blocks (SPEC §4).
 * easy-rsa's issued certificates start with an `openssl x509 -text` dump
 * ("Certificate:\n    Data: …") before the PEM; that text is dropped. What
 * is kept is rebuilt from validated pieces only: BEGIN/END lines with a
 * known label and base64 lines, so nothing else from the network can reach
 * the OpenVPN config (e.g. a `</ca>` or an `up /bin/sh` line).
 */

export type PemKind = "certificates" | "key";

const LABELS: Record<PemKind, ReadonlySet<string>> = {
  certificates: new Set(["CERTIFICATE"]),
  key: new Set(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]),
};
/** Longest accepted field: a CA chain of a few certificates fits easily. */
export const MAX_PEM_CHARS = 64 * 1024;
const MAX_BLOCKS = 8;
const B64_LINE = /^[A-Za-z0-9+/]{1,128}={0,2}$/;
const BEGIN = /^-----BEGIN ([A-Z0-9 ]{1,40})-----$/;

export type PemResult = { ok: true; pem: string } | { ok: false; why: string };

/** Pure: the PEM blocks of `text` (text outside blocks dropped), or why it is refused. */
export function extractPem(text: string, kind: PemKind): PemResult {
  if (text.length > MAX_PEM_CHARS) return { ok: false, why: `longer than ${MAX_PEM_CHARS} characters` };
  const lines = text.split("\n").map((l) => l.replace(/[ \t\r]+$/, "").replace(/^[ \t]+/, ""));
  const blocks: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = BEGIN.exec(lines[i]!);
    if (!begin) {
      // Outside a block: anything that looks like PEM armour but is not a clean BEGIN line is suspicious.
      if (lines[i]!.includes("-----END") || lines[i]!.includes("-----BEGIN")) {
        return { ok: false, why: `malformed PEM armour line ${i + 1}` };
      }
      i++;
      continue;
    }
    const label = begin[1]!;
    if (!LABELS[kind].has(label)) return { ok: false, why: `unexpected PEM block "${label}"` };
    const body: string[] = [];
    i++;
    while (i < lines.length && lines[i] !== `-----END ${label}-----`) {
      if (!B64_LINE.test(lines[i]!)) return { ok: false, why: `line ${i + 1} inside the ${label} block is not base64` };
      body.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) return { ok: false, why: `${label} block has no END line` };
    const joined = body.join("");
    // Padding only at the very end, and whole base64 quanta.
    if (!joined.length || joined.length % 4 !== 0 || /=[^=]/.test(joined)) {
      return { ok: false, why: `${label} block is not valid base64` };
    }
    blocks.push([`-----BEGIN ${label}-----`, ...body, `-----END ${label}-----`].join("\n"));
    if (blocks.length > MAX_BLOCKS) return { ok: false, why: "too many PEM blocks" };
    i++;
  }
  if (!blocks.length) return { ok: false, why: "no PEM block" };
  if (kind === "key" && blocks.length !== 1) return { ok: false, why: "more than one private key" };
  return { ok: true, pem: blocks.join("\n") };
}
