/** python3-nethsec fact_firewall_stats: rule, NAT, netmap and object counts. */
import { byType, opt, type Options, type Sources } from "./sources";

/** nethsec.firewall's rule kinds: forward has both zones, input only a source, output only a destination. */
export function ruleKind(o: Options): "forward" | "input" | "output" | undefined {
  const src = Boolean(opt(o, "src"));
  const dest = Boolean(opt(o, "dest"));
  if (src && dest) return "forward";
  if (src) return "input";
  if (dest) return "output";
  return undefined;
}

/** The original's isinstance(value, str): the option is set, and is not a list. */
const single = (o: Options, name: string) => typeof o.get(name) === "string";

export async function firewall_stats(s: Sources): Promise<Record<string, unknown>> {
  const fw = await s.uci("firewall");
  const redirects = byType(fw, "redirect");
  const nat = { masquerade: 0, snat: 0, accept: 0 };
  for (const [, o] of byType(fw, "nat")) {
    const t = opt(o, "target");
    if (t === "ACCEPT") nat.accept++;
    else if (t === "MASQUERADE") nat.masquerade++;
    else if (t === "SNAT") nat.snat++;
  }
  const netmap = { source: 0, destination: 0 };
  for (const [, o] of byType(await s.uci("netmap"), "rule")) {
    if (opt(o, "dest")) netmap.source++;
    else if (opt(o, "src")) netmap.destination++;
  }
  const rules = { forward: 0, input: 0, output: 0 };
  const objRules = { forward: 0, input: 0, output: 0 };
  for (const [, o] of byType(fw, "rule")) {
    const kind = ruleKind(o);
    if (!kind) continue;
    rules[kind]++;
    if (single(o, kind === "input" ? "ns_src" : "ns_dst")) objRules[kind]++;
  }
  const objects = await s.uci("objects");
  return {
    firewall: { port_forward: redirects.length, nat, netmap, rules },
    objects: {
      domains: byType(objects, "domain").length,
      hosts: byType(objects, "host").length,
      port_forward: {
        allowed_from: redirects.filter(([, o]) => single(o, "ns_src")).length,
        destination_to: redirects.filter(([, o]) => single(o, "ns_dst")).length,
      },
      mwan_rules: byType(await s.uci("mwan3"), "rule").filter(([, o]) => single(o, "ns_src")).length,
      rules: objRules,
    },
  };
}
