import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AssetType, Manifest, TerraformAsset, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { buildPlatform } from "../src/app";
import { loadConfigFile } from "../src/config/loader";
import { stackFactsOf } from "../src/deploy-order";
import { hclText, mergeStats, stableJson, stackTerraform, synthesizeStack } from "../src/stack-terraform";
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
      // Synth reads a stack's facts (the apply order) from the object, not from cdk.tf.json read back.
      const workspace = stack.backendDescription.workspace;
      expect(stackFactsOf(t.json, workspace)).toStrictEqual(stackFactsOf(JSON.parse(stableJson(t.json)!), workspace));
    }
    // Every element's values line up with its JSON: none had to be resolved again.
    expect(mergeStats.resolved).toBe(before.resolved);
    expect(mergeStats.merged).toBeGreaterThan(before.merged);
  });
});

/** What CDKTF's synthesizer does for a stack, less writing cdk.tf.json: an asset still gets its folder. */
describe("synthesizeStack", () => {
  const session = (outdir: string) => ({ outdir, skipValidation: true, manifest: new Manifest("0.21.0", outdir, true) });

  it("makes the stack's folder of cdktf.out only for a construct that writes there (an asset), and runs its synthesis", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "synthesize-stack-"));
    const app = Testing.app({ stackTraces: false });
    const plain = new TerraformStack(app, "plain");
    new TerraformOutput(plain, "out", { value: "x", description: "a value" });
    const withAsset = new TerraformStack(app, "with-asset");
    const source = path.join(outdir, "source.txt");
    fs.writeFileSync(source, "an asset\n");
    const asset = new TerraformAsset(withAsset, "file", { path: source, type: AssetType.FILE });
    new TerraformOutput(withAsset, "where", { value: asset.path, description: "the asset" });

    const s = session(outdir);
    const t = synthesizeStack(plain, s);
    expect(JSON.parse(t.text).output.out.value).toBe("x");
    expect(fs.existsSync(path.join(outdir, "stacks", "plain"))).toBe(false);

    synthesizeStack(withAsset, s);
    const written = fs.readdirSync(path.join(outdir, "stacks", "with-asset"), { recursive: true }).map(String);
    expect(written.some((f) => f.endsWith("source.txt"))).toBe(true);
  });
});
