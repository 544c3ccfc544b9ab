/**
 * Incremental digests for feature code (which may not import node:crypto).
 * Used for change detection, not for security.
 */
import { createHash } from "node:crypto";

export interface Digest {
  update(data: Uint8Array | string): Digest;
  hex(): string;
}

export function createDigest(alg: "md5" | "sha256"): Digest {
  const h = createHash(alg);
  const d: Digest = {
    update(data) {
      h.update(data);
      return d;
    },
    hex: () => h.digest("hex"),
  };
  return d;
}
