import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ROOT, exampleConfig } from "../helpers";
import { IMAGE_VARIABLE, applyPipeline, childPipeline, defaultImage, imageTag, jobsOf } from "../../src/delivery/pipeline";
import { applyPredecessors, pipelineStacks, selectedPredecessors } from "../../src/delivery/pipeline-stacks";
import { SHELL_BUILTINS, commandsOf, scriptLinesOf } from "./shell-commands";

/**
 * The CI image (ci/image/Dockerfile) against the jobs that run in it: every command any generated or
 * committed job calls must be one the image is built to provide (the Dockerfile's JOB_COMMANDS, which
 * its build checks) or a shell builtin, and each of those has a source in the Dockerfile.
 */

const dockerfile = fs.readFileSync(path.join(ROOT, "ci", "image", "Dockerfile"), "utf8");
const logical = dockerfile.replace(/\\\n/g, " ").split("\n");

function jobCommands(): string[] {
  const m = /^ARG JOB_COMMANDS="([^"]+)"/m.exec(dockerfile);
  if (!m) throw new Error("ci/image/Dockerfile has no ARG JOB_COMMANDS");
  return m[1].split(/\s+/);
}

/** Every job (hidden templates included) of every pipeline the repository commits or generates. */
function allPipelines(): { name: string; doc: Record<string, unknown> }[] {
  const config = exampleConfig();
  const stacks = pipelineStacks(config);
  const inPipeline = stacks.filter((s) => !s.outOfPipeline).map((stack) => ({ stack, reasons: ["test"] }));
  const common = { config, generatedDir: "generated", configFile: "config/example.yaml", image: "$CI_REGISTRY_IMAGE/ci:test" };
  const predecessors = selectedPredecessors(applyPredecessors(config, stacks), new Set(inPipeline.map((s) => s.stack.name)));
  const environment = stacks.find((s) => s.name === "environment-dev")!;
  return [
    { name: ".gitlab-ci.yml", doc: YAML.parse(fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8")) },
    { name: "ci/gitlab/ephemeral.gitlab-ci.yml", doc: YAML.parse(fs.readFileSync(path.join(ROOT, "ci/gitlab/ephemeral.gitlab-ci.yml"), "utf8")) },
    { name: "mr", doc: childPipeline({ ...common, mode: "mr", selected: inPipeline }).doc },
    { name: "mr (no change)", doc: childPipeline({ ...common, mode: "mr", selected: [] }).doc },
    { name: "main", doc: childPipeline({ ...common, mode: "main", selected: inPipeline, predecessors }).doc },
    { name: "main (no change)", doc: childPipeline({ ...common, mode: "main", selected: [] }).doc },
    { name: "drift", doc: childPipeline({ ...common, mode: "drift", selected: inPipeline }).doc },
    { name: "apply (manual)", doc: applyPipeline({ ...common, stack: environment, verdict: { changes: 2, destroys: ["aws_vpc.x"] } }).doc },
    { name: "apply (automatic)", doc: applyPipeline({ ...common, stack: environment, verdict: { changes: 2, destroys: [] } }).doc },
    { name: "apply (no changes)", doc: applyPipeline({ ...common, stack: environment, verdict: { changes: 0, destroys: [] } }).doc },
  ];
}

/** Jobs that run in another image, and why. */
const OTHER_IMAGES: Record<string, RegExp> = {
  // Builds the CI image itself, with BuildKit.
  "ci-image": /^moby\/buildkit:v[\d.]+-rootless$/,
};

describe("the CI image", () => {
  it("is multi-stage, on base images pinned by tag and digest", () => {
    const froms = logical.filter((l) => /^FROM /.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+_IMAGE)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    for (const from of froms) {
      const ref = from.split(/\s+/)[1].replace(/^\$\{(\w+)\}$/, (_, v: string) => args[v] ?? v);
      expect(ref).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    }
  });

  it("builds Terraform and the providers from source with the project's scripts, downloading no binary", () => {
    const terraformStage = dockerfile.slice(dockerfile.indexOf("FROM ${GO_IMAGE} AS terraform"), dockerfile.indexOf("AS ci"));
    expect(terraformStage).toMatch(/FROM \$\{GO_IMAGE\} AS terraform/);
    // The whole AWS provider: a service repository's jobs run in the image, and its own code may use
    // any type, not only those the test mirror's provider is built with.
    expect(terraformStage).toMatch(/bash scripts\/terraform\.sh && APPS_PLATFORM_AWS_PROVIDER=full bash scripts\/providers\.sh/);
    expect(dockerfile).toMatch(/COPY --from=terraform \/opt\/apps-platform\/\.cache\/bin\/terraform \/usr\/local\/bin\/terraform/);
    expect(dockerfile).toMatch(/ENV TF_CLI_CONFIG_FILE=\/opt\/apps-platform\/\.terraform-providers\/terraformrc/);
    for (const line of logical.filter((l) => /^RUN /.test(l))) expect(line).not.toMatch(/\b(?:curl|wget)\s+(?:-|https?:)|releases\.hashicorp/);
    expect(dockerfile).not.toMatch(/^ADD /m);
    expect(dockerfile).toMatch(/pip install --no-cache-dir "awscli==\$\{AWSCLI_VERSION\}"/);
    expect(dockerfile).toMatch(/^ARG AWSCLI_VERSION=\d+\.\d+\.\d+$/m);
  });

  it("has a source for every command it promises the jobs", () => {
    const apt = (logical.find((l) => /^RUN apt-get update/.test(l) && l.includes("python3-venv")) ?? "").match(/--no-install-recommends ([^&]+)/)?.[1].trim().split(/\s+/) ?? [];
    // What the base images bring: node:<version>-bookworm-slim has Node and npm; Debian's essential
    // packages (coreutils, sed, grep, bash, dash) are in every Debian image.
    const node = ["node", "npm", "npx"];
    const debianEssential = ["bash", "sh", "sed", "grep", "cut", "cat", "cp", "mkdir", "rm", "basename", "tee", "sha256sum"];
    const sourceOf = (c: string): string | undefined =>
      node.includes(c) && /^ARG NODE_IMAGE=node:20\./m.test(dockerfile)
        ? "the node base image"
        : debianEssential.includes(c)
          ? "Debian's essential packages"
          : apt.includes(c)
            ? "apt-get"
            : c === "aws" && /ln -s \/opt\/awscli\/bin\/aws \/usr\/local\/bin\/aws/.test(dockerfile)
              ? "pip (awscli)"
              : c === "terraform" && /\/usr\/local\/bin\/terraform/.test(dockerfile)
                ? "the terraform build stage"
                : undefined;
    expect(jobCommands().filter((c) => !sourceOf(c))).toEqual([]);
    // What the interface promises: Node, npm, Terraform, the AWS CLI, git, jq, curl, bash.
    expect(jobCommands()).toEqual(expect.arrayContaining(["node", "npm", "terraform", "aws", "git", "jq", "curl", "bash"]));
  });

  it("provides every command a generated or committed job calls", () => {
    const provided = new Set(jobCommands());
    const missing: string[] = [];
    let checked = 0;
    for (const { name, doc } of allPipelines()) {
      for (const [jobName, job] of Object.entries(doc)) {
        if (!job || typeof job !== "object" || Array.isArray(job) || ["variables", "workflow", "default"].includes(jobName)) continue;
        const j = job as Record<string, unknown>;
        if ("trigger" in j) continue;
        const image = typeof j.image === "string" ? j.image : undefined;
        if (OTHER_IMAGES[jobName]) {
          expect(image).toMatch(OTHER_IMAGES[jobName]);
          continue;
        }
        // A job without an image of its own takes it from the template it extends.
        if (image !== undefined) expect(image).toBe(`$${IMAGE_VARIABLE}`);
        else expect(typeof j.extends === "string" && (j.extends as string).startsWith(".")).toBe(true);
        for (const line of scriptLinesOf(j)) {
          for (const c of commandsOf(line)) {
            checked++;
            if (!provided.has(c) && !SHELL_BUILTINS.has(c)) missing.push(`${name}: ${jobName}: ${c} (in: ${line.slice(0, 80)})`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it("is pinned in .gitlab-ci.yml by the hash of its inputs", () => {
    const root = YAML.parse(fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8"));
    expect(root.variables[IMAGE_VARIABLE]).toBe(defaultImage(ROOT));
    // The ephemeral pipelines run in another project, so they name the platform's registry in full, same tag.
    const ephemeral = YAML.parse(fs.readFileSync(path.join(ROOT, "ci/gitlab/ephemeral.gitlab-ci.yml"), "utf8"));
    expect(ephemeral.variables[IMAGE_VARIABLE]).toMatch(new RegExp(`^registry\\.[a-z.]+/[a-z0-9/-]+/ci:${imageTag(ROOT)}$`));
    expect(imageTag(ROOT)).toMatch(/^ci-[0-9a-f]{12}$/);
    // The build job tags what it builds with the same hash, from the same files in the same order.
    expect(root["ci-image"].script[0]).toBe('tag="ci-$(cat ci/image/Dockerfile .terraform-version scripts/lib.sh scripts/terraform.sh scripts/providers.sh | sha256sum | cut -c1-12)"');
    expect(root["ci-image"].rules.at(-1).changes).toEqual(expect.arrayContaining(["ci/image/Dockerfile", ".terraform-version", "scripts/lib.sh", "scripts/terraform.sh", "scripts/providers.sh"]));
  });
});

describe("the command reader the image check relies on", () => {
  it("finds commands after operators, inside substitutions and in if bodies, and skips quoted text and assignments", () => {
    expect(commandsOf(`creds="$(aws sts x --query 'a|b' | cut -f1)"`)).toEqual(["aws", "cut"]);
    expect(commandsOf(`if [ -n "$X" ]; then wget x && echo "a; b"; fi`)).toEqual(["[", "wget", "echo"]);
    expect(commandsOf(`code=0; FOO=1 terraform plan > out || code=$?`)).toEqual(["terraform"]);
    expect(commandsOf(`for f in a b; do cat "$f"; done > x`)).toEqual(["cat"]);
  });

  it("would catch a job that names a tool the image lacks", () => {
    const provided = new Set(jobCommands());
    const doc = { job: { image: `$${IMAGE_VARIABLE}`, script: ["kubectl apply -f x.yaml"] } };
    const calls = jobsOf(doc).flatMap(([, j]) => scriptLinesOf(j).flatMap(commandsOf));
    expect(calls.filter((c) => !provided.has(c) && !SHELL_BUILTINS.has(c))).toEqual(["kubectl"]);
  });
});
