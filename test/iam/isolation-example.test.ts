import { exampleConfig, synthPlatform } from "../helpers";
import { isolationCases, runCases, trustCases } from "./isolation-matrix";

describe("tenant isolation on the example platform, by an independent IAM evaluator", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);

  it("denies every cross-service case and allows every own-service case, for every catalogued action", async () => {
    const results = await runCases(config, await isolationCases(config, synthesized, "all"));
    const wrong = results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}`);
    expect(wrong).toEqual([]);
    expect(results.filter((r) => r.case.expect === "deny").length).toBeGreaterThan(1000);
  });

  it("lets CI assume a role only from the right project, ref and audience", async () => {
    const results = await runCases(config, trustCases(config, synthesized));
    const wrong = results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}`);
    expect(wrong).toEqual([]);
  });
});

