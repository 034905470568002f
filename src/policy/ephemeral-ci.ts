import { PlatformConfig } from "../config/schema";
import { IAM_PATHS, PLATFORM, ephemeralStageNames, roleArn } from "@acme/apps-platform-constructs/naming";
import { ConditionBlock, PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { GITHUB_ISSUER_HOST, gitlabAudience, inDeploymentAccount, issuerHost, oidcProviderArn } from "./ci";
import { serviceAssumesRole } from "@acme/apps-platform-constructs/policy";

/**
 * The CI identity of the authorizer stacks: who may create, update and destroy per-PR
 * stages, who may deploy the long-lived ones, and what each may do.
 *
 * Two CI roles in the deployment account, each chaining into one provisioner role per hosting stage
 * account:
 *
 *   <project>-ephemeral-ci  (MR/PR refs of ephemeral's repository; the default branch, to reap)
 *     -> <project>-ephemeral-provisioner in the per-PR host stage's account
 *   <project>-stable-ci     (protected branches on GitLab; the stable stages' environments on GitHub)
 *     -> <project>-stable-provisioner in each account that hosts a stable stage
 *
 * The provisioner session carries the stage as the session tag `Stage`; every permission of the
 * provisioner names the stage's own resources through `${aws:PrincipalTag/Stage}` (exact names, no
 * prefix wildcards: pr-1 never matches pr-12) and requires the stage's `Stage`, `Project` and `app`
 * tags, so one session reaches one stage. IAM cannot tie a session tag to one merge request (no
 * OIDC claim IAM sees names it), so every pipeline of the repository may act on every per-PR stage
 * of the project; none may act on a stable stage, the platform, a service, the fleet or another
 * project.
 */

/** Terraform reads `${` as an expression; IAM policy variables are written `$${…}` in the configuration. */
const STAGE_VAR = "$${aws:PrincipalTag/Stage}";
/** The policy variable as IAM reads it. */
export const STAGE_VARIABLE = "${aws:PrincipalTag/Stage}";

export const EPHEMERAL_PATHS = {
  /** The provisioner roles and the authorizer's permissions boundary. */
  provisioner: `/${PLATFORM}/ephemeral-provisioner/`,
  /** The authorizer Lambdas' roles (AuthorizerWithPolicyStore). */
  authorizer: IAM_PATHS.ephemeralAuthorizer,
} as const;

/** Names of the authorizer's CI identity, in the deployment account and the hosting accounts. */
export function ephemeralCiNames(project: string) {
  return {
    ciRole: `${project}-ephemeral-ci`,
    stableCiRole: `${project}-stable-ci`,
    provisionerRole: `${project}-ephemeral-provisioner`,
    stableProvisionerRole: `${project}-stable-provisioner`,
    boundaryPolicy: `${project}-authorizer-boundary`,
  };
}

export interface StableStage {
  /** The authorizer stage name: its workspace, its resources' prefix and its Stage tag (dev, stage, prod). */
  readonly name: string;
  /** The platform stage whose account hosts it. */
  readonly hostStage: string;
  readonly accountId: string;
  readonly cognito: boolean;
}

/** Everything the authorizer's CI roles are built from, translated from the config once. */
export interface EphemeralCiScope {
  readonly partition: string;
  readonly region: string;
  readonly deploymentAccountId: string;
  readonly project: string;
  readonly accountAlias: string;
  readonly provider: "gitlab" | "github";
  /** The GitLab project path or GitHub owner/repo that runs the pipelines. */
  readonly repository: string;
  readonly issuerHost: string;
  readonly audience: string;
  readonly protectedBranches: string[];
  readonly stateBucket: string;
  readonly lockTable: string;
  readonly dynamodbLock: boolean;
  readonly stateKeyAlias: string;
  /** The platform stage hosting the per-PR stages, and its account. */
  readonly hostStage: string;
  readonly hostAccountId: string;
  readonly stableStages: StableStage[];
}

/**
 * The scope of the authorizer's CI roles, or undefined when the config has no CI for them: no
 * repository named, or state in Terraform Cloud (whose workspaces run with their own credentials;
 * the roles are scoped to objects of the platform's state bucket).
 */
export function ephemeralCiScope(config: PlatformConfig, partition: string): EphemeralCiScope | undefined {
  const eph = config.ephemeral;
  if (!eph || config.backend.kind !== "s3") return undefined;
  const gitlabPath = eph.gitlabProjectPath;
  const githubRepo = eph.githubRepository;
  if (!gitlabPath && !githubRepo) return undefined;
  const provider = gitlabPath ? "gitlab" : "github";
  const gitlab = config.ciIdentity.gitlab;
  const github = config.ciIdentity.github;
  const host = provider === "gitlab" ? issuerHost(gitlab!.url) : GITHUB_ISSUER_HOST;
  const alias = config.backend.kmsKeyId.replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:(?=alias\/)/, "");
  return {
    partition,
    region: config.region,
    deploymentAccountId: config.deploymentAccount.accountId,
    project: eph.project,
    accountAlias: eph.accountAlias,
    provider,
    repository: (gitlabPath ?? githubRepo)!,
    issuerHost: host,
    audience: provider === "gitlab" ? gitlabAudience(gitlab!) : github!.audience,
    protectedBranches: provider === "gitlab" ? gitlab!.protectedBranches : github!.protectedBranches,
    stateBucket: config.backend.bucket,
    lockTable: config.backend.lockTable,
    dynamodbLock: config.backend.dynamodbLock,
    stateKeyAlias: alias.startsWith("alias/") ? alias : "alias/apps-platform/tfstate",
    hostStage: eph.stage,
    hostAccountId: config.stages[eph.stage].accountId,
    stableStages: Object.entries(eph.stableStages ?? {}).map(([name, s]) => ({
      name,
      hostStage: s.stage,
      accountId: config.stages[s.stage].accountId,
      cognito: s.cognito ?? eph.cognito,
    })),
  };
}

export function ephemeralCiArns(s: EphemeralCiScope) {
  const n = ephemeralCiNames(s.project);
  return {
    ci: roleArn(s.partition, s.deploymentAccountId, IAM_PATHS.ci, n.ciRole),
    stableCi: roleArn(s.partition, s.deploymentAccountId, IAM_PATHS.ci, n.stableCiRole),
    provisioner: roleArn(s.partition, s.hostAccountId, EPHEMERAL_PATHS.provisioner, n.provisionerRole),
    stableProvisioner: (accountId: string) => roleArn(s.partition, accountId, EPHEMERAL_PATHS.provisioner, n.stableProvisionerRole),
    boundary: (accountId: string) => `arn:${s.partition}:iam::${accountId}:policy${EPHEMERAL_PATHS.provisioner}${n.boundaryPolicy}`,
  };
}

/** The state key of the per-PR template, and of one stable stage's stack, relative to the bucket. */
export function ephemeralStateKeys(s: EphemeralCiScope) {
  const unit = `${s.accountAlias}-${s.region}`;
  return {
    /** Every workspace of the per-PR template: `env/<stage>/ephemeral/<alias>-<region>/terraform.tfstate`. */
    perPr: `env/*/ephemeral/${unit}/terraform.tfstate`,
    /** One stable stage's stack (kind `authorizer`, unit and workspace the stage). */
    stable: (name: string) => `env/${name}/${AUTHORIZER_KIND}/${name}/terraform.tfstate`,
  };
}

/** The state key kind of the stable stages' stacks. */
export const AUTHORIZER_KIND = "authorizer";

// ---------------------------------------------------------------------------------------------------
// Trust of the CI roles
// ---------------------------------------------------------------------------------------------------

/**
 * The `sub` values the per-PR role accepts. GitLab's `sub` of a merge-request pipeline is that of
 * its source branch (`project_path:<p>:ref_type:branch:ref:<branch>`): IAM cannot tell it from a
 * branch pipeline, so any branch of the project is let in (including the default branch, which runs
 * the scheduled reap). GitHub's is `repo:<r>:pull_request`, plus the protected branches for the
 * scheduled reap. Fork pull requests get no ID token from GitHub (no `id-token: write`), and
 * GitLab runs fork merge requests in the fork's project, whose path the role does not trust.
 */
export function perPrSubjects(s: EphemeralCiScope): string[] {
  if (s.provider === "gitlab") return [`project_path:${s.repository}:ref_type:branch:ref:*`];
  return [`repo:${s.repository}:pull_request`, ...s.protectedBranches.map((b) => `repo:${s.repository}:ref:refs/heads/${b}`)];
}

/**
 * The `sub` values the stable role accepts: GitLab's protected branches (which must be protected in
 * the project: IAM only sees the name); on GitHub a job that names an environment carries
 * `repo:<r>:environment:<name>` instead of its ref, so the role trusts the stable stages'
 * environments, whose required reviewers and deployment-branch rule (the protected branch) gate it.
 */
export function stableSubjects(s: EphemeralCiScope): string[] {
  if (s.provider === "gitlab") return s.protectedBranches.map((b) => `project_path:${s.repository}:ref_type:branch:ref:${b}`);
  return s.stableStages.map((st) => `repo:${s.repository}:environment:${st.name}`);
}

export function ephemeralCiTrust(s: EphemeralCiScope, kind: "perPr" | "stable"): PolicyStatement[] {
  const subjects = kind === "perPr" ? perPrSubjects(s) : stableSubjects(s);
  const exact = !subjects.some((v) => v.includes("*"));
  return [
    {
      Sid: kind === "perPr" ? "PipelinesOfTheRepositoryOnMergeRequestRefs" : "PipelinesOfTheRepositoryOnProtectedRefs",
      Effect: "Allow",
      Principal: { Federated: oidcProviderArn(s.partition, s.deploymentAccountId, s.issuerHost) },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: exact
        ? { StringEquals: { [`${s.issuerHost}:aud`]: s.audience, [`${s.issuerHost}:sub`]: subjects } }
        : { StringEquals: { [`${s.issuerHost}:aud`]: s.audience }, StringLike: { [`${s.issuerHost}:sub`]: subjects } },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Permissions of the CI roles: their state, and one provisioner role per hosting account
// ---------------------------------------------------------------------------------------------------

/** Names a stage must never take as a per-PR stage: the stable stages', and Terraform's default workspace. */
export function reservedStageNames(s: EphemeralCiScope): string[] {
  return [...new Set(["default", ...s.stableStages.map((st) => st.name)])];
}

/**
 * The Stage tag of a per-PR session: present, without a "/" (STAGE_PATTERN), and none of `reserved`
 * in any case. IAM compares tag values with case but names roles without it: a per-PR stage `Dev`
 * would create the role `Dev-authorizer`, which is the stable `dev-authorizer`'s name, and so keep
 * the stable stage from creating its role (or take the name while it is destroyed and made again).
 * The negated operators hold when the tag is missing, hence the Null check.
 */
function perPrStageTag(reserved: string[]): ConditionBlock {
  return {
    StringNotLike: { "aws:RequestTag/Stage": "*/*" },
    StringNotEqualsIgnoreCase: { "aws:RequestTag/Stage": reserved },
    Null: { "aws:RequestTag/Stage": "false" },
  };
}

function stateStatements(s: EphemeralCiScope, keys: string[], sidPrefix: string): PolicyStatement[] {
  const bucket = `arn:${s.partition}:s3:::${s.stateBucket}`;
  const table = `arn:${s.partition}:dynamodb:${s.region}:${s.deploymentAccountId}:table/${s.lockTable}`;
  const objects = keys.flatMap((k) => [`${bucket}/${k}`, `${bucket}/${k}.tflock`]);
  return [
    {
      // `terraform workspace list/select` lists `env/`; the names it sees are not state.
      Sid: `${sidPrefix}ListWorkspaces`,
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucket,
      Condition: { StringLike: { "s3:prefix": ["env/", ...keys] }, ...inDeploymentAccount(s.deploymentAccountId) },
    },
    {
      Sid: `${sidPrefix}ReadWriteOwnStateAndLockFiles`,
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: objects,
      Condition: inDeploymentAccount(s.deploymentAccountId),
    },
    ...(s.dynamodbLock
      ? [
          {
            Sid: `${sidPrefix}LockOwnStateInTheLockTable`,
            Effect: "Allow" as const,
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            Resource: table,
            // The lock item is `<bucket>/<key>`, the digest item `<bucket>/<key>-md5`.
            Condition: {
              "ForAllValues:StringLike": { "dynamodb:LeadingKeys": keys.flatMap((k) => [`${s.stateBucket}/${k}`, `${s.stateBucket}/${k}-md5`]) },
              Null: { "dynamodb:LeadingKeys": "false" },
            },
          },
          { Sid: `${sidPrefix}DescribeTheLockTable`, Effect: "Allow" as const, Action: "dynamodb:DescribeTable", Resource: table },
        ]
      : []),
    {
      // State objects are encrypted by S3 with the state key (SSE-KMS with a bucket key, whose
      // encryption context is the bucket, not the object): the role uses the key through S3 only,
      // and S3 (this policy and the bucket policy) decides which objects.
      Sid: `${sidPrefix}UseTheStateKeyThroughS3`,
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: `arn:${s.partition}:kms:${s.region}:${s.deploymentAccountId}:key/*`,
      Condition: {
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": s.stateKeyAlias },
        StringEquals: { "kms:ViaService": `s3.${s.region}.amazonaws.com` },
      },
    },
  ];
}

/** The per-PR CI role: per-PR state only, and the per-PR provisioner with a per-PR Stage session tag. */
export function perPrCiStatements(s: EphemeralCiScope): PolicyStatement[] {
  const keys = ephemeralStateKeys(s);
  const provisioner = ephemeralCiArns(s).provisioner;
  return [
    ...stateStatements(s, [keys.perPr], "PerPr"),
    { Sid: "AssumeTheEphemeralProvisioner", Effect: "Allow", Action: "sts:AssumeRole", Resource: provisioner },
    {
      Sid: "TagTheSessionWithAPerPrStage",
      Effect: "Allow",
      Action: "sts:TagSession",
      Resource: provisioner,
      // The stable stages and `default` are not per-PR stages.
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["Stage"] }, ...perPrStageTag(reservedStageNames(s)) },
    },
  ];
}

/** The stable CI role: the stable stages' state only, and their provisioners, each with its own stages. */
export function stableCiStatements(s: EphemeralCiScope): PolicyStatement[] {
  const keys = ephemeralStateKeys(s);
  const arns = ephemeralCiArns(s);
  const accounts = [...new Set(s.stableStages.map((st) => st.accountId))];
  const provisioners = accounts.map((a) => arns.stableProvisioner(a));
  return [
    ...stateStatements(s, s.stableStages.map((st) => keys.stable(st.name)), "Stable"),
    { Sid: "AssumeTheStableProvisioners", Effect: "Allow", Action: "sts:AssumeRole", Resource: provisioners },
    ...accounts.map((a, i) => ({
      Sid: `TagTheSessionWithAStableStageOf${i}`,
      Effect: "Allow" as const,
      Action: "sts:TagSession",
      Resource: arns.stableProvisioner(a),
      Condition: {
        "ForAllValues:StringEquals": { "aws:TagKeys": ["Stage"] },
        StringEquals: { "aws:RequestTag/Stage": s.stableStages.filter((st) => st.accountId === a).map((st) => st.name) },
      },
    })),
  ];
}

/**
 * The platform state bucket's word on the authorizer's CI roles: each touches only its own state
 * objects, whatever its identity policy says. `NotResource` names what each may reach; the bucket
 * itself stays reachable for listing (which the identity policy narrows by prefix).
 */
export function ephemeralStateBucketStatements(s: EphemeralCiScope, bucketArn: string): PolicyStatement[] {
  const keys = ephemeralStateKeys(s);
  const arns = ephemeralCiArns(s);
  const objects = (ks: string[]) => ks.flatMap((k) => [`${bucketArn}/${k}`, `${bucketArn}/${k}.tflock`]);
  const only = (sid: string, role: string, ks: string[]): PolicyStatement[] => [
    {
      // Nothing but its own objects, and listing (which the next statement narrows).
      Sid: `${sid}OnlyItsStateObjects`,
      Effect: "Deny",
      Principal: "*",
      NotAction: "s3:ListBucket",
      NotResource: objects(ks),
      Condition: { ArnEquals: { "aws:PrincipalArn": role } },
    },
    {
      Sid: `${sid}ListsOnlyTheWorkspaces`,
      Effect: "Deny",
      Principal: "*",
      Action: "s3:ListBucket",
      Resource: bucketArn,
      Condition: { ArnEquals: { "aws:PrincipalArn": role }, StringNotLike: { "s3:prefix": ["env/", ...ks] } },
    },
  ];
  return [
    ...only("PerPrCiRole", arns.ci, [keys.perPr]),
    ...(s.stableStages.length > 0 ? only("StableCiRole", arns.stableCi, s.stableStages.map((st) => keys.stable(st.name))) : []),
  ];
}

/** A bucket-policy Deny of roles by path, except the authorizer's CI roles (which the statements above bind instead). */
export function exceptEphemeralCiRoles(s: EphemeralCiScope, deny: PolicyStatement): PolicyStatement {
  return { ...deny, Condition: { ...deny.Condition, ArnNotEquals: { "aws:PrincipalArn": ephemeralCiRoleArnList(s) } } };
}

/** What an account that hosts authorizer stages gets: the per-PR provisioner, the stable one, or both. */
export function provisionersOfStage(s: EphemeralCiScope, stage: string) {
  const arns = ephemeralCiArns(s);
  const accountId = s.hostStage === stage ? s.hostAccountId : s.stableStages.find((st) => st.hostStage === stage)?.accountId;
  if (accountId === undefined) return undefined;
  const stable = s.stableStages.filter((st) => st.hostStage === stage).map((st) => st.name);
  return {
    partition: s.partition,
    region: s.region,
    accountId,
    project: s.project,
    perPr: s.hostStage === stage ? { ciRoleArn: arns.ci, reservedStages: reservedStageNames(s) } : undefined,
    stable: stable.length > 0 ? { ciRoleArn: arns.stableCi, stages: stable } : undefined,
  };
}

/** The authorizer's CI roles, which the bucket policy's Deny of roles under the CI path lets through to the statements above. */
export function ephemeralCiRoleArnList(s: EphemeralCiScope): string[] {
  const arns = ephemeralCiArns(s);
  return s.stableStages.length > 0 ? [arns.ci, arns.stableCi] : [arns.ci];
}

// ---------------------------------------------------------------------------------------------------
// The provisioner roles in the hosting accounts
// ---------------------------------------------------------------------------------------------------

export interface ProvisionerScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly project: string;
  /** The CI role that assumes this provisioner. */
  readonly ciRoleArn: string;
  /** The Stage tags a session may carry: a list (stable), or every name but these (per-PR). */
  readonly stages: { readonly only: string[] } | { readonly except: string[] };
  readonly boundaryArn: string;
}

/** Who may assume a provisioner: its CI role, with a session tagged with one of its stages. */
export function provisionerTrust(p: ProvisionerScope): PolicyStatement[] {
  // StringEquals fails on a missing tag (and compares with case: `Dev` is no stable stage).
  const stageCondition: ConditionBlock = "only" in p.stages ? { StringEquals: { "aws:RequestTag/Stage": p.stages.only } } : perPrStageTag(p.stages.except);
  return [
    {
      Sid: "TheCiRoleWithOneStageTag",
      Effect: "Allow",
      Principal: { AWS: p.ciRoleArn },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: stageCondition,
    },
  ];
}

/** The names of the session's stage's resources (AuthorizerWithPolicyStore's), by its Stage tag. */
const SESSION_STAGE = ephemeralStageNames(STAGE_VAR);

/** The ARNs of one stage's resources, by the session's Stage tag. */
function stageResources(p: ProvisionerScope) {
  const { partition: pt, region: r, accountId: a } = p;
  const n = SESSION_STAGE;
  return {
    function: `arn:${pt}:lambda:${r}:${a}:function:${n.function.name}`,
    functionVersions: `arn:${pt}:lambda:${r}:${a}:function:${n.function.name}:*`,
    table: `arn:${pt}:dynamodb:${r}:${a}:table/${n.table.name}`,
    role: `arn:${pt}:iam::${a}:role${EPHEMERAL_PATHS.authorizer}${n.role.name}`,
    logGroup: `arn:${pt}:logs:${r}:${a}:log-group:${n.logGroup.name}`,
    logGroupStreams: `arn:${pt}:logs:${r}:${a}:log-group:${n.logGroup.name}:*`,
    secret: `arn:${pt}:secretsmanager:${r}:${a}:secret:${n.jwtSecret.name}-??????`,
    policyStores: `arn:${pt}:verifiedpermissions::${a}:policy-store/*`,
    userPools: `arn:${pt}:cognito-idp:${r}:${a}:userpool/*`,
  };
}

/** The tags a create call must set: the session's stage, the project, and the project as `app`. */
function requestTags(p: ProvisionerScope) {
  return { "aws:RequestTag/Stage": STAGE_VAR, "aws:RequestTag/Project": p.project, "aws:RequestTag/app": p.project };
}

/** The tags a resource must carry to be changed, read or deleted by a session. */
function resourceTags(p: ProvisionerScope) {
  return { "aws:ResourceTag/Stage": STAGE_VAR, "aws:ResourceTag/Project": p.project };
}

/**
 * What a provisioner session may do: create, read, change and delete the resources of its stage's
 * AuthorizerWithPolicyStore, by exact name where the service names them (function, table, role, log
 * group, secret) and by the stage's tags everywhere the service supports them (policy stores and
 * user pools have generated ids: tags alone decide). Tags are set at creation and may not be
 * changed to another stage's or removed.
 */
export function provisionerStatements(p: ProvisionerScope): PolicyStatement[] {
  const res = stageResources(p);
  const create = { StringEquals: requestTags(p) };
  const owned = { StringEquals: resourceTags(p) };
  // A tag call keeps the stage's tags: any Stage, Project or app it sets is the stage's own.
  const retag = { StringEquals: resourceTags(p), StringEqualsIfExists: requestTags(p) };
  const keepTags = { StringEquals: resourceTags(p), "ForAllValues:StringNotEquals": { "aws:TagKeys": ["Stage", "Project", "app"] } };
  const statements: PolicyStatement[] = [
    // Verified Permissions
    { Sid: "CreatePolicyStoreOfTheStage", Effect: "Allow", Action: "verifiedpermissions:CreatePolicyStore", Resource: "*", Condition: create },
    {
      Sid: "ManagePolicyStoresOfTheStage",
      Effect: "Allow",
      Action: [
        "verifiedpermissions:GetPolicyStore",
        "verifiedpermissions:UpdatePolicyStore",
        "verifiedpermissions:DeletePolicyStore",
        "verifiedpermissions:GetSchema",
        "verifiedpermissions:PutSchema",
        "verifiedpermissions:CreatePolicy",
        "verifiedpermissions:GetPolicy",
        "verifiedpermissions:UpdatePolicy",
        "verifiedpermissions:DeletePolicy",
        "verifiedpermissions:ListPolicies",
        "verifiedpermissions:CreateIdentitySource",
        "verifiedpermissions:GetIdentitySource",
        "verifiedpermissions:UpdateIdentitySource",
        "verifiedpermissions:DeleteIdentitySource",
        "verifiedpermissions:ListIdentitySources",
        "verifiedpermissions:ListTagsForResource",
      ],
      Resource: res.policyStores,
      Condition: owned,
    },
    { Sid: "TagPolicyStoresOfTheStage", Effect: "Allow", Action: "verifiedpermissions:TagResource", Resource: res.policyStores, Condition: retag },
    { Sid: "UntagPolicyStoresOfTheStage", Effect: "Allow", Action: "verifiedpermissions:UntagResource", Resource: res.policyStores, Condition: keepTags },
    // DynamoDB
    { Sid: "CreateTableOfTheStage", Effect: "Allow", Action: "dynamodb:CreateTable", Resource: res.table, Condition: create },
    {
      Sid: "ManageTableOfTheStage",
      Effect: "Allow",
      Action: [
        "dynamodb:DescribeTable",
        "dynamodb:UpdateTable",
        "dynamodb:DeleteTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:UpdateContinuousBackups",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:UpdateTimeToLive",
        "dynamodb:ListTagsOfResource",
      ],
      Resource: res.table,
      Condition: owned,
    },
    { Sid: "TagTableOfTheStage", Effect: "Allow", Action: "dynamodb:TagResource", Resource: res.table, Condition: retag },
    { Sid: "UntagTableOfTheStage", Effect: "Allow", Action: "dynamodb:UntagResource", Resource: res.table, Condition: keepTags },
    // Secrets Manager
    { Sid: "CreateSecretOfTheStage", Effect: "Allow", Action: "secretsmanager:CreateSecret", Resource: res.secret, Condition: create },
    {
      Sid: "ManageSecretOfTheStage",
      Effect: "Allow",
      Action: [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:ListSecretVersionIds",
      ],
      Resource: res.secret,
      Condition: owned,
    },
    { Sid: "TagSecretOfTheStage", Effect: "Allow", Action: "secretsmanager:TagResource", Resource: res.secret, Condition: retag },
    { Sid: "UntagSecretOfTheStage", Effect: "Allow", Action: "secretsmanager:UntagResource", Resource: res.secret, Condition: keepTags },
    // Cognito
    { Sid: "CreateUserPoolOfTheStage", Effect: "Allow", Action: "cognito-idp:CreateUserPool", Resource: "*", Condition: create },
    {
      Sid: "ManageUserPoolsOfTheStage",
      Effect: "Allow",
      Action: [
        "cognito-idp:DescribeUserPool",
        "cognito-idp:DeleteUserPool",
        "cognito-idp:GetUserPoolMfaConfig",
        "cognito-idp:CreateUserPoolClient",
        "cognito-idp:DescribeUserPoolClient",
        "cognito-idp:UpdateUserPoolClient",
        "cognito-idp:DeleteUserPoolClient",
        "cognito-idp:ListUserPoolClients",
        "cognito-idp:ListTagsForResource",
      ],
      Resource: res.userPools,
      Condition: owned,
    },
    {
      // UpdateUserPool carries the pool's whole tag set (UserPoolTags): it must be the stage's.
      Sid: "UpdateUserPoolsOfTheStage",
      Effect: "Allow",
      Action: "cognito-idp:UpdateUserPool",
      Resource: res.userPools,
      Condition: { StringEquals: { ...resourceTags(p), ...requestTags(p) } },
    },
    { Sid: "TagUserPoolsOfTheStage", Effect: "Allow", Action: "cognito-idp:TagResource", Resource: res.userPools, Condition: retag },
    { Sid: "UntagUserPoolsOfTheStage", Effect: "Allow", Action: "cognito-idp:UntagResource", Resource: res.userPools, Condition: keepTags },
    // CloudWatch Logs
    { Sid: "CreateLogGroupOfTheStage", Effect: "Allow", Action: "logs:CreateLogGroup", Resource: res.logGroup, Condition: create },
    {
      Sid: "ManageLogGroupOfTheStage",
      Effect: "Allow",
      Action: ["logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:ListTagsForResource", "logs:ListTagsLogGroup"],
      Resource: [res.logGroup, res.logGroupStreams],
      Condition: owned,
    },
    { Sid: "TagLogGroupOfTheStage", Effect: "Allow", Action: ["logs:TagResource", "logs:TagLogGroup"], Resource: [res.logGroup, res.logGroupStreams], Condition: retag },
    { Sid: "UntagLogGroupOfTheStage", Effect: "Allow", Action: ["logs:UntagResource", "logs:UntagLogGroup"], Resource: [res.logGroup, res.logGroupStreams], Condition: keepTags },
    // A listing: log group names (no events) of the account, which Terraform reads a log group by.
    { Sid: "FindLogGroups", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
    // IAM: the authorizer's role, only under the platform's boundary, only passed to Lambda
    {
      Sid: "CreateTheAuthorizerRoleUnderTheBoundary",
      Effect: "Allow",
      Action: "iam:CreateRole",
      Resource: res.role,
      Condition: { StringEquals: { ...requestTags(p), "iam:PermissionsBoundary": p.boundaryArn } },
    },
    {
      Sid: "ChangeTheAuthorizerRolesPolicyUnderTheBoundary",
      Effect: "Allow",
      Action: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
      Resource: res.role,
      Condition: { StringEquals: { ...resourceTags(p), "iam:PermissionsBoundary": p.boundaryArn } },
    },
    {
      Sid: "ManageTheAuthorizerRole",
      Effect: "Allow",
      Action: ["iam:GetRole", "iam:DeleteRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRoleTags"],
      Resource: res.role,
      Condition: owned,
    },
    { Sid: "TagTheAuthorizerRole", Effect: "Allow", Action: "iam:TagRole", Resource: res.role, Condition: retag },
    { Sid: "UntagTheAuthorizerRole", Effect: "Allow", Action: "iam:UntagRole", Resource: res.role, Condition: keepTags },
    {
      Sid: "PassTheAuthorizerRoleToLambda",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: res.role,
      Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com", ...resourceTags(p) } },
    },
    // Lambda: the authorizer function, outside any VPC and without layers
    {
      Sid: "CreateTheAuthorizerFunction",
      Effect: "Allow",
      Action: "lambda:CreateFunction",
      Resource: res.function,
      Condition: { StringEquals: requestTags(p), Null: { "lambda:Layer": "true", "lambda:VpcIds": "true" } },
    },
    {
      Sid: "ConfigureTheAuthorizerFunction",
      Effect: "Allow",
      Action: "lambda:UpdateFunctionConfiguration",
      Resource: res.function,
      Condition: { StringEquals: resourceTags(p), Null: { "lambda:Layer": "true", "lambda:VpcIds": "true" } },
    },
    {
      Sid: "ManageTheAuthorizerFunction",
      Effect: "Allow",
      Action: [
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:GetFunctionConcurrency",
        "lambda:GetFunctionRecursionConfig",
        "lambda:GetRuntimeManagementConfig",
        "lambda:GetPolicy",
        "lambda:ListVersionsByFunction",
        "lambda:ListTags",
        "lambda:UpdateFunctionCode",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
        "lambda:DeleteFunction",
      ],
      Resource: [res.function, res.functionVersions],
      Condition: owned,
    },
    { Sid: "TagTheAuthorizerFunction", Effect: "Allow", Action: "lambda:TagResource", Resource: res.function, Condition: retag },
    { Sid: "UntagTheAuthorizerFunction", Effect: "Allow", Action: "lambda:UntagResource", Resource: res.function, Condition: keepTags },
  ];
  if ("except" in p.stages) {
    statements.push({
      // The trust refuses such a tag already (in any case); this holds even if a trust were widened.
      Sid: "NeverAStableStage",
      Effect: "Deny",
      NotAction: "sts:GetCallerIdentity",
      Resource: "*",
      Condition: { StringEqualsIgnoreCase: { "aws:PrincipalTag/Stage": p.stages.except } },
    });
  }
  return statements;
}

/**
 * The permissions boundary of every authorizer role the provisioners create: whatever inline policy
 * a stage gives its role, the role reaches only its own stage's signing secret and log group and asks
 * Verified Permissions for decisions, and only from the code of its own stage's function. It cannot
 * create, change or pass anything.
 *
 * The stage is the session's Stage tag, and a session tag overrides the role's tag of the same key.
 * A per-PR stage writes its role's trust itself (IAM has no condition on a trust policy's text), so
 * it could let a session of its role be assumed with `Stage=dev` and read the stable stage's secret.
 * Every statement therefore also needs `lambda:SourceFunctionArn`, which Lambda sets on the requests
 * made with a function's execution role from its execution environment (and on its log writes), to be
 * the function of that same stage: a session assumed any other way has no such key, and only the
 * stage's own provisioner can create or change the function `<stage>-authorizer`.
 */
export function authorizerBoundaryStatements(partition: string, region: string, accountId: string): PolicyStatement[] {
  const fromTheStagesFunction = { ArnEquals: { "lambda:SourceFunctionArn": `arn:${partition}:lambda:${region}:${accountId}:function:${SESSION_STAGE.function.name}` } };
  return [
    {
      Sid: "AskVerifiedPermissions",
      Effect: "Allow",
      Action: ["verifiedpermissions:IsAuthorized", "verifiedpermissions:IsAuthorizedWithToken"],
      Resource: `arn:${partition}:verifiedpermissions::${accountId}:policy-store/*`,
      Condition: { StringEquals: { "aws:ResourceTag/Stage": STAGE_VAR }, ...fromTheStagesFunction },
    },
    {
      Sid: "ReadOwnSigningSecret",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${SESSION_STAGE.jwtSecret.name}-??????`,
      Condition: fromTheStagesFunction,
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:${partition}:logs:${region}:${accountId}:log-group:${SESSION_STAGE.logGroup.name}:*`,
      Condition: fromTheStagesFunction,
    },
  ];
}

/** The trust of the authorizer role, as the provisioners create it. */
export function authorizerTrust(accountId: string): PolicyStatement[] {
  return [serviceAssumesRole("lambda.amazonaws.com", accountId)];
}
