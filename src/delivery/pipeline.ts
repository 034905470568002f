import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { PlatformConfig } from "../config/schema";
import { JobRole, PipelineStack, jobAudience } from "./pipeline-stacks";

/**
 * The GitLab child pipelines of the platform repository, as data: `mr` plans each changed stack with
 * the read-only roles and posts one summary note; `main` re-plans each changed stack after merge, in
 * dependency order, and applies it through a pipeline of its own whose apply job is manual when the
 * plan destroys or replaces anything; `drift` plans every stack and reports what changed outside
 * Terraform. Every job runs in the CI image (`image: $APPS_PLATFORM_CI_IMAGE`, ci/image/Dockerfile).
 */

export type Mode = "mr" | "main" | "drift";
export const MODES: readonly Mode[] = ["mr", "main", "drift"];

/** GitLab refuses more `needs` per job; larger fan-ins go through gate jobs. */
export const MAX_NEEDS = 50;

/** The variable that names the CI image in every job. */
export const IMAGE_VARIABLE = "APPS_PLATFORM_CI_IMAGE";

/** The files the CI image is built from; its tag is a hash of them, so a change gives a new tag. */
export const IMAGE_INPUTS = ["ci/image/Dockerfile", ".terraform-version", "scripts/lib.sh", "scripts/terraform.sh", "scripts/providers.sh"] as const;

/** `ci-<12 hex>`: the first 12 hex digits of the SHA-256 of the image inputs, concatenated in order (as `cat … | sha256sum`). */
export function imageTag(root: string): string {
  const hash = createHash("sha256");
  for (const file of IMAGE_INPUTS) hash.update(fs.readFileSync(path.join(root, file)));
  return `ci-${hash.digest("hex").slice(0, 12)}`;
}

/** The image reference the root pipeline pins by default. */
export function defaultImage(root: string): string {
  return `$CI_REGISTRY_IMAGE/ci:${imageTag(root)}`;
}

export interface SelectedStack {
  readonly stack: PipelineStack;
  /** Why it is in the pipeline (changed files, config paths), one line each. */
  readonly reasons: readonly string[];
}

export interface PipelineInput {
  readonly mode: Mode;
  readonly config: PlatformConfig;
  /** The stacks to plan or apply, in synth order. */
  readonly selected: readonly SelectedStack[];
  /** For main: each selected stack's selected predecessors (applied before it). */
  readonly predecessors?: ReadonlyMap<string, readonly string[]>;
  /** Where the generated stacks are, relative to the repository root. */
  readonly generatedDir: string;
  /** The config file, relative to the repository root. */
  readonly configFile: string;
  /** The image the jobs run in (written as the child's default of $APPS_PLATFORM_CI_IMAGE). */
  readonly image: string;
  /** What the change was measured against, for the header. */
  readonly base?: string;
  /** Stacks whose folders the change removed. */
  readonly removed?: readonly string[];
  /** The merge request, for the note job. */
  readonly mergeRequestIid?: string;
}

type Job = Record<string, unknown>;
export interface Pipeline {
  /** Comment lines written above the YAML. */
  readonly header: string[];
  readonly doc: Record<string, unknown>;
}

/** The directory (relative to the project directory) that jobs write their summaries and reports to. */
const OUT = ".apps-platform";
const summaryFile = (stack: string) => `${OUT}/summary/${stack}.md`;
const fullFile = (stack: string) => `${OUT}/full/${stack}.md`;
const reportFile = (stack: string) => `${OUT}/report/${stack}.json`;
const applyPipelineFile = (stack: string) => `${OUT}/apply/${stack}.yml`;

/** Shell: a value in double quotes, for a script line. */
const dq = (s: string) => `"${s.replace(/(["\\$`])/g, "\\$1")}"`;

const NODE_TEMPLATE = ".apps-platform-node";
const STACK_TEMPLATE = ".apps-platform-stack";

/** Installs the project's packages unless the lock file's cache brought them. */
export const INSTALL = "test -d node_modules || npm ci --no-audit --no-fund";

/** The variable that names the config in a job that checks its stack against a synth of it (SYNTH_CHECK). */
export const SYNTH_CONFIG_VARIABLE = "APPS_PLATFORM_SYNTH_CONFIG";

/** With APPS_PLATFORM_SYNTH_CONFIG set: synthesizes the job's stack alone and fails when its committed folder is not what synth writes. */
export const SYNTH_CHECK =
  `if [ -n "\${${SYNTH_CONFIG_VARIABLE}:-}" ]; then ` +
  `npm run --silent synth -- --config "$${SYNTH_CONFIG_VARIABLE}" --generated "$GENERATED_DIR" --only "$STACK" --quiet && ` +
  `if [ -n "$(git status --porcelain -- "$GENERATED_DIR/$STACK")" ]; then git status --short -- "$GENERATED_DIR/$STACK"; ` +
  `echo "$GENERATED_DIR/$STACK is not what npm run synth writes from $${SYNTH_CONFIG_VARIABLE}: run npm run synth and commit the result"; exit 1; fi; fi`;

/** The hidden jobs every generated job extends. */
function templates(config: PlatformConfig, generatedDir: string): Record<string, Job> {
  return {
    [NODE_TEMPLATE]: {
      image: `$${IMAGE_VARIABLE}`,
      // node_modules per lock file; npm ci runs only when the cache had none.
      cache: { key: { files: ["package-lock.json"] }, paths: ["node_modules/"], policy: "pull-push" },
      variables: { CHECKPOINT_DISABLE: "1" },
      before_script: [INSTALL],
    },
    [STACK_TEMPLATE]: {
      extends: NODE_TEMPLATE,
      // The job's OIDC token, exchanged for the role of the job: no stored AWS keys.
      id_tokens: { AWS_ID_TOKEN: { aud: jobAudience(config) } },
      variables: { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", AWS_REGION: config.region, AWS_DEFAULT_REGION: config.region, GENERATED_DIR: generatedDir },
      before_script: [
        INSTALL,
        // A merge request's plan job first synthesizes its own stack (`--only`, reusing what the cache
        // holds) and stops when the committed folder differs: what it plans is what the sources make.
        SYNTH_CHECK,
        `mkdir -p "$CI_PROJECT_DIR/${OUT}/summary" "$CI_PROJECT_DIR/${OUT}/full" "$CI_PROJECT_DIR/${OUT}/report" "$CI_PROJECT_DIR/${OUT}/apply" "$CI_PROJECT_DIR/.tfplan/$STACK"`,
        // The credentials of ROLE_ARN; the token and the keys are never printed.
        `creds="$(aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN" --role-session-name "gitlab-$CI_JOB_ID" --web-identity-token "$AWS_ID_TOKEN" --duration-seconds 3600 --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)"`,
        `export AWS_ACCESS_KEY_ID="$(printf '%s' "$creds" | cut -f1)" AWS_SECRET_ACCESS_KEY="$(printf '%s' "$creds" | cut -f2)" AWS_SESSION_TOKEN="$(printf '%s' "$creds" | cut -f3)"`,
        "unset creds",
        `cd "$CI_PROJECT_DIR/$GENERATED_DIR/$STACK"`,
        // The image's provider mirror holds the providers scripts/providers.sh could build; where those
        // differ from the versions the bindings pin, the constraint names the mirror's (as in the e2e scripts).
        `. "$APPS_PLATFORM_PROVIDER_MIRROR/versions.env"`,
        `if [ "$PROVIDER_AWS_VERSION" != "$PROVIDER_AWS_WANTED" ] || [ "$PROVIDER_RANDOM_VERSION" != "$PROVIDER_RANDOM_WANTED" ]; then echo "NOTE: the image's providers are aws $PROVIDER_AWS_VERSION and random $PROVIDER_RANDOM_VERSION; the generated code pins aws $PROVIDER_AWS_WANTED and random $PROVIDER_RANDOM_WANTED"; sed -i -e "s/version = \\"$PROVIDER_AWS_WANTED\\"/version = \\"$PROVIDER_AWS_VERSION\\"/" -e "s/version = \\"$PROVIDER_RANDOM_WANTED\\"/version = \\"$PROVIDER_RANDOM_VERSION\\"/" main.tf; fi`,
        // Local testing only (scripts/e2e-pipeline.sh): provider and backend settings of an emulator.
        `if [ -n "\${APPS_PLATFORM_LOCAL_OVERRIDES:-}" ]; then echo "NOTE: local test run: provider and backend overrides from $APPS_PLATFORM_LOCAL_OVERRIDES"; cp "$APPS_PLATFORM_LOCAL_OVERRIDES/$STACK/"*.tf .; fi`,
        `terraform init -input=false \${APPS_PLATFORM_LOCAL_OVERRIDES:+-backend-config=$APPS_PLATFORM_LOCAL_OVERRIDES/backend.tfbackend}`,
      ],
    },
  };
}

function stackVariables(stack: PipelineStack, role: JobRole, extra: Record<string, string> = {}): Record<string, string> {
  return { STACK: stack.name, ROLE_ARN: role.roleArn, ...role.variables, ...extra };
}

/** Selects the stack's workspace (S3 state); nothing with Terraform Cloud's named workspaces. */
function workspaceLines(stack: PipelineStack): string[] {
  return stack.workspace ? [`terraform workspace select -or-create ${stack.workspace}`] : [];
}

const resourceGroup = (stack: PipelineStack) => `${stack.name}-${stack.workspace ?? "cloud"}`;
const tfplan = (stack: PipelineStack) => `$CI_PROJECT_DIR/.tfplan/${stack.name}`;

function summaryLine(stack: PipelineStack, title: string, flags: string[] = []): string {
  return [
    "npm run --silent plan-summary --",
    ...flags,
    `--title ${dq(title)}`,
    `--gitlab-report "$CI_PROJECT_DIR/${reportFile(stack.name)}"`,
    `--full "$CI_PROJECT_DIR/${fullFile(stack.name)}"`,
    `--details-url "$CI_JOB_URL/artifacts/file/${fullFile(stack.name)}"`,
    `"${stack.name}=${tfplan(stack)}/plan.json"`,
    `> "$CI_PROJECT_DIR/${summaryFile(stack.name)}"`,
  ].join(" ");
}

/** Artifacts of a planning job: the masked summaries and GitLab's counts; never the plan itself. */
function planArtifacts(stack: PipelineStack, extra: string[] = []): Job {
  return {
    when: "always",
    access: "developer",
    expire_in: "30 days",
    paths: [summaryFile(stack.name), fullFile(stack.name), ...extra],
    reports: { terraform: reportFile(stack.name) },
  };
}

function mrPlanJob(s: SelectedStack, configFile: string): Job {
  const { stack } = s;
  return {
    extends: STACK_TEMPLATE,
    stage: "plan",
    resource_group: resourceGroup(stack),
    variables: stackVariables(stack, stack.plan, { [SYNTH_CONFIG_VARIABLE]: configFile }),
    script: [
      `echo ${dq(`${stack.name}: ${s.reasons.join("; ")}`)}`,
      ...workspaceLines(stack),
      `terraform plan -lock=false -input=false -out="${tfplan(stack)}/plan.out"`,
      `terraform show -json "${tfplan(stack)}/plan.out" > "${tfplan(stack)}/plan.json"`,
      summaryLine(stack, `${stack.name} (merge request plan)`),
      `cat "$CI_PROJECT_DIR/${summaryFile(stack.name)}"`,
    ],
    artifacts: planArtifacts(stack),
  };
}

function driftJob(s: SelectedStack): Job {
  const { stack } = s;
  return {
    extends: STACK_TEMPLATE,
    stage: "drift",
    resource_group: resourceGroup(stack),
    variables: stackVariables(stack, stack.plan),
    script: [
      ...workspaceLines(stack),
      "code=0",
      `terraform plan -lock=false -input=false -detailed-exitcode -out="${tfplan(stack)}/plan.out" || code=$?`,
      `if [ "$code" = 1 ]; then exit 1; fi`,
      `if [ "$code" = 0 ]; then echo ${dq(`${stack.name}: no drift`)}; exit 0; fi`,
      `terraform show -json "${tfplan(stack)}/plan.out" > "${tfplan(stack)}/plan.json"`,
      // plan-summary's own exit code 2 (a missing or unreadable plan) must fail the job, not pass as drift.
      `${summaryLine(stack, `${stack.name} drift`, ["--drift"])} || exit 1`,
      `cat "$CI_PROJECT_DIR/${summaryFile(stack.name)}"`,
      `echo ${dq(`${stack.name}: DRIFT: the infrastructure differs from the committed configuration`)}`,
      "exit 2",
    ],
    // Drift is a warning on the pipeline, an error is a failure.
    allow_failure: { exit_codes: [2] },
    artifacts: planArtifacts(stack),
  };
}

function notePipelineJob(input: PipelineInput, stacks: readonly PipelineStack[]): Job {
  const files = stacks.map((s) => summaryFile(s.name));
  return {
    extends: NODE_TEMPLATE,
    stage: "note",
    // Also after a failed plan, so that the note never shows an older plan as current.
    when: "always",
    variables: input.mergeRequestIid ? { APPS_PLATFORM_MR_IID: input.mergeRequestIid } : {},
    script: [
      stacks.length === 0
        ? `printf '%s\\n' ${dq(`### Terraform plans\n\nNo stack changes against ${input.base ?? "the target branch"}: nothing to plan.`)} > mr-note.md`
        : `for f in ${files.join(" ")}; do if [ -f "$f" ]; then cat "$f"; else printf '\\n**%s**: its plan job did not finish; see the job log.\\n' "$(basename "$f" .md)"; fi; echo; done > mr-note.md`,
      "cat mr-note.md",
      `if [ -z "\${GITLAB_NOTE_TOKEN:-}" ]; then echo "NOTE: GITLAB_NOTE_TOKEN is not set: the summary stays in this job's artifacts, no note is written"; exit 0; fi`,
      `export CI_MERGE_REQUEST_IID="\${CI_MERGE_REQUEST_IID:-$APPS_PLATFORM_MR_IID}"`,
      "npm run --silent mr-note -- mr-note.md",
    ],
    artifacts: { when: "always", access: "developer", expire_in: "30 days", paths: ["mr-note.md"] },
  };
}

function header(input: PipelineInput, what: string): string[] {
  const lines = [
    `Generated by \`npm run pipeline -- --mode ${input.mode}\` from ${input.configFile}${input.base ? ` against ${input.base}` : ""}: ${what}.`,
    ...input.selected.map((s) => `  ${s.stack.name}: ${s.reasons.join("; ")}`),
  ];
  for (const r of input.removed ?? []) lines.push(`  ${r}: removed from ${input.generatedDir}/; its resources stay until someone destroys them (nothing here does)`);
  return lines;
}

function baseDoc(input: PipelineInput, stages: string[]): Record<string, unknown> {
  return {
    variables: { [IMAGE_VARIABLE]: input.image },
    stages,
    ...templates(input.config, input.generatedDir),
  };
}

/** The child pipeline of one mode. */
export function childPipeline(input: PipelineInput): Pipeline {
  if (input.mode === "mr") {
    const jobs: Record<string, Job> = {};
    for (const s of input.selected) jobs[`plan:${s.stack.name}`] = mrPlanJob(s, input.configFile);
    jobs["mr-note"] = notePipelineJob(input, input.selected.map((s) => s.stack));
    const stages = input.selected.length ? ["plan", "note"] : ["note"];
    return { header: header(input, `${input.selected.length} plan job${input.selected.length === 1 ? "" : "s"}`), doc: { ...baseDoc(input, stages), ...jobs } };
  }
  if (input.mode === "drift") {
    const jobs: Record<string, Job> = {};
    for (const s of input.selected) jobs[`drift:${s.stack.name}`] = driftJob(s);
    if (input.selected.length === 0) jobs["no-stacks"] = { extends: NODE_TEMPLATE, stage: "drift", before_script: [], script: [`echo "no stack to check for drift"`] };
    return { header: header(input, `${input.selected.length} drift check${input.selected.length === 1 ? "" : "s"}`), doc: { ...baseDoc(input, ["drift"]), ...jobs } };
  }
  return mainPipeline(input);
}

/** The apply order's levels: a stack's level is one more than its deepest predecessor's. */
function levels(names: readonly string[], preds: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const level = new Map<string, number>();
  const of = (n: string, seen: Set<string> = new Set()): number => {
    const known = level.get(n);
    if (known !== undefined) return known;
    if (seen.has(n)) throw new Error(`the apply order has a cycle through ${n}`);
    seen.add(n);
    const l = Math.max(0, ...(preds.get(n) ?? []).map((p) => of(p, seen) + 1));
    level.set(n, l);
    return l;
  };
  names.forEach((n) => of(n));
  return level;
}

function mainPipeline(input: PipelineInput): Pipeline {
  const preds = input.predecessors ?? new Map<string, string[]>();
  const names = input.selected.map((s) => s.stack.name);
  const level = levels(names, preds);
  const depth = Math.max(-1, ...level.values()) + 1;
  const stages: string[] = [];
  for (let l = 0; l < depth; l++) stages.push(`step-${l + 1}-plan`, `step-${l + 1}-apply`);
  const jobs: Record<string, Job> = {};
  let gates = 0;
  /** `needs` of at most MAX_NEEDS, through gate jobs in the stage of the jobs they wait for. */
  const needsOf = (list: string[], stage: string): string[] => {
    if (list.length <= MAX_NEEDS) return list;
    const chunks: string[] = [];
    for (let i = 0; i < list.length; i += MAX_NEEDS) {
      const name = `gate:${++gates}`;
      jobs[name] = { extends: NODE_TEMPLATE, stage, before_script: [], script: [`echo "applied: ${list.slice(i, i + MAX_NEEDS).length} stacks"`], needs: list.slice(i, i + MAX_NEEDS) };
      chunks.push(name);
    }
    return needsOf(chunks, stage);
  };
  for (const s of input.selected) {
    const { stack } = s;
    const l = level.get(stack.name)!;
    const before = (preds.get(stack.name) ?? []).map((p) => `apply:${p}`);
    jobs[`plan:${stack.name}`] = {
      extends: STACK_TEMPLATE,
      stage: `step-${l + 1}-plan`,
      resource_group: resourceGroup(stack),
      needs: needsOf(before, `step-${l}-apply`),
      variables: stackVariables(stack, stack.apply),
      script: [
        `echo ${dq(`${stack.name}: ${s.reasons.join("; ")}`)}`,
        ...workspaceLines(stack),
        `terraform plan -input=false -out="${tfplan(stack)}/plan.out"`,
        `terraform show -json "${tfplan(stack)}/plan.out" > "${tfplan(stack)}/plan.json"`,
        summaryLine(stack, `${stack.name} (after merge)`),
        `cat "$CI_PROJECT_DIR/${summaryFile(stack.name)}"`,
        // The apply pipeline of this stack: its apply job is manual when the plan destroys or replaces.
        `npm run --silent pipeline -- --mode apply --stack ${stack.name} --plan "${tfplan(stack)}/plan.json" --config ${input.configFile} --generated ${input.generatedDir} --out "$CI_PROJECT_DIR/${applyPipelineFile(stack.name)}"`,
      ],
      artifacts: planArtifacts(stack, [applyPipelineFile(stack.name)]),
    };
    jobs[`apply:${stack.name}`] = {
      stage: `step-${l + 1}-apply`,
      needs: [`plan:${stack.name}`],
      trigger: { include: [{ artifact: applyPipelineFile(stack.name), job: `plan:${stack.name}` }], strategy: "depend" },
    };
  }
  if (input.selected.length === 0) {
    stages.push("apply");
    jobs["nothing-to-apply"] = { extends: NODE_TEMPLATE, stage: "apply", before_script: [], script: [`echo ${dq(`no stack changed against ${input.base ?? "the previous commit"}: nothing to apply`)}`] };
  }
  return { header: header(input, `${input.selected.length} stacks to re-plan and apply in ${depth} steps`), doc: { ...baseDoc(input, stages), ...jobs } };
}

/** What a saved plan does, from `terraform show -json`. */
export interface PlanVerdict {
  /** Resources it creates, updates, replaces or deletes, and outputs it changes. */
  readonly changes: number;
  /** Resources it deletes or replaces (a replace deletes). */
  readonly destroys: readonly string[];
}

export function planVerdict(planJson: unknown): PlanVerdict {
  const plan = planJson as { resource_changes?: { address: string; change?: { actions?: string[] } }[]; output_changes?: Record<string, { actions?: string[] }> };
  if (!plan || typeof plan !== "object" || !("format_version" in (plan as object))) throw new Error("is not the JSON of a saved plan (terraform show -json <plan>)");
  const quiet = (a: string[] | undefined) => !a || a.every((x) => x === "no-op" || x === "read");
  const resources = plan.resource_changes ?? [];
  const outputs = Object.values(plan.output_changes ?? {});
  return {
    changes: resources.filter((r) => !quiet(r.change?.actions)).length + outputs.filter((o) => !quiet(o.actions)).length,
    destroys: resources.filter((r) => r.change?.actions?.includes("delete")).map((r) => r.address),
  };
}

/**
 * The pipeline that applies one stack after merge: one job, manual when the deciding plan destroys or
 * replaces anything, automatic otherwise. The job plans again (state may have moved since) and an
 * automatic job refuses a plan that now destroys.
 */
export function applyPipeline(input: { config: PlatformConfig; stack: PipelineStack; verdict: PlanVerdict; generatedDir: string; configFile: string; image: string }): Pipeline {
  const { stack, verdict } = input;
  const gate = verdict.destroys.length > 0 ? "manual" : "automatic";
  const head = [
    `Generated by \`npm run pipeline -- --mode apply --stack ${stack.name}\`: ${
      verdict.changes === 0
        ? "the plan has no changes"
        : gate === "manual"
          ? `a manual apply: the plan destroys or replaces ${verdict.destroys.length} resource${verdict.destroys.length === 1 ? "" : "s"}`
          : `an automatic apply of ${verdict.changes} change${verdict.changes === 1 ? "" : "s"}, none destroys`
    }.`,
    ...verdict.destroys.map((a) => `  destroys: ${a}`),
  ];
  const doc: Record<string, unknown> = {
    variables: { [IMAGE_VARIABLE]: input.image },
    stages: ["apply"],
    ...templates(input.config, input.generatedDir),
  };
  if (verdict.changes === 0) {
    doc[`apply:${stack.name}`] = { extends: NODE_TEMPLATE, stage: "apply", before_script: [], script: [`echo ${dq(`${stack.name}: the plan after merge has no changes; nothing to apply`)}`] };
    return { header: head, doc };
  }
  doc[`apply:${stack.name}`] = {
    extends: STACK_TEMPLATE,
    stage: "apply",
    resource_group: resourceGroup(stack),
    environment: { name: stack.stage ?? "platform", action: "start" },
    ...(gate === "manual" ? { when: "manual", allow_failure: false } : {}),
    variables: stackVariables(stack, stack.apply, { APPLY_GATE: gate }),
    script: [
      ...workspaceLines(stack),
      `terraform plan -input=false -out="${tfplan(stack)}/plan.out"`,
      `terraform show -json "${tfplan(stack)}/plan.out" > "${tfplan(stack)}/plan.json"`,
      `destroys="$(jq '[.resource_changes[]? | select(.change.actions | index("delete"))] | length' "${tfplan(stack)}/plan.json")"`,
      `if [ "$APPLY_GATE" = automatic ] && [ "$destroys" != 0 ]; then echo ${dq(`${stack.name}: the plan now destroys or replaces resources, which its deciding plan did not: run the pipeline again to get a manual apply`)}; exit 1; fi`,
      `terraform apply -input=false "${tfplan(stack)}/plan.out"`,
    ],
  };
  return { header: head, doc };
}

/** The pipeline as a file: its header as comments, then the YAML. */
export function pipelineText(p: Pipeline): string {
  return `${p.header.map((l) => `# ${l}`.trimEnd()).join("\n")}\n${YAML.stringify(p.doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** Jobs of a pipeline document (keys that are not GitLab's top-level keywords and not hidden). */
export function jobsOf(doc: Record<string, unknown>): [string, Job][] {
  const reserved = new Set(["variables", "stages", "default", "include", "workflow", "image", "services", "cache", "before_script", "after_script"]);
  return Object.entries(doc).filter(([k]) => !reserved.has(k) && !k.startsWith(".")) as [string, Job][];
}
