import { exampleConfig, synthPlatform } from "../helpers";
import { failureLines, runSurface } from "./surface-run";

// The deploy roles in a file of their own, so that jest searches them on one core and the other roles on the other.
describe("the attack surface of every deploy role of the example platform", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);

  it("denies every action on every resource type with any name that is not the role's own, and every request that names another's", async () => {
    const results = await runSurface(config, synthesized, (p) => p.kind === "deploy");
    expect(failureLines(results)).toEqual([]);
    // Every deploy role of every onboarded stage was searched, and the search was not trivially small.
    expect(results.map((r) => r.principal.role.name).sort()).toEqual(
      config.services.flatMap((s) => (s.stages ?? Object.keys(config.stages)).map((st) => `${s.slug}-${st}-deploy`)).sort(),
    );
    for (const r of results) {
      expect(r.candidates).toBeGreaterThan(10000);
      expect(r.sampled).toBeGreaterThan(0);
    }
  });
});
