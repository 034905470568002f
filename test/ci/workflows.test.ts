import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { z } from "zod";
import { ROOT } from "../helpers";

const step = z.union([
  z.strictObject({ uses: z.string().regex(/^[\w.-]+\/[\w.-]+@v\d+$/), with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() }),
  z.strictObject({ run: z.string().min(1) }),
]);
const githubJob = z.strictObject({
  if: z.string(),
  "runs-on": z.string(),
  concurrency: z.strictObject({ group: z.string(), "cancel-in-progress": z.literal(false) }),
  steps: z.array(step).min(1),
});
const githubWorkflow = z.strictObject({
  name: z.string(),
  on: z.strictObject({
    pull_request: z.strictObject({ types: z.array(z.enum(["opened", "synchronize", "reopened", "closed"])) }),
    schedule: z.array(z.strictObject({ cron: z.string().regex(/^(\S+\s){4}\S+$/) })).min(1),
    workflow_dispatch: z.object({}),
  }),
  permissions: z.strictObject({ "id-token": z.literal("write"), contents: z.literal("read"), "pull-requests": z.literal("write") }),
  env: z.record(z.string(), z.string()),
  jobs: z.strictObject({ up: githubJob, destroy: githubJob, reap: githubJob }),
});

const gitlabJob = z.object({
  extends: z.literal(".ephemeral"),
  stage: z.string(),
  resource_group: z.string(),
  rules: z.array(z.object({ if: z.string() })).min(1),
  script: z.array(z.string()).min(1),
});

const runs = (job: { steps: z.infer<typeof step>[] }) => job.steps.flatMap((s) => ("run" in s ? [s.run] : []));

describe("the ephemeral CI wiring", () => {
  const github = githubWorkflow.parse(YAML.parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "ephemeral.yml"), "utf8")));
  const gitlab = YAML.parse(fs.readFileSync(path.join(ROOT, "ci", "gitlab", "ephemeral.gitlab-ci.yml"), "utf8"));

  it("brings pr-<n> up on open and push, posts its outputs, destroys it on close and reaps nightly, through the CLI", () => {
    expect(github.on.pull_request.types).toEqual(expect.arrayContaining(["opened", "synchronize", "closed"]));
    expect(runs(github.jobs.up)).toEqual(expect.arrayContaining(["npm run ephemeral -- up --stage pr-${{ github.event.pull_request.number }}"]));
    expect(github.jobs.up.steps.some((s) => "uses" in s && s.uses.startsWith("actions/github-script@"))).toBe(true);
    expect(runs(github.jobs.destroy)).toContain("npm run ephemeral -- destroy --stage pr-${{ github.event.pull_request.number }}");
    expect(runs(github.jobs.reap)).toContain("npm run ephemeral -- reap");
    expect(github.jobs.up.if).toContain("github.event.action != 'closed'");
    expect(github.jobs.destroy.if).toContain("github.event.action == 'closed'");
  });

  it("assumes the role by OIDC and runs one job per stage at a time", () => {
    for (const job of Object.values(github.jobs)) {
      expect(job.steps.some((s) => "uses" in s && s.uses.startsWith("aws-actions/configure-aws-credentials@") && s.with?.["role-to-assume"])).toBe(true);
    }
    expect(github.jobs.up.concurrency.group).toBe("ephemeral-pr-${{ github.event.pull_request.number }}");
    expect(github.jobs.destroy.concurrency.group).toBe(github.jobs.up.concurrency.group);
  });

  it("has the GitLab equivalent: a review environment whose on_stop destroys the stage", () => {
    const up = gitlabJob.parse(gitlab["ephemeral:up"]);
    const destroy = gitlabJob.parse(gitlab["ephemeral:destroy"]);
    const reap = gitlabJob.parse(gitlab["ephemeral:reap"]);
    expect(gitlab["ephemeral:up"].environment).toMatchObject({ name: "review/$EPHEMERAL_STAGE", on_stop: "ephemeral:destroy" });
    expect(gitlab["ephemeral:destroy"].environment).toEqual({ name: "review/$EPHEMERAL_STAGE", action: "stop" });
    expect(up.script).toContain('npm run ephemeral -- up --stage "$EPHEMERAL_STAGE"');
    expect(destroy.script).toEqual(['npm run ephemeral -- destroy --stage "$EPHEMERAL_STAGE"']);
    expect(reap.rules[0].if).toBe('$CI_PIPELINE_SOURCE == "schedule"');
    expect(up.resource_group).toBe(destroy.resource_group);
    expect(gitlab[".ephemeral"].id_tokens.AWS_ID_TOKEN.aud).toBe("https://gitlab.com");
  });
});
