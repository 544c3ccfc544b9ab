/**
 * ns.don (SPEC §9): the web UI's remote support buttons. The methods run
 * the support feature in this process (no `don` child), with the answers of
 * the original plugin: start → the `don start -j` JSON (`don_start_failed`),
 * status → the JSON or `{"result": "no_session"}`, stop → `{"result":
 * "success"}` (`don_stop_failed`), extend → the `don extend -j` JSON.
 */
import { readDonConfig } from "../support/config";
import { currentSession, extendSession, startSession, stopSession } from "../support/session";
import { sessionJson } from "../support/state";
import { RpcdFailure } from "./answer";
import type { PluginMethods } from "./method";

const fail = (reason: string) => (e: unknown) => {
  throw new RpcdFailure(reason, e instanceof Error ? e.message : String(e));
};

export const methods: PluginMethods<"ns.don"> = {
  start: {
    async run(ctx) {
      const r = await readDonConfig(ctx)
        .then((cfg) => startSession(ctx, cfg))
        .catch(fail("don_start_failed"));
      return sessionJson(r.session);
    },
  },
  status: {
    async run(ctx) {
      const s = await currentSession(ctx).catch(() => undefined);
      return s ? sessionJson(s) : { result: "no_session" };
    },
  },
  stop: {
    async run(ctx) {
      await stopSession(ctx, { fromOpenvpn: false }).catch(fail("don_stop_failed"));
      return { result: "success" };
    },
  },
  extend: {
    async run(ctx) {
      const r = await extendSession(ctx);
      return r.status === "no_session" ? { status: r.status } : { status: r.status, ...sessionJson(r.session) };
    },
  },
};
