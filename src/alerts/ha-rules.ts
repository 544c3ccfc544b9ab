/**
 * Whether a vmalert rule producing `HaPrimaryRecovered` is installed
 * (SPEC §3.6). The HA override sends nothing when HaPrimaryFailed resolves
 * and waits for HaPrimaryRecovered instead; if no installed rule can ever
 * fire it, the portal alert would stay FAILURE forever, so the proxy then
 * falls back to the default endsAt mapping.
 *
 * How we know: vmalert on NethSecurity loads /etc/vmalert/rules/*.yaml; a
 * file there holding a rule `alert: HaPrimaryRecovered` is a recovery rule.
 * The directory is read when the proxy starts and again at most once a
 * minute while alerts arrive (postinst also restarts the proxy), so a rule
 * file an admin adds or removes is noticed without a restart.
 */
import type { Ctx } from "../platform/context";

export const RULES_DIR = "/etc/vmalert/rules";
const RECHECK_MS = 60_000;
/** At most this much of one file is looked at: rule files are small. */
const MAX_RULE_FILE = 1024 * 1024;

/** Pure: does this rule file text define an alerting rule named HaPrimaryRecovered? */
export function definesHaRecovery(yaml: string): boolean {
  return /^[ \t]*(?:-[ \t]+)?alert:[ \t]*(["']?)HaPrimaryRecovered\1[ \t]*(?:#.*)?$/m.test(yaml);
}

export async function findHaRecoveryRule(ctx: Pick<Ctx, "fs">): Promise<boolean> {
  for (const name of await ctx.fs.list(RULES_DIR).catch(() => [] as string[])) {
    if (!/\.ya?ml$/.test(name)) continue;
    const path = `${RULES_DIR}/${name}`;
    const st = await ctx.fs.stat(path).catch(() => undefined);
    if (!st?.isFile || st.size > MAX_RULE_FILE) continue;
    const text = await ctx.fs.readIfExists(path).catch(() => undefined);
    if (text !== undefined && definesHaRecovery(text)) return true;
  }
  return false;
}

export interface HaRuleWatch {
  /** The last answer (synchronous: the webhook is answered without waiting). */
  installed(): boolean;
  /** Look again if the last look is older than a minute (in the background). */
  maybeRefresh(): void;
  /** Look again now. */
  refresh(): Promise<boolean>;
}

export async function watchHaRules(ctx: Pick<Ctx, "fs" | "log" | "clock">): Promise<HaRuleWatch> {
  let installed = true;
  let checkedAt = 0;
  let running: Promise<boolean> | undefined;
  const refresh = () =>
    (running ??= findHaRecoveryRule(ctx)
      .then((found) => {
        if (found !== installed) {
          ctx.log.info(found
            ? `${RULES_DIR}: HaPrimaryRecovered rule found: HaPrimaryFailed resolutions wait for it`
            : `${RULES_DIR}: no HaPrimaryRecovered rule: HaPrimaryFailed follows endsAt`);
        }
        installed = found;
        return found;
      })
      .finally(() => {
        checkedAt = ctx.clock.now().getTime();
        running = undefined;
      }));
  installed = await refresh();
  return {
    installed: () => installed,
    maybeRefresh() {
      if (ctx.clock.now().getTime() - checkedAt >= RECHECK_MS) void refresh();
    },
    refresh,
  };
}
