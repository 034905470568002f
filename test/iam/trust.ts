import { PlatformConfig } from "../../src/config/schema";
import { GITHUB_ISSUER_HOST, gitlabAudience, issuerHost } from "../../src/policy/ci";
import { Synthesized } from "../helpers";
import { Decision, Request, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { rolesOf } from "./synthesized-policies";

export type Expectation = "allow" | "deny";

export interface IsolationCase {
  readonly category: string;
  readonly description: string;
  readonly expect: Expectation;
  readonly request: Request;
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

/** Service principals that are not ECS tasks: none may assume a fleet role. */
const NOT_ECS_TASKS = ["ecs.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com", "apprunner.amazonaws.com", "tasks.apprunner.amazonaws.com", "build.apprunner.amazonaws.com", "codebuild.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com", "scheduler.amazonaws.com", "batch.amazonaws.com", "pods.eks.amazonaws.com", "ecs-tasks.amazonaws.com.cn"];
/** An account no stage of the platform has. */
const STRANGER = "999999999999";

/**
 * The trust cases of every fleet role (each tenant's task and execution roles, the control plane's):
 * ECS tasks of the role's own account only; ECS tasks for another account, a confused deputy without
 * the account, other services, and IAM principals of the account (another tenant's role, the
 * platform's, the account itself, each with every sts:AssumeRole its own policy could give) denied.
 */
export function fleetTrustCases(config: PlatformConfig, synthesized: Synthesized): IsolationCase[] {
  const fleet = config.fleet;
  if (!fleet) return [];
  const cases: IsolationCase[] = [];
  const roles = [...synthesized.json].filter(([stack]) => stack.startsWith("fleet-") || stack.startsWith("tenant-")).flatMap(([stack, json]) => rolesOf(stack, json));
  const wide = { Version: "2012-10-17", Statement: [{ Sid: "AssumeAnything", Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] };
  for (const role of roles) {
    const assume = (principal: string, context: Record<string, string>, expect: Expectation, description: string, identityPolicies: Request["identityPolicies"] = []) =>
      cases.push({ category: "fleet trust", description: `${role.name}: ${description}`, expect, request: { principal, action: "sts:AssumeRole", resource: role.arn, resourceAccount: role.accountId, context, identityPolicies, resourcePolicy: role.trust } });
    assume("ecs-tasks.amazonaws.com", { "aws:SourceAccount": role.accountId }, "allow", "ECS tasks of its own account");
    for (const other of [...new Set([...Object.values(config.stages).map((s) => s.accountId), config.deploymentAccount.accountId, STRANGER])].filter((a) => a !== role.accountId)) {
      assume("ecs-tasks.amazonaws.com", { "aws:SourceAccount": other }, "deny", `ECS tasks for account ${other}`);
    }
    assume("ecs-tasks.amazonaws.com", {}, "deny", "ECS tasks that name no account (a confused deputy)");
    for (const service of NOT_ECS_TASKS) assume(service, { "aws:SourceAccount": role.accountId }, "deny", `${service} for its own account`);
    const neighbours = roles.filter((r) => r.accountId === role.accountId && r.arn !== role.arn).slice(0, 3);
    const platform = [...synthesized.json].flatMap(([stack, json]) => rolesOf(stack, json)).filter((r) => r.accountId === role.accountId && r.arn.includes(":role/apps-platform/deploy/")).slice(0, 1);
    for (const r of [...neighbours, ...platform]) assume(r.arn, {}, "deny", `the role ${r.name} of its account, whatever its own policy allows`, [wide]);
    assume(`arn:aws:iam::${role.accountId}:root`, {}, "deny", "its account itself", [wide]);
  }
  return cases;
}
