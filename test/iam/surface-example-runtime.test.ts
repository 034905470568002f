import { exampleConfig, synthPlatform } from "../helpers";
import { failureLines, runSurface } from "./surface-run";

describe("the attack surface of the read, runtime and CI roles of the example platform", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);

  it("denies every action on every resource type with any name that is not the role's own, and every request that names another's", async () => {
    const results = await runSurface(config, synthesized, (p) => p.kind !== "deploy");
    expect(failureLines(results)).toEqual([]);
    const kinds = new Set(results.map((r) => r.principal.kind));
    expect([...kinds].sort()).toEqual(["ciApply", "ciPlan", "ecrAccess", "execution", "read"]);
    for (const r of results) expect(r.candidates).toBeGreaterThan(200);
  });
});
