import { synthPlatform, exampleConfig } from "../helpers";
import { twentyServices } from "../fixtures/generated-configs";
import { runCases, trustCases } from "./trust";

describe("who may assume the CI roles, by an independent IAM evaluator", () => {
  it.each([
    ["the example platform", exampleConfig, 25],
    ["a generated platform of 20 services", twentyServices, 20 * 19],
  ])("on %s: only the right project, ref and audience", async (_, make, atLeast) => {
    const config = make();
    const results = await runCases(config, trustCases(config, synthPlatform(config)));
    expect(results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(atLeast);
  });
});
