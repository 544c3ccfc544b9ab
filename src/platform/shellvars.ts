/**
 * KEY=value files that shell scripts source: /etc/os-release,
 * /etc/openwrt_release. Read the way a POSIX shell would see them (an
 * `export ` prefix allowed, one level of quotes removed, comments skipped).
 */

/** Pure: the variables of such a file. */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\(["\\$`])/g, "$1");
    }
    out[m[1]!] = v;
  }
  return out;
}
