// The modules `npm run mutate` covers (issue 19): the pure and platform code
// that guards safety, each with the unit tests that exercise it.
export const MODULES = {
  uci: {
    mutate: ["src/platform/uci/*.ts"],
    tests: ["test/unit/uci-codec.test.ts", "test/unit/uci-store.test.ts"],
  },
  fs: {
    mutate: ["src/platform/fs.ts"],
    // Two kill runs instead of twelve: each starts a tsx process (seconds under load).
    tests: ["test/unit/platform-fs.test.ts"],
    env: "FS_KILL_RUNS=2",
  },
  hooks: { mutate: ["src/platform/hooks.ts"], tests: ["test/unit/portal-hooks.test.ts"] },
  validate: {
    mutate: ["src/controller/validate.ts"],
    tests: ["test/unit/controller-render.test.ts", "test/unit/controller-hostile.test.ts"],
  },
  pem: {
    mutate: ["src/controller/pem.ts"],
    tests: ["test/unit/controller-render.test.ts", "test/unit/controller-hostile.test.ts"],
  },
  map: { mutate: ["src/alerts/map.ts"], tests: ["test/unit/alerts-map.test.ts"] },
  loose: { mutate: ["src/rpcd/loose.ts"], tests: ["test/unit/rpcd-args.test.ts"] },
};
