/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }] },
  globalSetup: "<rootDir>/test/global-tmpdir.js",
  globalTeardown: "<rootDir>/test/global-tmpdir-teardown.js",
  setupFiles: ["<rootDir>/test/setup-collator.js", "<rootDir>/test/setup-resource-types.js", "<rootDir>/test/setup-statement-matches.js", "<rootDir>/test/setup-quiet-tokens.js"],
  // Synth of many stacks is CPU-bound; two workers match the two cores CI has.
  maxWorkers: 2,
  // A timeout only catches a hang: the isolation proofs take a minute or more alone, and in CI the
  // unit tests run beside the provider build on the same two cores (.ci/run), which doubles that.
  testTimeout: 20 * 60_000,
};
