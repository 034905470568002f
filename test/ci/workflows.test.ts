import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { z } from "zod";
import { ROOT, exampleConfig, synthPlatform } from "../helpers";
import { gitlabAudience } from "../../src/policy/ci";

/** An action pinned to a full commit, with the version it is in a comment next to it (kept in the raw text). */
const PINNED = /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/;
const step = z.union([
  z.strictObject({ uses: z.string().regex(PINNED, { error: "must be pinned to a commit" }), with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() }),
  z.strictObject({ run: z.string().min(1) }),
]);
const githubJob = z.strictObject({
  if: z.string(),
  "runs-on": z.string(),
  needs: z.string().optional(),
  environment: z.string().optional(),
  permissions: z.record(z.string(), z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  concurrency: z.strictObject({ group: z.string(), "cancel-in-progress": z.literal(false) }),
  steps: z.array(step).min(1),
});
const githubWorkflow = z.strictObject({
  name: z.string(),
  on: z.strictObject({
    pull_request: z.strictObject({ types: z.array(z.enum(["opened", "synchronize", "reopened", "closed"])) }),
    push: z.strictObject({ branches: z.array(z.string()) }),
    schedule: z.array(z.strictObject({ cron: z.string().regex(/^(\S+\s){4}\S+$/) })).min(1),
    workflow_dispatch: z.object({}),
  }),
  permissions: z.strictObject({ "id-token": z.literal("write"), contents: z.literal("read") }),
  env: z.record(z.string(), z.string()),
  jobs: z.strictObject({ up: githubJob, destroy: githubJob, reap: githubJob, "authorizer-dev": githubJob, "authorizer-stage": githubJob, "authorizer-prod": githubJob }),
});

const gitlabJob = z.object({
  extends: z.enum([".ephemeral", ".authorizer:stable"]),
  stage: z.string().optional(),
  resource_group: z.string(),
  rules: z.array(z.object({ if: z.string() })).min(1).optional(),
  script: z.array(z.string()).min(1).optional(),
});

const runs = (job: { steps: z.infer<typeof step>[] }) => job.steps.flatMap((s) => ("run" in s ? [s.run] : []));
const uses = (job: { steps: z.infer<typeof step>[] }) => job.steps.flatMap((s) => ("uses" in s ? [s.uses] : []));
const roleOf = (job: { steps: z.infer<typeof step>[] }) => job.steps.flatMap((s) => ("uses" in s && s.uses.startsWith("aws-actions/configure-aws-credentials@") ? [s.with?.["role-to-assume"]] : []));

describe("the ephemeral CI wiring", () => {
  const githubText = fs.readFileSync(path.join(ROOT, ".github", "workflows", "ephemeral.yml"), "utf8");
  const github = githubWorkflow.parse(YAML.parse(githubText));
  const gitlab = YAML.parse(fs.readFileSync(path.join(ROOT, "ci", "gitlab", "ephemeral.gitlab-ci.yml"), "utf8"));
  const config = exampleConfig();

  it("brings pr-<n> up on open and push, keeps one comment with its outputs, destroys it on close and reaps nightly, through the CLI", () => {
    expect(github.on.pull_request.types).toEqual(expect.arrayContaining(["opened", "synchronize", "closed"]));
    expect(github.jobs.up.env).toEqual({ STAGE: "pr-${{ github.event.pull_request.number }}" });
    expect(runs(github.jobs.up)).toEqual(expect.arrayContaining(['npm run ephemeral -- up --stage "$STAGE"', 'npm run --silent ephemeral -- outputs --stage "$STAGE" > outputs.json']));
    const script = github.jobs.up.steps.find((s) => "uses" in s && s.uses.startsWith("actions/github-script@"));
    expect(script && "with" in script && String(script.with?.script)).toEqual(expect.stringContaining("updateComment"));
    expect(String((script as unknown as { with: { script: string } }).with.script)).toContain("<!-- apps-platform:ephemeral-stage -->");
    expect(github.jobs.up.permissions).toEqual({ "id-token": "write", contents: "read", "pull-requests": "write" });
    expect(runs(github.jobs.destroy)).toContain('npm run ephemeral -- destroy --stage "pr-${{ github.event.pull_request.number }}"');
    expect(runs(github.jobs.reap)).toContain("npm run ephemeral -- reap");
    expect(github.jobs.up.if).toContain("github.event.action != 'closed'");
    expect(github.jobs.destroy.if).toContain("github.event.action == 'closed'");
  });

  it("assumes EPHEMERAL_ROLE_ARN for per-PR stages and EPHEMERAL_STABLE_ROLE_ARN for the stable ones, with every action pinned", () => {
    for (const name of ["up", "destroy", "reap"] as const) expect(roleOf(github.jobs[name])).toEqual(["${{ vars.EPHEMERAL_ROLE_ARN }}"]);
    for (const name of ["authorizer-dev", "authorizer-stage", "authorizer-prod"] as const) expect(roleOf(github.jobs[name])).toEqual(["${{ vars.EPHEMERAL_STABLE_ROLE_ARN }}"]);
    // Each pinned action names its version next to the commit.
    for (const u of new Set(Object.values(github.jobs).flatMap(uses))) expect(githubText).toMatch(new RegExp(`${u.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} # v\\d`));
    for (const job of Object.values(github.jobs)) expect(uses(job).some((u) => u.startsWith("hashicorp/setup-terraform@"))).toBe(true);
    expect(github.jobs.up.concurrency.group).toBe("ephemeral-pr-${{ github.event.pull_request.number }}");
    expect(github.jobs.destroy.concurrency.group).toBe(github.jobs.up.concurrency.group);
  });

  it("promotes dev, stage, prod from main in that order, each in its environment (whose name the stable role's trust names)", () => {
    const [dev, stage, prod] = (["authorizer-dev", "authorizer-stage", "authorizer-prod"] as const).map((n) => github.jobs[n]);
    expect([dev.needs, stage.needs, prod.needs]).toEqual([undefined, "authorizer-dev", "authorizer-stage"]);
    expect([dev.environment, stage.environment, prod.environment]).toEqual(Object.keys(config.ephemeral!.stableStages!));
    for (const job of [dev, stage, prod]) {
      expect(job.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
      expect(runs(job)).toContain(`npm run ephemeral -- up --stable ${job.environment}`);
    }
  });

  it("runs GitLab jobs in the CI image with the job's ID token for the configured audience, under its own role", () => {
    expect(gitlab[".ephemeral"].image).toBe("$APPS_PLATFORM_CI_IMAGE");
    expect(gitlab.variables.APPS_PLATFORM_CI_IMAGE).toMatch(/\S+:\S+/);
    expect(gitlab[".ephemeral"].id_tokens.AWS_ID_TOKEN.aud).toBe("$EPHEMERAL_OIDC_AUDIENCE");
    expect(gitlab.variables.EPHEMERAL_OIDC_AUDIENCE).toBe(gitlabAudience(config.ciIdentity.gitlab!));
    expect(gitlab[".ephemeral"].variables.ROLE_ARN).toBe("$EPHEMERAL_ROLE_ARN");
    expect(gitlab[".authorizer:stable"].variables.ROLE_ARN).toBe("$EPHEMERAL_STABLE_ROLE_ARN");
    // The token goes to the SDK as a file, never onto the command line or into the log.
    expect(gitlab[".ephemeral"].before_script.join("\n")).toContain("AWS_WEB_IDENTITY_TOKEN_FILE");
    expect(gitlab[".ephemeral"].before_script.join("\n")).not.toMatch(/echo[^\n]*\$AWS_ID_TOKEN/);
  });

  it("has the GitLab equivalent: a review environment whose on_stop destroys the stage, one MR note edited in place", () => {
    const up = gitlabJob.parse(gitlab["ephemeral:up"]);
    const destroy = gitlabJob.parse(gitlab["ephemeral:destroy"]);
    const reap = gitlabJob.parse(gitlab["ephemeral:reap"]);
    expect(gitlab["ephemeral:up"].environment).toMatchObject({ name: "review/$EPHEMERAL_STAGE", on_stop: "ephemeral:destroy" });
    expect(gitlab["ephemeral:destroy"].environment).toEqual({ name: "review/$EPHEMERAL_STAGE", action: "stop" });
    expect(up.script).toContain('npm run ephemeral -- up --stage "$EPHEMERAL_STAGE"');
    const note = up.script!.join("\n");
    // The note is mr-note's, kept apart from the plan summary's by its marker (test/delivery/mr-note.test.ts).
    expect(note).toContain("npm run --silent mr-note -- --marker ephemeral-stage stage-note.md");
    expect(note).toContain('outputs --stage "$EPHEMERAL_STAGE" --markdown > stage-note.md');
    expect(destroy.script).toEqual(['npm run ephemeral -- destroy --stage "$EPHEMERAL_STAGE"']);
    expect(reap.rules![0].if).toBe('$CI_PIPELINE_SOURCE == "schedule" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH');
    expect(up.resource_group).toBe(destroy.resource_group);
  });

  it("promotes the stable stages on GitLab from the default branch, each after the one before, each a tiered environment", () => {
    const jobs = ["authorizer:dev", "authorizer:stage", "authorizer:prod"].map((n) => ({ n, job: gitlabJob.parse(gitlab[n]), raw: gitlab[n] }));
    expect(jobs.map((j) => j.raw.needs)).toEqual([undefined, ["authorizer:dev"], ["authorizer:stage"]]);
    expect(jobs.map((j) => j.raw.environment)).toEqual([
      { name: "dev", deployment_tier: "development" },
      { name: "stage", deployment_tier: "staging" },
      { name: "prod", deployment_tier: "production" },
    ]);
    expect(gitlab[".authorizer:stable"].rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]);
    expect(gitlab[".authorizer:stable"].script).toContain('npm run ephemeral -- up --stable "$CI_ENVIRONMENT_NAME"');
  });

  it("names the EPHEMERAL_ROLE_ARN the pipelines read as a described output of ci-identity", () => {
    const outputs = synthPlatform(config).json.get("ci-identity")!.output as Record<string, { description?: string; value: string }>;
    expect(outputs.ephemeral_role_arn.description).toContain("EPHEMERAL_ROLE_ARN");
    expect(outputs.ephemeral_stable_role_arn.description).toContain("EPHEMERAL_STABLE_ROLE_ARN");
  });
});
