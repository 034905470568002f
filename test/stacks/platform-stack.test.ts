import * as fs from "fs";
import * as path from "path";
import { App, TerraformOutput, Testing } from "cdktf";
import { Construct } from "constructs";
import { OutputDescriptionError, PlatformStack, REQUIRED_TERRAFORM_VERSION } from "../../stacks/platform-stack";
import { ROOT, exampleConfig, synthPlatform } from "../helpers";

/** Whether a version satisfies a constraint made of `>=`, `>`, `<`, `<=` and `=` parts, comma-separated. */
function satisfies(version: string, constraint: string): boolean {
  const parse = (v: string) => v.split(".").map(Number).concat(0, 0, 0).slice(0, 3);
  const compare = (a: number[], b: number[]) => a.reduce((r, x, i) => r || Math.sign(x - b[i]), 0);
  return constraint.split(",").every((part) => {
    const m = /^\s*(>=|<=|>|<|=)?\s*([0-9.]+)\s*$/.exec(part);
    if (!m) throw new Error(`cannot read the constraint part ${JSON.stringify(part)}`);
    const c = compare(parse(version), parse(m[2]));
    return { ">=": c >= 0, "<=": c <= 0, ">": c > 0, "<": c < 0, "=": c === 0 }[m[1] ?? "="]!;
  });
}

function bareStack(app: App, name = "bare"): PlatformStack {
  return new PlatformStack(app, name, { config: exampleConfig(), kind: "bare", unit: "test", app: "apps-platform" });
}

describe("the terraform block of every stack", () => {
  const { json } = synthPlatform(exampleConfig());

  it("requires a Terraform that has the S3 backend's use_lockfile (1.11) and takes the pinned .terraform-version", () => {
    const pinned = fs.readFileSync(path.join(ROOT, ".terraform-version"), "utf8").trim();
    expect(satisfies(pinned, REQUIRED_TERRAFORM_VERSION)).toBe(true);
    for (const older of ["1.10.5", "1.9.8", "1.5.7"]) expect(satisfies(older, REQUIRED_TERRAFORM_VERSION)).toBe(false);
    expect(satisfies("2.0.0", REQUIRED_TERRAFORM_VERSION)).toBe(false);
    const s3Stacks = [...json].filter(([, j]) => (j.terraform.backend?.s3 as Record<string, unknown> | undefined)?.use_lockfile === true);
    expect(s3Stacks.length).toBeGreaterThan(0);
    for (const [name, j] of json) expect([name, j.terraform.required_version]).toEqual([name, REQUIRED_TERRAFORM_VERSION]);
  });

  it("carries required_version in the committed HCL of every stack", () => {
    const generated = path.join(ROOT, "generated");
    const stacks = fs.readdirSync(generated).filter((d) => fs.existsSync(path.join(generated, d, "main.tf")));
    expect(stacks.sort()).toEqual([...json.keys()].sort());
    for (const stack of stacks) {
      const hcl = fs.readFileSync(path.join(generated, stack, "main.tf"), "utf8");
      expect([stack, /^terraform \{\n {2}required_version = "([^"]+)"$/m.exec(hcl)?.[1]]).toEqual([stack, REQUIRED_TERRAFORM_VERSION]);
    }
  });
});

describe("outputs without a description", () => {
  it("gives every output of the example's stacks a description", () => {
    const { json } = synthPlatform(exampleConfig());
    const outputs = [...json].flatMap(([stack, j]) => Object.entries(j.output ?? {}).map(([name, o]) => ({ stack, name, description: o.description })));
    expect(outputs.length).toBeGreaterThan(20);
    expect(outputs.filter((o) => typeof o.description !== "string" || o.description.trim() === "")).toEqual([]);
  });

  it("are refused at synth, naming the stack, the output and what to add, wherever the output is created", () => {
    const app = Testing.app();
    const stack = bareStack(app, "service-x-dev");
    new TerraformOutput(stack, "described", { value: "v", description: "Has one." });
    new TerraformOutput(stack, "naked", { value: "v" });
    new TerraformOutput(new Construct(stack, "part"), "blank", { value: "v", description: "  " });
    let caught: unknown;
    try {
      Testing.synth(stack);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OutputDescriptionError);
    const lines = (caught as Error).message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'stack service-x-dev: output "naked" (service-x-dev/naked) has no description; every output needs one: new TerraformOutput(this, "naked", { value: ..., description: "<what the value is and who reads it>" })',
    );
    expect(lines[1]).toMatch(/^stack service-x-dev: output "part_blank_[0-9A-F]{8}" \(service-x-dev\/part\/blank\) has no description; every output needs one: new TerraformOutput\(this, "blank", /);
  });

  it("stop npm run synth's way of synthesizing (App.synth) before anything is written", () => {
    const outdir = path.join(ROOT, ".tmp", "platform-stack-test", "out");
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.mkdirSync(outdir, { recursive: true });
    const app = new App({ outdir, skipValidation: true, stackTraces: false });
    new TerraformOutput(bareStack(app), "naked", { value: "v" });
    expect(() => app.synth()).toThrow('stack bare: output "naked" (bare/naked) has no description');
    expect(fs.existsSync(path.join(outdir, "stacks", "bare", "cdk.tf.json"))).toBe(false);
  });

  it("let a stack with described outputs synthesize", () => {
    const app = Testing.app();
    const stack = bareStack(app);
    new TerraformOutput(stack, "described", { value: "v", description: "Has one." });
    expect(JSON.parse(Testing.synth(stack)).output.described.description).toBe("Has one.");
  });
});
