import { IAM_PATHS, PLATFORM, roleArn, serviceDnsNames, serviceStageNames } from "../naming";
import { contractPrefix } from "../contract";
import { environmentNames } from "../naming";
import { PolicyStatement } from "./document";
import {
  ALLOWED_RECORD_TYPES,
  ALLOWED_TAG_KEYS,
  CREATE_ACTIONS,
  KEY_VIA_SERVICES,
  LOG_GROUP_ACTIONS,
  LOG_STREAM_ACTIONS,
  PASS_ROLE_SERVICES,
  READ_OWN_ACTIONS,
  TAG_ACTIONS,
  UNSCOPED_READ_ACTIONS,
  UNTAG_ACTIONS,
  WRITE_OWN_ACTIONS,
} from "./catalog";

/** One tenant (service) in one stage: everything its roles' policies are built from. */
export interface TenantScope {
  readonly partition: string;
  readonly region: string;
  /** The stage's platform account. */
  readonly accountId: string;
  readonly slug: string;
  readonly stage: string;
  /** The stage's hosted zone name. */
  readonly zoneName: string;
}

const arn = (s: TenantScope, service: string, resource: string) => `arn:${s.partition}:${service}:${s.region}:${s.accountId}:${resource}`;

/** The ARNs of the tenant's own roles in the stage. */
export function tenantRoleArns(s: TenantScope) {
  const names = serviceStageNames(s.slug, s.stage);
  return {
    deploy: roleArn(s.partition, s.accountId, IAM_PATHS.deploy, names.deployRole.name),
    read: roleArn(s.partition, s.accountId, IAM_PATHS.read, names.readRole.name),
    execution: roleArn(s.partition, s.accountId, IAM_PATHS.execution, names.executionRole.name),
    ecrAccess: roleArn(s.partition, s.accountId, IAM_PATHS.ecrAccess, names.ecrAccessRole.name),
    infrastructure: roleArn(s.partition, s.accountId, IAM_PATHS.infrastructure, names.infrastructureRole.name),
  };
}

/** The ARN of the service's Aurora cluster in the stage (RDS tags its managed secret with it). */
export function ownClusterArn(s: TenantScope): string {
  return arn(s, "rds", `cluster:${serviceStageNames(s.slug, s.stage).databaseCluster.name}`);
}

export function logGroupArnPattern(s: TenantScope): string {
  return arn(s, "logs", `log-group:${serviceStageNames(s.slug, s.stage).logGroupPrefix.name}*`);
}

export function ecrRepositoryArn(s: TenantScope): string {
  return arn(s, "ecr", `repository/${serviceStageNames(s.slug, s.stage).ecrRepository.name}`);
}

const ownedBy = (slug: string) => ({ StringEquals: { "aws:ResourceTag/app": slug } });

/** The tenant's own resources, told apart by their `app` tag. */
function ownResources(sid: string, actions: readonly string[], s: TenantScope): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: [...actions], Resource: "*", Condition: ownedBy(s.slug) };
}

/** Requests that carry the tenant's `app` and `platform` tags and no tag keys beyond the allowed ones. */
function taggedForTenant(sid: string, actions: readonly string[], s: TenantScope): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: [...actions],
    Resource: "*",
    Condition: {
      StringEquals: { "aws:RequestTag/app": s.slug, "aws:RequestTag/platform": PLATFORM },
      "ForAllValues:StringEquals": { "aws:TagKeys": [...ALLOWED_TAG_KEYS] },
    },
  };
}

function unscopedReads(): PolicyStatement {
  return { Sid: "ReadsWithoutResourceLevelPermissions", Effect: "Allow", Action: [...UNSCOPED_READ_ACTIONS], Resource: "*" };
}

/** Zone-level Route 53 reads take no tag or name conditions; record changes are confined below. */
function dnsReads(s: TenantScope): PolicyStatement {
  return {
    Sid: "ReadHostedZones",
    Effect: "Allow",
    Action: ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:GetChange"],
    Resource: [`arn:${s.partition}:route53:::hostedzone/*`, `arn:${s.partition}:route53:::change/*`],
  };
}

function contractRead(s: TenantScope): PolicyStatement {
  return {
    Sid: "ReadEnvironmentContract",
    Effect: "Allow",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: arn(s, "ssm", `parameter${contractPrefix(s.stage)}*`),
  };
}

function ownRoleReads(s: TenantScope): PolicyStatement {
  const roles = tenantRoleArns(s);
  return { Sid: "ReadOwnRuntimeRoles", Effect: "Allow", Action: "iam:GetRole", Resource: [roles.execution, roles.ecrAccess, roles.infrastructure] };
}

/** The platform key, recognised by its alias since its ARN is only known once the environment exists. */
function platformKey(sid: string, actions: string[], s: TenantScope, viaServices?: readonly string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: arn(s, "kms", "key/*"),
    Condition: {
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": environmentNames(s.stage).platformKeyAlias },
      ...(viaServices ? { StringEquals: { "kms:ViaService": viaServices.map((v) => `${v}.${s.region}.amazonaws.com`) } } : {}),
    },
  };
}

/**
 * The deploy role's policy: what a service's apply pipeline may do in one stage's platform account.
 * Everything it creates must carry the service's tags, everything it changes must already carry
 * them, and it can neither relabel another tenant's resources nor label its own as another's.
 */
export function deployRoleStatements(s: TenantScope): PolicyStatement[] {
  const roles = tenantRoleArns(s);
  const dns = serviceDnsNames(s.slug, s.zoneName);
  return [
    taggedForTenant("CreateOnlyTaggedForThisService", CREATE_ACTIONS, s),
    taggedForTenant("TagOnCreateForThisService", TAG_ACTIONS, s),
    ownResources("TagOwnResources", [...TAG_ACTIONS, ...UNTAG_ACTIONS], s),
    ownResources("ManageOwnResources", [...READ_OWN_ACTIONS, ...WRITE_OWN_ACTIONS], s),
    {
      Sid: "DenyTagChangesOnOtherTenantsResources",
      Effect: "Deny",
      Action: [...TAG_ACTIONS, ...UNTAG_ACTIONS],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:ResourceTag/app": s.slug }, Null: { "aws:ResourceTag/app": "false" } },
    },
    {
      Sid: "DenyLabellingAsAnotherTenant",
      Effect: "Deny",
      Action: [...CREATE_ACTIONS, ...TAG_ACTIONS],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestTag/app": s.slug }, Null: { "aws:RequestTag/app": "false" } },
    },
    {
      Sid: "DenyChangingThePlatformTag",
      Effect: "Deny",
      Action: [...CREATE_ACTIONS, ...TAG_ACTIONS],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestTag/platform": PLATFORM }, Null: { "aws:RequestTag/platform": "false" } },
    },
    {
      // RDS tags the master secret it manages with its cluster's ARN, not with the service's tags, so
      // the tag-based statements above would let another service claim it by tagging it. Secrets of
      // any cluster but this service's are off limits whatever their other tags.
      Sid: "DenyOtherServicesDatabaseSecrets",
      Effect: "Deny",
      Action: [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
        "secretsmanager:UpdateSecretVersionStage",
        "secretsmanager:DeleteSecret",
        "secretsmanager:RestoreSecret",
        "secretsmanager:RotateSecret",
        "secretsmanager:CancelRotateSecret",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteResourcePolicy",
      ],
      Resource: "*",
      Condition: {
        StringNotEquals: { "aws:ResourceTag/aws:rds:primaryDBClusterArn": ownClusterArn(s) },
        Null: { "aws:ResourceTag/aws:rds:primaryDBClusterArn": "false" },
      },
    },
    {
      Sid: "DenyRemovingTenantTags",
      Effect: "Deny",
      Action: [...UNTAG_ACTIONS],
      Resource: "*",
      Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["app", "platform"] } },
    },
    {
      Sid: "PassOwnRuntimeRolesToComputeServices",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: [roles.execution, roles.ecrAccess, roles.infrastructure],
      Condition: { StringEquals: { "iam:PassedToService": [...PASS_ROLE_SERVICES] } },
    },
    ownRoleReads(s),
    {
      Sid: "ChangeOwnDnsNamesOnly",
      Effect: "Allow",
      Action: "route53:ChangeResourceRecordSets",
      Resource: `arn:${s.partition}:route53:::hostedzone/*`,
      Condition: {
        "ForAllValues:StringLike": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": [dns.apex, dns.wildcard] },
        "ForAllValues:StringEquals": {
          "route53:ChangeResourceRecordSetsRecordTypes": [...ALLOWED_RECORD_TYPES],
          "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
        },
        // ForAllValues is true for a request without the key; require it.
        Null: { "route53:ChangeResourceRecordSetsNormalizedRecordNames": "false" },
      },
    },
    dnsReads(s),
    { Sid: "OwnLogGroupsByName", Effect: "Allow", Action: [...LOG_GROUP_ACTIONS], Resource: logGroupArnPattern(s) },
    { Sid: "OwnLogStreamsByName", Effect: "Allow", Action: [...LOG_STREAM_ACTIONS], Resource: `${logGroupArnPattern(s)}:log-stream:*` },
    contractRead(s),
    platformKey(
      "UsePlatformKeyThroughServices",
      ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"],
      s,
      KEY_VIA_SERVICES,
    ),
    platformKey("DescribePlatformKey", ["kms:DescribeKey"], s),
    unscopedReads(),
  ];
}

/** The read role's policy: what a merge-request plan needs, and nothing that writes or reveals secrets. */
export function readRoleStatements(s: TenantScope): PolicyStatement[] {
  return [
    ownResources("ReadOwnResources", READ_OWN_ACTIONS, s),
    ownRoleReads(s),
    dnsReads(s),
    { Sid: "ReadOwnLogGroups", Effect: "Allow", Action: ["logs:DescribeLogStreams", "logs:ListTagsForResource"], Resource: logGroupArnPattern(s) },
    contractRead(s),
    platformKey("DescribePlatformKey", ["kms:DescribeKey"], s),
    unscopedReads(),
  ];
}

/** ECR pulls of the tenant's own repository (App Runner's access role, ECS's execution role). */
function pullOwnImages(s: TenantScope): PolicyStatement[] {
  return [
    {
      Sid: "PullOwnImages",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages"],
      Resource: ecrRepositoryArn(s),
    },
    // A registry login token; what it may pull is still checked per repository.
    { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
  ];
}

/** The execution (instance/task) role: the service at run time. */
export function executionRoleStatements(s: TenantScope): PolicyStatement[] {
  return [
    {
      Sid: "ReadOwnSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: arn(s, "secretsmanager", "secret:*"),
      Condition: ownedBy(s.slug),
    },
    {
      // RDS creates the database's master secret and tags it with the cluster's ARN, not with the
      // service's tags; the cluster's name is the service's, so the tag still tells whose it is.
      Sid: "ReadOwnDatabaseSecret",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: arn(s, "secretsmanager", "secret:*"),
      Condition: { StringEquals: { "aws:ResourceTag/aws:rds:primaryDBClusterArn": ownClusterArn(s) } },
    },
    platformKey("DecryptSecretsThroughSecretsManager", ["kms:Decrypt"], s, ["secretsmanager"]),
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: [...LOG_STREAM_ACTIONS], Resource: `${logGroupArnPattern(s)}:log-stream:*` },
    ...pullOwnImages(s),
  ];
}

/** App Runner's ECR access role. */
export function ecrAccessRoleStatements(s: TenantScope): PolicyStatement[] {
  return pullOwnImages(s);
}
