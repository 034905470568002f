import { synthPlatform } from "../helpers";
import { twentyServices } from "../fixtures/generated-configs";
import { failureLines, runSurface } from "./surface-run";

// 20 services in one stage: every deploy role searched against the names of the 19 others (380
// ordered pairs), the platform's, and those made outside it.
describe("the attack surface of a generated platform of 20 services", () => {
  const config = twentyServices();
  const synthesized = synthPlatform(config);

  it("denies every deploy role every other service's resources and references, for all 380 ordered pairs", async () => {
    const results = await runSurface(config, synthesized, (p) => p.kind === "deploy");
    expect(failureLines(results)).toEqual([]);
    expect(results).toHaveLength(20);
  });
});
