/** Certificate facts read in-process (no openssl child). */
import { X509Certificate } from "node:crypto";

/**
 * The subject CN of the first certificate in `pem`: undefined when the PEM
 * does not parse or its subject has no CN. Node prints the subject as
 * "KEY=value" lines; a multi-valued CN comes as several lines, the first wins.
 */
export function subjectCommonName(pem: string | Uint8Array): string | undefined {
  let subject: string;
  try {
    subject = new X509Certificate(pem).subject;
  } catch {
    return undefined;
  }
  for (const line of subject.split("\n")) {
    if (line.startsWith("CN=")) return line.slice(3);
  }
  return undefined;
}
