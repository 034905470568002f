import * as path from "path";
import { Testing } from "cdktf";
import { buildPlatform } from "../src/app";
import { loadConfigFile } from "../src/config/loader";
import { hclText, mergeStats, stackTerraform } from "../src/stack-terraform";
import { EXAMPLE_FILE, ROOT } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { invokeAspects } = require("cdktf/lib/synthesize/synthesizer") as { invokeAspects: (root: unknown) => void };

/** One resolution for the JSON and the HCL gives exactly what CDKTF's two give, for every stack of these configs. */
describe("a stack's JSON and HCL from one resolution", () => {
  it.each([EXAMPLE_FILE, path.join(ROOT, "config", "example-cloud.yaml"), path.join(ROOT, "test", "fixtures", "service-matrix.yaml")])("equal toTerraform and toHclTerraform for %s", (file) => {
    const app = Testing.app();
    const stacks = buildPlatform(app, loadConfigFile(file));
    const before = { ...mergeStats };
    for (const stack of stacks) {
      invokeAspects(stack);
      const t = stackTerraform(stack);
      expect(JSON.stringify(t.json)).toBe(JSON.stringify(stack.toTerraform()));
      expect(hclText(stack, t)).toBe(stack.toHclTerraform().hcl);
    }
    // Every element's values line up with its JSON: none had to be resolved again.
    expect(mergeStats.resolved).toBe(before.resolved);
    expect(mergeStats.merged).toBeGreaterThan(before.merged);
  });
});
