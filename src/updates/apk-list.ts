/**
 * Pure: the names of the upgradable packages in `apk list --upgradable`.
 * A line is `<name>-<version>-r<release> <arch> {<origin>} (<license>) [upgradable from: …]`.
 * apk versions never contain '-', so the name is everything before the last
 * one or two '-' fields. (The original took the last part of `{origin}`, the
 * source package, which is not the binary package's name for split
 * packages: libopenssl3 comes from {…/openssl}.)
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function packageName(token: string): string | undefined {
  const m = /^(.+)-[^-]+-r\d+$/.exec(token) ?? /^(.+)-[^-]*\d[^-]*$/.exec(token);
  const name = m?.[1];
  return name && NAME.test(name) ? name : undefined;
}

export function parseUpgradable(output: string): string[] {
  const names = new Set<string>();
  for (const line of output.split("\n")) {
    if (!/\[upgradable from:/.test(line)) continue;
    const name = packageName(line.trim().split(/\s+/)[0] ?? "");
    if (name) names.add(name);
  }
  return [...names];
}
