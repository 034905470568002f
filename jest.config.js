/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }] },
  setupFiles: ["<rootDir>/test/setup-tmpdir.js"],
  // Synth of many stacks is CPU-bound; two workers match the two cores CI has.
  maxWorkers: 2,
  testTimeout: 60000,
};
