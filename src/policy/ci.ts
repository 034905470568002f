import { PlatformConfig, ServiceConfig } from "../config/schema";
import { IAM_PATHS, roleArn, serviceNames } from "@acme/apps-platform-constructs/naming";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { TenantScope, tenantRoleArns } from "@acme/apps-platform-constructs/policy";

export type CiRoleKind = "plan" | "apply";

/** The OIDC issuers CI authenticates with, as IAM names them. */
export const GITHUB_ISSUER_HOST = "token.actions.githubusercontent.com";

/** `https://gitlab.example.com/` → `gitlab.example.com`: IAM's provider name and condition key prefix. */
export function issuerHost(url: string): string {
  return url.replace(/^https:\/\//, "").replace(/\/+$/, "");
}

/** The `aud` GitLab pipelines request: the configured one, or the instance URL without a trailing slash. */
export function gitlabAudience(gitlab: { url: string; audience?: string }): string {
  return gitlab.audience ?? `https://${issuerHost(gitlab.url)}`;
}

export function oidcProviderArn(partition: string, accountId: string, host: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${host}`;
}

/** The onboarding of one service: its config, and the stages it is onboarded to. */
export interface CiScope {
  readonly config: PlatformConfig;
  readonly partition: string;
  readonly service: ServiceConfig;
  readonly tenants: TenantScope[];
}

export function onboardedStages(config: PlatformConfig, service: ServiceConfig): string[] {
  return service.stages ?? Object.keys(config.stages);
}

export function ciRoleArns(c: CiScope) {
  const names = serviceNames(c.config.organisation, c.service.slug);
  const account = c.config.deploymentAccount.accountId;
  return {
    plan: roleArn(c.partition, account, IAM_PATHS.ci, names.ciPlanRole.name),
    apply: roleArn(c.partition, account, IAM_PATHS.ci, names.ciApplyRole.name),
  };
}

export function stateStoreArns(c: CiScope) {
  const names = serviceNames(c.config.organisation, c.service.slug);
  const { region } = c.config;
  const account = c.config.deploymentAccount.accountId;
  return {
    bucket: `arn:${c.partition}:s3:::${names.stateBucket.name}`,
    table: `arn:${c.partition}:dynamodb:${region}:${account}:table/${names.lockTable.name}`,
    keys: `arn:${c.partition}:kms:${region}:${account}:key/*`,
    keyAlias: names.stateKeyAlias.name,
  };
}

/**
 * The `sub` values a role's trust accepts. GitLab only lets IAM see `sub` and `aud` of its ID token,
 * and its default `sub` (`project_path:<path>:ref_type:<type>:ref:<ref>`) does not say whether a ref
 * is protected. So `protected` stands for the branches listed in `ciIdentity.<provider>.protectedBranches`,
 * which must be the project's protected branches: anyone who can push to an unprotected branch of that
 * name could otherwise apply.
 */
export function subjects(c: CiScope, kind: CiRoleKind): { provider: "gitlab" | "github"; exact: boolean; values: string[] } {
  const { service } = c;
  const restriction = service.branchRestriction;
  if (service.gitlabProjectPath) {
    const base = `project_path:${service.gitlabProjectPath}`;
    const branches = restriction === "protected" ? c.config.ciIdentity.gitlab!.protectedBranches : [restriction];
    if (kind === "plan") return { provider: "gitlab", exact: false, values: [`${base}:ref_type:*:ref:*`] };
    if (restriction === "any") return { provider: "gitlab", exact: false, values: [`${base}:ref_type:branch:ref:*`] };
    return { provider: "gitlab", exact: true, values: branches.map((b) => `${base}:ref_type:branch:ref:${b}`) };
  }
  const base = `repo:${service.githubRepository}`;
  const branches = restriction === "protected" ? c.config.ciIdentity.github!.protectedBranches : [restriction];
  if (kind === "plan") return { provider: "github", exact: false, values: [`${base}:*`] };
  if (restriction === "any") return { provider: "github", exact: false, values: [`${base}:ref:refs/heads/*`] };
  return { provider: "github", exact: true, values: branches.map((b) => `${base}:ref:refs/heads/${b}`) };
}

export function issuerOf(c: CiScope): { host: string; audience: string } {
  if (c.service.gitlabProjectPath) {
    const gitlab = c.config.ciIdentity.gitlab!;
    return { host: issuerHost(gitlab.url), audience: gitlabAudience(gitlab) };
  }
  return { host: GITHUB_ISSUER_HOST, audience: c.config.ciIdentity.github!.audience };
}

/** Who may assume a CI role: pipelines of exactly this project, on the refs the role is for. */
export function ciTrustStatements(c: CiScope, kind: CiRoleKind): PolicyStatement[] {
  const { host, audience } = issuerOf(c);
  const sub = subjects(c, kind);
  return [
    {
      Sid: kind === "plan" ? "PipelinesOfThisProjectOnAnyRef" : "PipelinesOfThisProjectOnRestrictedRefs",
      Effect: "Allow",
      Principal: { Federated: oidcProviderArn(c.partition, c.config.deploymentAccount.accountId, host) },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: sub.exact
        ? { StringEquals: { [`${host}:aud`]: audience, [`${host}:sub`]: sub.values } }
        : { StringEquals: { [`${host}:aud`]: audience }, StringLike: { [`${host}:sub`]: sub.values } },
    },
  ];
}

/**
 * Bucket names are global, and a state bucket's name is known before the bucket is made: a bucket of
 * that name in another account (made first, or after ours is gone) must not be one a CI role reads
 * state from or writes it to. The state buckets are the deployment account's.
 */
export function inDeploymentAccount(accountId: string): { StringEquals: { "aws:ResourceAccount": string } } {
  return { StringEquals: { "aws:ResourceAccount": accountId } };
}

/** A CI role's permissions: its service's state, and the roles it may assume in the stages. */
export function ciRoleStatements(c: CiScope, kind: CiRoleKind): PolicyStatement[] {
  const state = stateStoreArns(c);
  const ours = inDeploymentAccount(c.config.deploymentAccount.accountId);
  const targets = c.tenants.flatMap((t) => {
    const roles = tenantRoleArns(t);
    return kind === "apply" ? [roles.deploy, roles.read] : [roles.read];
  });
  // Merge-request plans run with `-lock=false`: the plan role reads state and can neither write it,
  // nor take, break or remove a lock of a running apply.
  const stateAccess: PolicyStatement[] =
    kind === "apply"
      ? [
          { Sid: "WriteStateAndLockFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `${state.bucket}/*`, Condition: ours },
          {
            Sid: "LockWithTheLockTable",
            Effect: "Allow",
            Action: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            Resource: state.table,
          },
        ]
      : [{ Sid: "ReadStateDigests", Effect: "Allow", Action: ["dynamodb:DescribeTable", "dynamodb:GetItem"], Resource: state.table }];
  return [
    { Sid: "ListStateBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: state.bucket, Condition: ours },
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${state.bucket}/*`, Condition: ours },
    ...stateAccess,
    {
      // State objects are encrypted by S3 with the key (SSE-KMS): the role uses the key through S3 only.
      Sid: kind === "apply" ? "UseTheStateKeyThroughS3" : "DecryptStateThroughS3",
      Effect: "Allow",
      Action: kind === "apply" ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      Resource: state.keys,
      Condition: {
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": state.keyAlias },
        StringEquals: { "kms:ViaService": `s3.${c.config.region}.amazonaws.com` },
      },
    },
    {
      Sid: "DescribeTheStateKey",
      Effect: "Allow",
      Action: "kms:DescribeKey",
      Resource: state.keys,
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": state.keyAlias } },
    },
    { Sid: kind === "apply" ? "AssumeDeployAndReadRoles" : "AssumeReadRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: targets },
  ];
}

/** Only this service's CI roles (and the platform's provisioner, to repair) touch its state objects. */
export function serviceStateBucketStatements(c: CiScope, bucketArn: string): PolicyStatement[] {
  const ci = ciRoleArns(c);
  const provisioner = roleArn(c.partition, c.config.deploymentAccount.accountId, "/", c.config.deploymentAccount.roleName);
  return [
    {
      Sid: "OnlyThisServicesCiRolesTouchState",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: `${bucketArn}/*`,
      Condition: { ArnNotLike: { "aws:PrincipalArn": [ci.plan, ci.apply, provisioner] } },
    },
  ];
}

/** The trust of a platform-account role that one of the service's CI roles assumes. */
export function assumedByCiRoles(sid: string, principals: string[]): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Principal: { AWS: principals }, Action: "sts:AssumeRole" };
}
