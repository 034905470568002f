import { synthPlatform } from "../helpers";
import { twentyServices } from "../fixtures/generated-configs";
import { isolationCases, runCases, trustCases } from "./isolation-matrix";

// A separate file from the example's matrix, so that jest runs the two on both cores at once.
describe("tenant isolation on a generated platform of 20 services", () => {
  const config = twentyServices();
  const synthesized = synthPlatform(config);

  it("denies every cross-service case for all 380 ordered pairs and allows each service its own", async () => {
    const cases = await isolationCases(config, synthesized, "rotate");
    const results = await runCases(config, cases);
    const wrong = results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}`);
    expect(wrong).toEqual([]);
    const pairs = new Set(cases.filter((c) => c.expect === "deny" && c.category === "assume").map((c) => `${c.request.principal} ${c.request.resource}`));
    expect(pairs.size).toBeGreaterThanOrEqual(380);
  });

  it("lets each of the 20 CI identities assume only its own roles", async () => {
    const results = await runCases(config, trustCases(config, synthesized));
    expect(results.filter((r) => !r.ok).map((r) => r.case.description)).toEqual([]);
    expect(results.length).toBeGreaterThan(20 * 19);
  });
});
