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
