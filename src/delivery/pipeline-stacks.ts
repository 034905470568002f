import { PlatformConfig } from "../config/schema";
import { partitionOf } from "../config/regions";
import { fleetStages } from "../fleet/model";
import { IAM_PATHS, roleArn, serviceNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { onboardedStages } from "../policy/ci";
import { platformCiRoleArns } from "../policy/platform-ci";
import { tenantRoleArns } from "@acme/apps-platform-constructs/policy";
import { gitlabAudience } from "../policy/ci";

/**
 * The stacks of a config as the pipelines see them: which workspace each is planned in, which CI role
 * each job assumes (and the Terraform variables that go with it), and which stacks must be applied
 * before it. Derived from the config with the same naming functions the stacks use, without building
 * a stack.
 */

export type StackKind = "state-bootstrap" | "ci-identity" | "environment" | "onboarding" | "service" | "ephemeral" | "fleet" | "tenant";

/** What a job assumes and passes to Terraform. */
export interface JobRole {
  readonly roleArn: string;
  /** `TF_VAR_*` variables the job sets. */
  readonly variables: Readonly<Record<string, string>>;
}

export interface PipelineStack {
  readonly name: string;
  readonly kind: StackKind;
  /** The stage a stage-bound stack belongs to. */
  readonly stage?: string;
  /** The stages whose accounts it works in (onboarding: every stage of its service). */
  readonly stages: readonly string[];
  /** The workspace to select (S3 state); undefined with Terraform Cloud's named workspaces. */
  readonly workspace?: string;
  readonly slug?: string;
  readonly tenant?: string;
  readonly waveIndex?: number;
  /** Why the pipelines leave it out, or undefined when they run it. */
  readonly outOfPipeline?: string;
  /** Merge-request plans and drift checks: read only, no lock. */
  readonly plan: JobRole;
  /** Applies after merge. */
  readonly apply: JobRole;
}

/** The platform's CI roles in the deployment account (src/policy/platform-ci.ts). */
export function platformCiRoleArn(config: PlatformConfig, kind: "plan" | "apply"): string {
  return platformCiRoleArns(partitionOf(config.region), config.deploymentAccount.accountId)[kind];
}

/** The `aud` of the ID token the jobs request: the GitLab audience of the config. */
export function jobAudience(config: PlatformConfig): string {
  return config.ciIdentity.gitlab ? gitlabAudience(config.ciIdentity.gitlab) : "https://gitlab.com";
}

/** Every stack of a config, in the order `npm run synth` lists them. */
export function pipelineStacks(config: PlatformConfig): PipelineStack[] {
  const partition = partitionOf(config.region);
  const s3 = config.backend.kind === "s3";
  const ws = (w: string) => (s3 ? w : undefined);
  const platform = {
    plan: { roleArn: platformCiRoleArn(config, "plan"), variables: { TF_VAR_ci_phase: "plan" } },
    apply: { roleArn: platformCiRoleArn(config, "apply"), variables: {} },
  };
  const stages = Object.keys(config.stages);
  const out: PipelineStack[] = [];
  if (config.backend.kind === "s3") {
    out.push({
      name: stackNames.stateBootstrap(),
      kind: "state-bootstrap",
      stages: [],
      workspace: "default",
      ...platform,
      ...(config.backend.stateBootstrapBackend === "local"
        ? { outOfPipeline: "keeps its state in a local file until backend.stateBootstrapBackend is s3 (README: Bootstrapping the state bucket)" }
        : {}),
    });
  }
  out.push({ name: stackNames.ciIdentity(), kind: "ci-identity", stages: [], workspace: ws("default"), ...platform });
  for (const stage of stages) out.push({ name: stackNames.environment(stage), kind: "environment", stage, stages: [stage], workspace: ws(stage), ...platform });
  for (const service of config.services) {
    out.push({ name: stackNames.onboarding(service.slug), kind: "onboarding", slug: service.slug, stages: onboardedStages(config, service), workspace: ws("default"), ...platform });
  }
  const deployment = config.deploymentAccount.accountId;
  for (const service of config.services.filter((s) => s.web)) {
    const names = serviceNames(config.organisation, service.slug);
    for (const stage of onboardedStages(config, service)) {
      const roles = tenantRoleArns({ partition, region: config.region, accountId: config.stages[stage].accountId, slug: service.slug, stage, zoneName: config.stages[stage].zoneName });
      out.push({
        name: stackNames.service(service.slug, stage),
        kind: "service",
        slug: service.slug,
        stage,
        stages: [stage],
        workspace: ws(stage),
        // Its CI roles trust only the service's own repository, and its state bucket lets in only them.
        outOfPipeline: `is planned and applied by the pipelines of ${service.gitlabProjectPath ?? service.githubRepository} with its own CI roles (${names.ciPlanRole.name}, ${names.ciApplyRole.name})`,
        plan: { roleArn: roleArn(partition, deployment, IAM_PATHS.ci, names.ciPlanRole.name), variables: { TF_VAR_platform_role_arn: roles.read } },
        apply: { roleArn: roleArn(partition, deployment, IAM_PATHS.ci, names.ciApplyRole.name), variables: {} },
      });
    }
  }
  if (config.ephemeral) {
    out.push({
      name: stackNames.ephemeral(),
      kind: "ephemeral",
      stage: config.ephemeral.stage,
      stages: [config.ephemeral.stage],
      ...platform,
      outOfPipeline: "is one template planned per ephemeral stage, by npm run ephemeral and its own pipelines (ci/gitlab/ephemeral.gitlab-ci.yml)",
    });
  }
  if (config.fleet) {
    for (const fs of fleetStages(config.fleet)) {
      out.push({ name: stackNames.fleet(fs.stage), kind: "fleet", stage: fs.stage, stages: [fs.stage], workspace: ws(fs.stage), ...platform });
      for (const t of fs.tenants) {
        out.push({
          name: stackNames.tenant(t.tenant.id, fs.stage),
          kind: "tenant",
          tenant: t.tenant.id,
          waveIndex: t.waveIndex,
          stage: fs.stage,
          stages: [fs.stage],
          workspace: ws(fs.stage),
          ...platform,
        });
      }
    }
  }
  return out;
}

/**
 * The stacks each stack's apply must follow, in the full config: state-bootstrap → ci-identity →
 * environment-<stage> (in the config's stage order) → onboarding (after the environments of its
 * stages) → per stage, in order, the services (after their onboarding), fleet-<stage> and its tenants
 * wave by wave; every stack of a stage waits for every stack of the stage before it.
 */
export function applyPredecessors(config: PlatformConfig, stacks: readonly PipelineStack[]): Map<string, string[]> {
  const inPipeline = stacks.filter((s) => !s.outOfPipeline);
  const byName = new Set(inPipeline.map((s) => s.name));
  const has = (n: string) => byName.has(n);
  const stages = Object.keys(config.stages);
  const preds = new Map<string, string[]>(inPipeline.map((s) => [s.name, []]));
  const add = (to: string, ...from: string[]) => preds.get(to)!.push(...from.filter(has));
  const workloadOf = (stage: string) => inPipeline.filter((s) => s.stage === stage && (s.kind === "service" || s.kind === "fleet" || s.kind === "tenant"));
  for (const s of inPipeline) {
    switch (s.kind) {
      case "state-bootstrap":
        break;
      case "ci-identity":
        add(s.name, stackNames.stateBootstrap());
        break;
      case "environment": {
        const i = stages.indexOf(s.stage!);
        add(s.name, stackNames.ciIdentity());
        if (i > 0) add(s.name, stackNames.environment(stages[i - 1]));
        break;
      }
      case "onboarding":
        add(s.name, stackNames.ciIdentity(), ...s.stages.map((st) => stackNames.environment(st)));
        break;
      case "service":
      case "fleet":
      case "tenant": {
        const i = stages.indexOf(s.stage!);
        add(s.name, stackNames.environment(s.stage!));
        if (i > 0) add(s.name, ...workloadOf(stages[i - 1]).map((p) => p.name));
        if (s.kind === "service") add(s.name, stackNames.onboarding(s.slug!));
        if (s.kind === "tenant") {
          add(s.name, stackNames.fleet(s.stage!));
          const earlier = inPipeline.filter((t) => t.kind === "tenant" && t.stage === s.stage && t.waveIndex! < s.waveIndex!).map((t) => t.waveIndex!);
          const previousWave = earlier.length ? Math.max(...earlier) : undefined;
          if (previousWave !== undefined) add(s.name, ...inPipeline.filter((t) => t.kind === "tenant" && t.stage === s.stage && t.waveIndex === previousWave).map((t) => t.name));
        }
        break;
      }
      case "ephemeral":
        break;
    }
  }
  return preds;
}

/**
 * The predecessors among `selected` only: a selected stack follows the nearest selected stacks on
 * every path of the full order, and only those that no other of them already follows.
 */
export function selectedPredecessors(full: ReadonlyMap<string, readonly string[]>, selected: ReadonlySet<string>): Map<string, string[]> {
  const nearest = new Map<string, Set<string>>();
  const nearestOf = (n: string): Set<string> => {
    const known = nearest.get(n);
    if (known) return known;
    const out = new Set<string>();
    for (const p of full.get(n) ?? []) {
      if (selected.has(p)) out.add(p);
      else for (const q of nearestOf(p)) out.add(q);
    }
    nearest.set(n, out);
    return out;
  };
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (n: string): Set<string> => {
    const known = ancestors.get(n);
    if (known) return known;
    const out = new Set<string>();
    for (const p of nearestOf(n)) {
      out.add(p);
      for (const a of ancestorsOf(p)) out.add(a);
    }
    ancestors.set(n, out);
    return out;
  };
  const result = new Map<string, string[]>();
  for (const n of selected) {
    const direct = [...nearestOf(n)];
    result.set(
      n,
      direct.filter((p) => !direct.some((q) => q !== p && ancestorsOf(q).has(p))),
    );
  }
  return result;
}
