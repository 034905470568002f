import { PlatformConfig, ServiceConfig } from "../config/schema";
import { WORKSPACE_KEY_PREFIX } from "@acme/apps-platform-constructs/backend";
import { PLATFORM, fleetNames, platformCiNames, roleArn, stateBootstrapNames } from "@acme/apps-platform-constructs/naming";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { CiRoleKind, ciTrustStatements, inDeploymentAccount } from "./ci";
import { PLATFORM_READ_SERVICES, ReadPrefix } from "./platform-read-services";

/**
 * The platform's own CI: the plan and apply roles of its repository's pipelines (deployment account)
 * and the read role its plans' providers assume in every account (`ci_phase=plan`).
 *
 *   merge request ──OIDC──▶ apps-platform-ci-plan  ──AssumeRole──▶ apps-platform-read (each account)
 *   protected branch ─OIDC─▶ apps-platform-ci-apply ──AssumeRole──▶ the provisioner roles (each account)
 */

/** The state key kinds of the platform's own stacks (src/backend.ts stateKey), the only keys its CI roles touch. */
// Not the authorizer's stages (ephemeral, authorizer): their own CI roles run them, and their state
// holds each stage's generated signing secret.
export const PLATFORM_STATE_KINDS = ["state-bootstrap", "ci-identity", "environment", "onboarding", "fleet", "tenant"] as const;

export function platformCiRoleArns(partition: string, deploymentAccountId: string) {
  return {
    plan: roleArn(partition, deploymentAccountId, platformCiNames.path, platformCiNames.planRole),
    apply: roleArn(partition, deploymentAccountId, platformCiNames.path, platformCiNames.applyRole),
  };
}

/** The read role of one account, which a plan's providers assume in that account. */
export function platformReadRoleArn(partition: string, accountId: string): string {
  return roleArn(partition, accountId, platformCiNames.path, platformCiNames.readRole);
}

/** A provisioner role as the platform's providers name it (src/constructs/core/account-provider.ts). */
export function provisionerRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** Every account the platform's stacks work in: the deployment account first, then each stage's. */
export function platformAccounts(config: PlatformConfig): { accountId: string; provisionerRoleName: string }[] {
  const stages = [...new Set(Object.values(config.stages).map((s) => s.accountId))].filter((a) => a !== config.deploymentAccount.accountId);
  return [
    { accountId: config.deploymentAccount.accountId, provisionerRoleName: config.deploymentAccount.roleName },
    ...stages.map((accountId) => ({ accountId, provisionerRoleName: config.platformRoleName })),
  ];
}

/** The platform's state store, when state is in S3 (with Terraform Cloud, state is no AWS role's business). */
export interface PlatformStateArns {
  readonly bucket: string;
  /** The platform's keys only: `<kind>/…` and `env/<workspace>/<kind>/…` of each kind. */
  readonly keys: string[];
  readonly table: string;
  /** The state key, as its ARN or as `*` with `keyAlias` naming it. */
  readonly key: string;
  readonly keyAlias?: string;
}

export function platformStateArns(config: PlatformConfig, partition: string): PlatformStateArns | undefined {
  const backend = config.backend;
  if (backend.kind !== "s3") return undefined;
  const account = config.deploymentAccount.accountId;
  const bucket = `arn:${partition}:s3:::${backend.bucket}`;
  const keys = PLATFORM_STATE_KINDS.flatMap((kind) => [`${bucket}/${kind}/*`, `${bucket}/${WORKSPACE_KEY_PREFIX}/*/${kind}/*`]);
  const table = `arn:${partition}:dynamodb:${config.region}:${account}:table/${backend.lockTable}`;
  // The key as the backend names it: a key ARN is that key; an alias (or alias ARN) is matched by alias.
  const keyArn = /^arn:[^:]+:kms:[^:]*:[0-9]*:key\//.test(backend.kmsKeyId) ? backend.kmsKeyId : undefined;
  const alias = keyArn ? undefined : backend.kmsKeyId.replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:(?=alias\/)/, "") || stateBootstrapNames(config.organisation).keyAlias;
  return { bucket, keys, table, key: keyArn ?? `arn:${partition}:kms:${config.region}:${account}:key/*`, keyAlias: alias };
}

/** The platform repository as the services' trust builder takes a repository (src/policy/ci.ts). */
function platformAsService(config: PlatformConfig): ServiceConfig {
  const repo = config.ciIdentity.platformRepository;
  if (!repo) throw new Error("ciIdentity.platformRepository is not configured: the platform has no CI roles.");
  return { slug: PLATFORM, gitlabProjectPath: repo.gitlabProjectPath, githubRepository: repo.githubRepository, branchRestriction: "protected" } as ServiceConfig;
}

/**
 * Who may assume the platform's CI roles: pipelines of the platform repository, on any ref for the
 * plan role (merge-request pipelines present the source branch's `sub`, or GitHub's `pull_request`),
 * on the protected branches of `ciIdentity.<provider>.protectedBranches` only for the apply role.
 * The same statements as a service's CI roles, so a fix to one reaches both.
 */
export function platformCiTrustStatements(config: PlatformConfig, partition: string, kind: CiRoleKind): PolicyStatement[] {
  return ciTrustStatements({ config, partition, service: platformAsService(config), tenants: [] }, kind);
}

/**
 * What the platform's CI roles may do. The plan role reads the platform's state (plans run with
 * `-lock=false`: it reads the lock table's digests, and can neither write state nor take or break a
 * lock) and assumes the read roles; the apply role writes state and locks of the platform's keys and
 * assumes the provisioner roles, which do the work.
 */
export function platformCiRoleStatements(config: PlatformConfig, partition: string, kind: CiRoleKind): PolicyStatement[] {
  const state = platformStateArns(config, partition);
  const accounts = platformAccounts(config);
  const stateStatements: PolicyStatement[] = [];
  if (state) {
    const viaS3 = { StringEquals: { "kms:ViaService": `s3.${config.region}.amazonaws.com` } };
    const ours = inDeploymentAccount(config.deploymentAccount.accountId);
    const keyCondition = state.keyAlias ? { ...viaS3, "ForAnyValue:StringEquals": { "kms:ResourceAliases": state.keyAlias } } : viaS3;
    stateStatements.push(
      // Listing finds the workspaces (`env/<workspace>/…`); it reads no object.
      { Sid: "ListPlatformStateBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: state.bucket, Condition: ours },
      { Sid: "ReadPlatformState", Effect: "Allow", Action: "s3:GetObject", Resource: state.keys, Condition: ours },
      ...(kind === "apply"
        ? ([
            // State objects and their lock files (`<key>.tflock`).
            { Sid: "WritePlatformStateAndLockFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: state.keys, Condition: ours },
            {
              Sid: "LockWithTheLockTable",
              Effect: "Allow",
              Action: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
              Resource: state.table,
            },
          ] satisfies PolicyStatement[])
        : ([{ Sid: "ReadStateDigests", Effect: "Allow", Action: ["dynamodb:DescribeTable", "dynamodb:GetItem"], Resource: state.table }] satisfies PolicyStatement[])),
      {
        // State objects are encrypted by S3 with the state key (SSE-KMS): the role uses it through S3 only.
        Sid: kind === "apply" ? "UseTheStateKeyThroughS3" : "DecryptStateThroughS3",
        Effect: "Allow",
        Action: kind === "apply" ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
        Resource: state.key,
        Condition: keyCondition,
      },
    );
  }
  const targets =
    kind === "apply"
      ? accounts.map((a) => provisionerRoleArn(partition, a.accountId, a.provisionerRoleName))
      : accounts.map((a) => platformReadRoleArn(partition, a.accountId));
  return [...stateStatements, { Sid: kind === "apply" ? "AssumeProvisionerRoles" : "AssumeReadRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: targets }];
}

/** The trust of a read role: the platform's plan role, and any principal named for later. */
export function platformReadRoleTrust(planRoleArn: string, extraPrincipals: readonly string[] = []): PolicyStatement[] {
  return [{ Sid: "PlatformPlanRoleAndNamedPrincipals", Effect: "Allow", Principal: { AWS: [planRoleArn, ...extraPrincipals] }, Action: "sts:AssumeRole" }];
}

/**
 * Reads that return data rather than configuration, in the services a read role may describe: object
 * contents, secret values, plaintext from keys (which also keeps SecureString parameters encrypted:
 * SSM decrypts with the caller's kms:Decrypt), table items, log events, image layers, passwords and
 * console output, user pools' users and tokens, command output, credentials for data (S3 Access
 * Grants, SSM node access). Denied whatever else allows them.
 */
export const DATA_READ_ACTIONS = [
  "s3:GetObject*",
  "s3:GetDataAccess",
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "kms:Decrypt",
  "kms:GenerateDataKey*",
  "kms:ReEncrypt*",
  "ssm:GetCommandInvocation",
  "ssm:GetAccessToken",
  "lambda:GetLayerVersion",
  "lambda:GetDurableExecution*",
  "logs:GetLogEvents",
  "logs:GetLogRecord",
  "logs:GetQueryResults",
  "logs:FilterLogEvents",
  "logs:StartQuery",
  "logs:StartLiveTail",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchGetImage",
  "ecr:GetAuthorizationToken",
  "ec2:GetPasswordData",
  "ec2:GetConsoleOutput",
  "ec2:GetConsoleScreenshot",
  "ec2:GetLaunchTemplateData",
  "cognito-idp:GetTokensFromRefreshToken",
  "cognito-idp:GetUser",
  "cognito-idp:ListUsers",
  "cognito-idp:ListUsersInGroup",
  "cognito-idp:AdminGetUser",
  "rds:DownloadDBLogFilePortion",
  // Configuration that may carry what a secret would: a function's code and environment, user pool
  // client and identity provider secrets, parameter history, instance user data. No stack the
  // platform's pipeline plans reads them (the authorizer's stacks are planned by their own roles).
  "lambda:GetFunction",
  "lambda:GetFunctionConfiguration",
  // The same configuration through listings: each function's environment, every version's.
  "lambda:ListFunctions",
  "lambda:ListVersionsByFunction",
  "cognito-idp:DescribeUserPoolClient",
  "cognito-idp:ListUserPoolClientSecrets",
  "cognito-idp:DescribeIdentityProvider",
  "cognito-idp:GetIdentityProviderByIdentifier",
  "ssm:GetParameterHistory",
  // Run Command's output (with Details), as GetCommandInvocation gives it.
  "ssm:ListCommandInvocations",
  "ssm:GetDeployablePatchSnapshotForInstance",
  "ec2:DescribeInstanceAttribute",
  "ec2:DescribeLaunchTemplateVersions",
  // The same kinds of values in other configuration: the user data of spot requests' launch
  // specifications, VPN tunnels' pre-shared keys, the parameters and outputs of SSM automations and
  // maintenance-window tasks, log samples of anomalies, a push platform's attributes. No platform
  // stack makes these resources.
  "ec2:DescribeSpotFleetRequests",
  "ec2:DescribeSpotInstanceRequests",
  "ec2:DescribeVpnConnections",
  "ec2:GetVpnConnectionDeviceSampleConfiguration",
  "ssm:GetAutomationExecution",
  "ssm:DescribeAutomationExecutions",
  "ssm:DescribeAutomationStepExecutions",
  "ssm:GetMaintenanceWindowTask",
  "ssm:GetMaintenanceWindowExecutionTask",
  "ssm:GetMaintenanceWindowExecutionTaskInvocation",
  "ssm:DescribeMaintenanceWindowTasks",
  "logs:ListAnomalies",
  "sns:GetPlatformApplicationAttributes",
  // Credentials and results in the other services a read role describes: ACME account binding
  // keys, CloudWatch spaces' credentials and telemetry query results, S3 object annotations, the
  // phone numbers opted out of SMS.
  "acm:GetAcmeExternalAccountBindingCredentials",
  "cloudwatch:GetSpaceCredentials",
  "cloudwatch:GetSpaceCredentialsForOrganization",
  "cloudwatch:GetTelemetryQueryResults",
  "s3:ListObjectAnnotations",
  "s3:ListObjectVersionAnnotations",
  "sns:ListPhoneNumbersOptedOut",
  // Found by enumerating every read the Allow patterns match: CloudWatch's logs, metrics and traces
  // and what its insight rules and Logs' lookup tables and scheduled queries hold; Run Command's
  // commands, associations' and maintenance-window invocations' parameters, instances' inventory and
  // UEFI data; push endpoints' tokens and data and the SMS sandbox's phone numbers; a Verified Access
  // trust provider's OIDC client secret; a user import job's upload URL (also in the list of a
  // pool's import jobs); the account's credential report; the inventory entries of a node and the
  // association documents in effect on it; CloudWatch datasets, assistant threads and telemetry
  // query sessions, and a function's durable executions (denied without a confirmed payload: what
  // they return is the kind of data their denied siblings return). No platform stack makes these
  // resources, so no plan refreshes them.
  "cloudwatch:GetRecords",
  "cloudwatch:GetInsightRuleReport",
  "logs:GetLookupTable",
  "logs:GetScheduledQueryHistory",
  "ssm:ListCommands",
  "ssm:DescribeAssociation",
  "ssm:ListAssociationVersions",
  "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
  "ssm:GetInventory",
  "ec2:GetInstanceUefiData",
  "sns:GetEndpointAttributes",
  "sns:ListEndpointsByPlatformApplication",
  "sns:ListSMSSandboxPhoneNumbers",
  "ec2:DescribeVerifiedAccessTrustProviders",
  "cognito-idp:DescribeUserImportJob",
  "cognito-idp:ListUserImportJobs",
  "iam:GetCredentialReport",
  "ssm:ListInventoryEntries",
  "ssm:DescribeEffectiveInstanceAssociations",
  "cloudwatch:GetDataset",
  "cloudwatch:GetOmniThread",
  "cloudwatch:ListTelemetryQuerySessions",
  "lambda:ListDurableExecutionsByFunction",
] as const;

/** Item reads of DynamoDB, denied on every table except those whose items Terraform writes. */
export const ITEM_READ_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:PartiQLSelect",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
] as const;

export interface ReadRoleScope {
  /** The IAM services the account's platform stacks use, with the read prefixes each has. */
  readonly services: Readonly<Record<string, readonly ReadPrefix[]>>;
  /**
   * Tables whose items are written by the platform's stacks (a fleet's tenant registry), which a plan
   * refreshes with GetItem. @default none
   */
  readonly itemTables?: readonly string[];
  /**
   * Data reads a plan makes of what its own stack made (an authorizer stage's function, user pool
   * client and signing secret): each allowed on those resources alone, and still denied on every
   * other. @default none
   */
  readonly ownDataReads?: readonly OwnDataRead[];
}

/** Data reads allowed on one stack's own resources, named by ARN, by resource tags, or by both. */
export interface OwnDataRead {
  /** What is read, for the statement's Sid: `Function`, `UserPoolClient`, `SigningSecret`. */
  readonly what: string;
  /** Entries of DATA_READ_ACTIONS, exactly as written there. */
  readonly actions: readonly (typeof DATA_READ_ACTIONS)[number][];
  /** The resources: exact ARNs, or a pattern a tag condition narrows. */
  readonly resources: readonly string[];
  /** Tags the resource must carry, each value exact (for a resource whose ARN holds a generated id). @default none */
  readonly resourceTags?: Readonly<Record<string, string>>;
  /**
   * Request context the read must carry, each value a pattern (StringLike): a key's decrypt for one
   * secret is told by `kms:EncryptionContext:SecretARN`, not by the key's ARN. @default none
   */
  readonly contexts?: Readonly<Record<string, string>>;
}

/** A read role's permissions: describe, get and list what the stacks manage, and no data. */
export function platformReadRoleStatements(s: ReadRoleScope): PolicyStatement[] {
  const actions = Object.entries(s.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([service, prefixes]) => prefixes.map((p) => `${service}:${p}*`));
  const itemTables = s.itemTables ?? [];
  const own = s.ownDataReads ?? [];
  const ownActions = new Set<string>(own.flatMap((o) => o.actions));
  return [
    { Sid: "DescribeWhatThePlatformStacksManage", Effect: "Allow", Action: actions, Resource: "*" },
    { Sid: "NoDataReads", Effect: "Deny", Action: DATA_READ_ACTIONS.filter((a) => !ownActions.has(a)), Resource: "*" },
    // A stack's own data: denied on every other resource, and on one without the stack's tags.
    ...own.flatMap((o): PolicyStatement[] => [
      ...(o.resources.includes("*") ? [] : [{ Sid: `NoDataReadsButOwn${o.what}`, Effect: "Deny" as const, Action: [...o.actions], NotResource: [...o.resources] }]),
      ...Object.entries(o.resourceTags ?? {}).map(
        ([key, value]): PolicyStatement => ({ Sid: `NoDataReadsButOwn${o.what}Tagged${key}`, Effect: "Deny", Action: [...o.actions], Resource: "*", Condition: { StringNotEquals: { [`aws:ResourceTag/${key}`]: value } } }),
      ),
      // A context key missing from the request is "not like" the pattern: denied.
      ...Object.entries(o.contexts ?? {}).map(
        ([key, pattern]): PolicyStatement => ({ Sid: `NoDataReadsButOwn${o.what}Where${key.replace(/[^A-Za-z0-9]/g, "")}`, Effect: "Deny", Action: [...o.actions], Resource: "*", Condition: { StringNotLike: { [key]: pattern } } }),
      ),
    ]),
    // A plan refreshes a Terraform-written item with GetItem, and reads no other way.
    ...(itemTables.length > 0
      ? [
          { Sid: "NoItemReadsButGetItem", Effect: "Deny" as const, Action: ITEM_READ_ACTIONS.filter((a) => a !== "dynamodb:GetItem"), Resource: "*" },
          { Sid: "NoGetItemButTerraformWrittenItems", Effect: "Deny" as const, Action: "dynamodb:GetItem", NotResource: [...itemTables] },
        ]
      : [{ Sid: "NoItemReads", Effect: "Deny" as const, Action: [...ITEM_READ_ACTIONS], Resource: "*" }]),
  ];
}

/**
 * What a plan may read in one account, whoever plans there (the GitLab pipelines' read role, an HCP
 * Terraform platform workspace's plan role): the read services of the stacks the account holds (the
 * deployment account's, a stage's, or both when a stage shares the deployment account) and the items
 * of the fleet registries of the stages in it.
 */
export function accountReadScope(config: PlatformConfig, partition: string, accountId: string): ReadRoleScope {
  const stages = Object.entries(config.stages).filter(([, s]) => s.accountId === accountId);
  const kinds: ("deployment" | "stage")[] = [...(stages.length > 0 ? ["stage" as const] : []), ...(accountId === config.deploymentAccount.accountId ? ["deployment" as const] : [])];
  const services: Record<string, ReadPrefix[]> = {};
  for (const kind of kinds) {
    for (const [service, prefixes] of Object.entries(PLATFORM_READ_SERVICES[kind])) services[service] = [...new Set([...(services[service] ?? []), ...prefixes])].sort();
  }
  const fleet = config.fleet;
  const itemTables = fleet
    ? stages.filter(([stage]) => fleet.stages[stage]).map(([stage]) => `arn:${partition}:dynamodb:${config.region}:${accountId}:table/${fleetNames(config.organisation, fleet.product, stage).registryTable.name}`)
    : [];
  return { services, itemTables };
}

/**
 * The IAM services a Terraform resource type or data source of the AWS provider calls to read its
 * objects, by the longest matching type prefix. A type no entry matches is an error: a stack that
 * starts using a new kind of resource must say which service its read role describes.
 */
export const TERRAFORM_TYPE_SERVICES: readonly (readonly [string, readonly string[]])[] = [
  ["aws_acm_", ["acm"]],
  ["aws_apprunner_", ["apprunner"]],
  ["aws_appautoscaling_", ["application-autoscaling"]],
  ["aws_availability_zones", ["ec2"]],
  ["aws_caller_identity", []],
  ["aws_cloudwatch_log_", ["logs"]],
  ["aws_cloudwatch_metric_alarm", ["cloudwatch"]],
  ["aws_cognito_", ["cognito-idp"]],
  ["aws_db_", ["rds"]],
  ["aws_default_security_group", ["ec2"]],
  ["aws_dynamodb_", ["dynamodb"]],
  ["aws_ec2_", ["ec2"]],
  ["aws_ecr_", ["ecr"]],
  ["aws_ecs_", ["ecs"]],
  ["aws_eip", ["ec2"]],
  ["aws_elb_service_account", []],
  ["aws_flow_log", ["ec2"]],
  ["aws_iam_policy_document", []],
  ["aws_iam_", ["iam"]],
  ["aws_internet_gateway", ["ec2"]],
  ["aws_kms_", ["kms"]],
  ["aws_lambda_", ["lambda"]],
  ["aws_lb", ["elasticloadbalancing"]],
  ["aws_nat_gateway", ["ec2"]],
  ["aws_partition", []],
  ["aws_rds_", ["rds"]],
  ["aws_region", []],
  ["aws_route53_", ["route53"]],
  ["aws_route_table", ["ec2"]],
  ["aws_route", ["ec2"]],
  ["aws_s3_", ["s3"]],
  ["aws_secretsmanager_", ["secretsmanager"]],
  ["aws_security_group", ["ec2"]],
  ["aws_service_discovery_", ["servicediscovery"]],
  ["aws_sns_", ["sns"]],
  ["aws_ssm_", ["ssm"]],
  ["aws_subnet", ["ec2"]],
  ["aws_verifiedpermissions_", ["verifiedpermissions"]],
  ["aws_vpc", ["ec2"]],
  ["aws_wafv2_", ["wafv2"]],
];

/** The IAM services behind a resource type (`aws_…`); other providers' types (random_, terraform_data) call none. */
export function iamServicesOfType(type: string): readonly string[] {
  if (!type.startsWith("aws_")) return [];
  const match = TERRAFORM_TYPE_SERVICES.filter(([prefix]) => type.startsWith(prefix)).sort((a, b) => b[0].length - a[0].length)[0];
  if (!match) throw new Error(`No IAM service is known for the Terraform type ${type}: add it to TERRAFORM_TYPE_SERVICES in src/policy/platform-ci.ts.`);
  return match[1];
}
