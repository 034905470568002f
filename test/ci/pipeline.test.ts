import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { ROOT, configWith, exampleConfig } from "../helpers";
import { MAX_NEEDS, SYNTH_CHECK, applyPipeline, childPipeline, jobsOf, planVerdict } from "../../src/delivery/pipeline";
import { stacksOfChangedFiles, stacksOfConfigChange } from "../../src/delivery/pipeline-changes";
import { applyPredecessors, pipelineStacks, selectedPredecessors } from "../../src/delivery/pipeline-stacks";
import { run } from "../../src/delivery/pipeline-cli";
import { shownPath } from "../../src/cli/args";

const example = exampleConfig();
const stacks = pipelineStacks(example);
const raw = () => YAML.parse(fs.readFileSync(path.join(ROOT, "config", "example.yaml"), "utf8"));
const changed = (change: (r: any) => void) => {
  const after = raw();
  change(after);
  return [...stacksOfConfigChange(raw(), after, stacks, "config/example.yaml").keys()].sort();
};

describe("which stacks a config change reaches", () => {
  it("a service entry: its onboarding and service stacks only", () => {
    expect(changed((r) => (r.services[0].image = "1.4.3"))).toEqual(["onboarding-payments-api", "service-payments-api-dev", "service-payments-api-prod"]);
    expect(changed((r) => (r.services.find((s: any) => s.slug === "status-page").branchRestriction = "release"))).toEqual([
      "onboarding-status-page",
      "service-status-page-dev",
      "service-status-page-prod",
    ]);
  });

  it("a stage: every stack of that stage, and the onboarding of every service in it", () => {
    const got = changed((r) => (r.stages.prod.network.azCount = 2));
    expect(got).toEqual(
      expect.arrayContaining(["environment-prod", "fleet-prod", "tenant-acme-corp-prod", "service-payments-api-prod", "onboarding-payments-api", "onboarding-status-page"]),
    );
    expect(got).not.toContain("environment-dev");
    expect(got).not.toContain("onboarding-webservice-aurora-example");
    expect(got.filter((s) => s.endsWith("-dev"))).toEqual([]);
  });

  it("a fleet tenant, a wave, a fleet stage and the rest of the fleet", () => {
    expect(changed((r) => (r.fleet.tenants.find((t: any) => t.id === "globex").paused = true))).toEqual(["tenant-globex-dev", "tenant-globex-prod"]);
    expect(changed((r) => (r.fleet.waves[0].image = "1.9.0"))).toEqual(["tenant-acme-corp-dev", "tenant-acme-corp-prod"]);
    expect(changed((r) => (r.fleet.stages.dev.paused = true))).toEqual(["fleet-dev", "tenant-acme-corp-dev", "tenant-globex-dev", "tenant-initech-dev"]);
    expect(changed((r) => (r.fleet.controlPlaneImage = "0.9.1"))).toEqual(stacks.filter((s) => s.kind === "fleet" || s.kind === "tenant").map((s) => s.name).sort());
  });

  it("a shared top-level field: every stack; a new order of the same services: none", () => {
    expect(changed((r) => (r.platformRoleName = "other"))).toEqual(stacks.map((s) => s.name).sort());
    expect(changed((r) => r.services.reverse())).toEqual([]);
  });

  it("changed generated files name their stack, the placement lock the fleet's, a removed folder apart", () => {
    const got = stacksOfChangedFiles(["generated/environment-dev/main.tf", "generated/fleet-placement.json", "generated/onboarding-gone/main.tf", "src/x.ts"], "generated", stacks);
    expect([...got.reasons.keys()]).toEqual(expect.arrayContaining(["environment-dev", "fleet-dev", "tenant-globex-prod"]));
    expect(got.reasons.has("environment-prod")).toBe(false);
    expect(got.removed).toEqual(["onboarding-gone"]);
  });
});

describe("the jobs", () => {
  const selected = stacks.filter((s) => !s.outOfPipeline).map((stack) => ({ stack, reasons: ["test"] }));
  const common = { config: example, generatedDir: "generated", configFile: "config/example.yaml", image: "img" };

  it("plan with the read-only roles: the platform's plan role with ci_phase=plan; a service's stacks are its own pipelines'", () => {
    const doc = childPipeline({ ...common, mode: "mr", selected }).doc as Record<string, any>;
    const env = doc["plan:environment-prod"];
    expect(env.variables).toEqual({
      STACK: "environment-prod",
      ROLE_ARN: "arn:aws:iam::111111111111:role/apps-platform/ci/apps-platform-ci-plan",
      TF_VAR_ci_phase: "plan",
      APPS_PLATFORM_SYNTH_CONFIG: "config/example.yaml",
    });
    expect(env.resource_group).toBe("environment-prod-prod");
    expect(env.script).toContain("terraform workspace select -or-create prod");
    expect(env.script.some((l: string) => l.startsWith("terraform plan -lock=false"))).toBe(true);
    // The platform repository cannot assume a service's CI roles, so its stacks get no job here.
    expect(Object.keys(doc).filter((k) => k.startsWith("plan:service-"))).toEqual([]);
    const svc = stacks.find((s) => s.name === "service-payments-api-prod")!;
    expect(svc.outOfPipeline).toContain("acme/payments/payments-api");
    expect(svc.plan).toEqual({
      roleArn: "arn:aws:iam::111111111111:role/apps-platform/ci/payments-api-ci-plan",
      variables: { TF_VAR_platform_role_arn: "arn:aws:iam::333333333333:role/apps-platform/read/payments-api-prod-read" },
    });
    expect(doc[".apps-platform-stack"].id_tokens).toEqual({ AWS_ID_TOKEN: { aud: "https://gitlab.com" } });
    expect(doc[".apps-platform-stack"].before_script.join("\n")).toContain('aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN"');
    expect(doc["plan:onboarding-status-page"].script.find((l: string) => l.startsWith("terraform workspace"))).toBe("terraform workspace select -or-create default");
    // One note for the merge request, written after every plan job, even a failed one.
    expect(doc["mr-note"]).toMatchObject({ stage: "note", when: "always" });
    expect(doc["mr-note"].script).toContain("npm run --silent mr-note -- mr-note.md");
    // The plan itself never leaves the job: artifacts are the masked summaries and GitLab's counts.
    expect(doc["plan:environment-prod"].artifacts.paths.every((p: string) => p.endsWith(".md"))).toBe(true);
    expect(doc["plan:environment-prod"].artifacts.reports.terraform).toBe(".apps-platform/report/environment-prod.json");
  });

  it("synthesize a merge request's stack alone in its plan job, before planning it, and fail on a stale folder", () => {
    const mr = childPipeline({ ...common, mode: "mr", selected }).doc as Record<string, any>;
    const check = mr[".apps-platform-stack"].before_script.find((l: string) => l.includes("--only"));
    expect(check).toBe(SYNTH_CHECK);
    expect(check).toContain('npm run --silent synth -- --config "$APPS_PLATFORM_SYNTH_CONFIG" --generated "$GENERATED_DIR" --only "$STACK" --quiet');
    expect(mr[".apps-platform-stack"].before_script.indexOf(check)).toBeLessThan(mr[".apps-platform-stack"].before_script.findIndex((l: string) => l.startsWith("terraform init")));
    // Only the merge request's plans check: after merge and on the drift schedule the committed stacks are planned as they are.
    for (const mode of ["main", "drift"] as const) {
      const doc = childPipeline({ ...common, mode, selected }).doc as Record<string, any>;
      for (const [, job] of jobsOf(doc)) expect((job.variables as Record<string, string> | undefined)?.APPS_PLATFORM_SYNTH_CONFIG).toBeUndefined();
    }
  });

  it("leave out the local-state bootstrap and the ephemeral template, and give an unchanged merge request one job", () => {
    expect(selected.map((s) => s.stack.name)).not.toEqual(expect.arrayContaining(["state-bootstrap"]));
    expect(selected.map((s) => s.stack.name)).not.toContain("ephemeral");
    const empty = childPipeline({ ...common, mode: "mr", selected: [] }).doc;
    expect(jobsOf(empty).map(([n]) => n)).toEqual(["mr-note"]);
    expect(jobsOf(childPipeline({ ...common, mode: "main", selected: [] }).doc).map(([n]) => n)).toEqual(["nothing-to-apply"]);
  });

  it("apply after merge in order: dev before prod, environments, onboarding, the fleet, tenants wave by wave", () => {
    const preds = selectedPredecessors(applyPredecessors(example, stacks), new Set(selected.map((s) => s.stack.name)));
    const doc = childPipeline({ ...common, mode: "main", selected, predecessors: preds }).doc as Record<string, any>;
    const needs = (stack: string) => doc[`plan:${stack}`].needs;
    expect(needs("ci-identity")).toEqual([]);
    expect(needs("environment-dev")).toEqual(["apply:ci-identity"]);
    expect(needs("environment-prod")).toEqual(["apply:environment-dev"]);
    expect(needs("onboarding-status-page")).toEqual(["apply:environment-prod"]);
    expect(doc["plan:service-payments-api-dev"]).toBeUndefined();
    expect(needs("tenant-acme-corp-dev")).toEqual(["apply:fleet-dev"]);
    expect(needs("tenant-globex-dev")).toEqual(["apply:tenant-acme-corp-dev"]);
    // Every stack of prod waits for dev's last ones.
    expect(needs("fleet-prod")).toEqual(expect.arrayContaining(["apply:tenant-globex-dev", "apply:tenant-initech-dev"]));
    // Its own environment too; a predecessor that another one already implies is not repeated.
    expect(needs("fleet-prod")).toContain("apply:environment-prod");
    expect(needs("tenant-globex-prod")).not.toContain("apply:environment-prod");
    expect(doc["apply:fleet-prod"]).toEqual({
      stage: doc["apply:fleet-prod"].stage,
      needs: ["plan:fleet-prod"],
      trigger: { include: [{ artifact: ".apps-platform/apply/fleet-prod.yml", job: "plan:fleet-prod" }], strategy: "depend" },
    });
    // A job only needs jobs of earlier stages.
    const stages: string[] = doc.stages;
    for (const [name, job] of jobsOf(doc)) {
      for (const n of (job.needs as string[]) ?? []) expect(stages.indexOf(doc[n].stage)).toBeLessThan(stages.indexOf(String(job.stage)) + (n.startsWith("gate:") ? 1 : 0) + (name.startsWith("gate:") ? 1 : 0));
    }
  });

  it("reach no more than GitLab's 50 needs per job, through gate jobs, with a large wave", () => {
    const big = configWith((r) => {
      for (let i = 0; i < 60; i++) r.fleet.tenants.push({ id: `t${i}`, tier: "pool", wave: "canary", stages: ["dev"] });
    });
    const all = pipelineStacks(big);
    const sel = all.filter((s) => !s.outOfPipeline).map((stack) => ({ stack, reasons: ["test"] }));
    const doc = childPipeline({ ...common, config: big, mode: "main", selected: sel, predecessors: selectedPredecessors(applyPredecessors(big, all), new Set(sel.map((s) => s.stack.name))) }).doc as Record<string, any>;
    const jobs = jobsOf(doc);
    expect(Math.max(...jobs.map(([, j]) => ((j.needs as unknown[]) ?? []).length))).toBeLessThanOrEqual(MAX_NEEDS);
    expect(jobs.some(([n]) => n.startsWith("gate:"))).toBe(true);
    // The general wave still waits for every canary tenant, through the gates.
    const reach = (job: string, seen = new Set<string>()): Set<string> => {
      for (const n of (doc[job].needs as string[]) ?? []) if (!seen.has(n)) (seen.add(n), reach(n, seen));
      return seen;
    };
    const upstream = reach("plan:tenant-globex-dev");
    for (let i = 0; i < 60; i++) expect(upstream.has(`apply:tenant-t${i}-dev`)).toBe(true);
  });

  it("apply manually when the plan destroys or replaces, automatically otherwise", () => {
    const stack = stacks.find((s) => s.name === "fleet-dev")!;
    const verdict = planVerdict({
      format_version: "1.2",
      resource_changes: [
        { address: "aws_s3_bucket.a", change: { actions: ["create"] } },
        { address: "aws_lb.b", change: { actions: ["delete", "create"] } },
        { address: "aws_iam_role.c", change: { actions: ["no-op"] } },
      ],
    });
    expect(verdict).toEqual({ changes: 2, destroys: ["aws_lb.b"] });
    const manual = applyPipeline({ ...common, stack, verdict }).doc as Record<string, any>;
    expect(manual["apply:fleet-dev"]).toMatchObject({ when: "manual", allow_failure: false, resource_group: "fleet-dev-dev", variables: { APPLY_GATE: "manual" } });
    expect(manual["apply:fleet-dev"].variables.ROLE_ARN).toBe("arn:aws:iam::111111111111:role/apps-platform/ci/apps-platform-ci-apply");
    const auto = applyPipeline({ ...common, stack, verdict: planVerdict({ format_version: "1.2", resource_changes: [{ address: "x", change: { actions: ["update"] } }] }) }).doc as Record<string, any>;
    expect(auto["apply:fleet-dev"].when).toBeUndefined();
    expect(auto["apply:fleet-dev"].script.join("\n")).toContain('if [ "$APPLY_GATE" = automatic ] && [ "$destroys" != 0 ]');
    expect(() => planVerdict({ not: "a plan" })).toThrow(/not the JSON of a saved plan/);
  });

  it("check drift with -detailed-exitcode, exit 2 a warning reported with --drift", () => {
    const doc = childPipeline({ ...common, mode: "drift", selected }).doc as Record<string, any>;
    expect(jobsOf(doc)).toHaveLength(selected.length);
    const job = doc["drift:environment-dev"];
    expect(job.allow_failure).toEqual({ exit_codes: [2] });
    expect(job.script.join("\n")).toMatch(/terraform plan -lock=false -input=false -detailed-exitcode/);
    expect(job.script.find((l: string) => l.startsWith("npm run --silent plan-summary"))).toContain("--drift");
    expect(job.variables.TF_VAR_ci_phase).toBe("plan");
  });

  // The job's script as GitLab's shell runs it (each line, stopping at the first that fails), with
  // terraform and npm stand-ins that exit as given: only drift reported in full is the warning (2).
  it.each([
    { what: "no drift", planCode: 0, summaryCode: 0, jobCode: 0 },
    { what: "drift, summarized", planCode: 2, summaryCode: 0, jobCode: 2 },
    { what: "drift, and plan-summary refuses its input", planCode: 2, summaryCode: 2, jobCode: 1 },
    { what: "drift, and plan-summary fails", planCode: 2, summaryCode: 1, jobCode: 1 },
    { what: "a failed plan", planCode: 1, summaryCode: 0, jobCode: 1 },
  ])("ends a drift job with $what with exit code $jobCode", ({ planCode, summaryCode, jobCode }) => {
    const doc = childPipeline({ ...common, mode: "drift", selected }).doc as Record<string, any>;
    // The template's folders for summaries and plans (its before_script), then the job's own lines.
    const folders = doc[".apps-platform-stack"].before_script.find((l: string) => l.startsWith("mkdir -p"));
    const script: string[] = [folders, ...doc["drift:environment-dev"].script];
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "drift-bin-"));
    fs.writeFileSync(path.join(bin, "terraform"), `#!/bin/sh\nif [ "$1" = plan ]; then exit ${planCode}; fi\necho '{}'\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\nexit ${summaryCode}\n`, { mode: 0o755 });
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "drift-project-"));
    const r = spawnSync("bash", ["--norc", "--noprofile", "-e", "-c", script.join("\n")], {
      cwd: project,
      encoding: "utf8",
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: project, CI_PROJECT_DIR: project, CI_JOB_URL: "https://gitlab.example/job/1", ...doc["drift:environment-dev"].variables, TF_WORKSPACE: "" },
    });
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: jobCode, stderr: "" });
  });
});

describe("npm run pipeline", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };
  let repo: string;
  const gitIn = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" });

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-"));
    fs.mkdirSync(path.join(repo, "config"));
    fs.copyFileSync(path.join(ROOT, "config", "example.yaml"), path.join(repo, "config", "example.yaml"));
    fs.cpSync(path.join(ROOT, "generated", "onboarding-status-page"), path.join(repo, "generated", "onboarding-status-page"), { recursive: true });
    gitIn("init", "-q", "-b", "main");
    gitIn("add", "-A");
    gitIn("commit", "-qm", "base");
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  it("plans exactly the stacks a merge request changes, and none when nothing changed", async () => {
    const base = gitIn("rev-parse", "HEAD").trim();
    const args = ["--config", path.join(repo, "config", "example.yaml"), "--generated", path.join(repo, "generated")];
    const unchanged = io();
    expect(await run(["--mode", "mr", ...args], { CI_MERGE_REQUEST_DIFF_BASE_SHA: base }, unchanged.io, repo)).toBe(0);
    expect(jobsOf(YAML.parse(unchanged.out.join(""))).map(([n]) => n)).toEqual(["mr-note"]);

    fs.appendFileSync(path.join(repo, "generated", "onboarding-status-page", "main.tf"), "\n# changed\n");
    const text = fs.readFileSync(path.join(repo, "config", "example.yaml"), "utf8").replace("LOG_LEVEL: info", "LOG_LEVEL: debug");
    fs.writeFileSync(path.join(repo, "config", "example.yaml"), text);
    gitIn("commit", "-qam", "change");
    const r = io();
    expect(await run(["--mode", "mr", "--base", base, "--out", path.join(repo, "child.yml"), ...args], {}, r.io, repo)).toBe(0);
    const doc = YAML.parse(fs.readFileSync(path.join(repo, "child.yml"), "utf8"));
    expect(jobsOf(doc).map(([n]) => n)).toEqual(["plan:onboarding-payments-api", "plan:onboarding-status-page", "mr-note"]);
    expect(r.err.join("")).toContain("onboarding-status-page: generated/onboarding-status-page/ changed");
    expect(r.err.join("")).toContain("onboarding-payments-api: config/example.yaml: services[payments-api] changed");
  });

  it("answers --help and refuses wrong use in one line", async () => {
    const h = io();
    expect(await run(["--help"], {}, h.io, repo)).toBe(0);
    expect(h.out.join("")).toContain("usage: npm run pipeline -- [options]");
    const cases: [string[], RegExp][] = [
      [["--mode", "mr", "--config", path.join(repo, "config", "example.yaml")], /^npm run pipeline: --mode mr needs the target branch's commit: --base <ref>, or CI_MERGE_REQUEST_DIFF_BASE_SHA/],
      [["--mode", "nightly"], /^npm run pipeline: --mode must be one of mr, main, drift, apply, got "nightly"/],
      [["--mode", "drift", "--base", "HEAD"], /^npm run pipeline: --base is for --mode mr or main, not --mode drift/],
      [["--mode", "mr", "--base", "no-such-ref", "--config", path.join(repo, "config", "example.yaml")], /^the base no-such-ref is not a commit of this clone: fetch it/],
      [["--mode", "apply", "--stack", "fleet-dev", "--plan", "missing.json", "--config", path.join(repo, "config", "example.yaml")], /^the plan file missing\.json \(from --plan\): not found\n?$/],
      [["--mdoe", "mr"], /^npm run pipeline: unknown option --mdoe; did you mean --mode\?/],
      // Written into the pipeline as the jobs' image: one reference.
      [["--mode", "drift", "--image", "registry.example/ci:1 ; id", "--config", path.join(repo, "config", "example.yaml")], /^npm run pipeline: --image must be an image reference .*, got "registry\.example\/ci:1 ; id"/],
      [["--mode", "drift", "--image", "x\nstages: [evil]", "--config", path.join(repo, "config", "example.yaml")], /^npm run pipeline: --image must be an image reference/],
    ];
    for (const [argv, re] of cases) {
      const e = io();
      expect(await run([...argv, "--generated", path.join(repo, "generated")], {}, e.io, repo)).toBe(2);
      expect(e.err.join("").trim().split("\n")).toHaveLength(1);
      expect(e.err.join("")).toMatch(re);
    }
    // The folder of the stacks: there, a folder, and one synth wrote (a stack folder with its marker).
    fs.writeFileSync(path.join(repo, "a-file"), "");
    for (const [generated, why] of [
      [path.join(repo, "none"), "not found; run npm run synth first"],
      [path.join(repo, "a-file"), "is a file, not a folder"],
      [path.join(repo, "config"), "holds no stack of the config that npm run synth wrote (a folder with .apps-platform-generated); name the folder synth writes, or run npm run synth"],
    ]) {
      const e = io();
      expect(await run(["--mode", "drift", "--config", path.join(repo, "config", "example.yaml"), "--generated", generated], {}, e.io, repo)).toBe(2);
      expect(e.err.join("")).toBe(`the folder of the generated HCL ${shownPath(generated)} (from --generated): ${why}\n`);
    }
    const ok = io();
    expect(await run(["--mode", "drift", "--config", path.join(repo, "config", "example.yaml"), "--generated", path.join(repo, "generated"), "--image", "$CI_REGISTRY_IMAGE/ci@sha256:0123"], {}, ok.io, repo)).toBe(0);
    expect(YAML.parse(ok.out.join("")).variables.APPS_PLATFORM_CI_IMAGE).toBe("$CI_REGISTRY_IMAGE/ci@sha256:0123");
  });
});
