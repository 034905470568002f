import { CONTRACT_ENTRIES, contractParameterName } from "../contract/entries";
import { IAM_PATHS, PLATFORM, environmentNames, roleArn, serviceDnsNames, serviceStageNames } from "../naming";
import { ConditionBlock, PolicyStatement } from "./document";
import {
  ALLOWED_RECORD_TYPES,
  ALLOWED_TAG_KEYS,
  APP_RUNNER_CREATE_ACTIONS,
  APP_RUNNER_UPDATE_ACTIONS,
  CREATE_ACTIONS,
  KEY_VIA_SERVICES,
  LOG_STREAM_ACTIONS,
  PASS_ROLE_SERVICES,
  READ_OWN_ACTIONS,
  READ_OWN_SECRET_VALUE_ACTIONS,
  TAG_ACTIONS,
  UNSCOPED_READ_ACTIONS,
  UNTAG_ACTIONS,
  WRITE_OWN_ACTIONS,
} from "./catalog";
import { taggedForAnotherApp } from "./statements";

/** The cluster ECS Express Mode services run in. */
export const ECS_CLUSTER = "default";

/** One tenant (service) in one stage: everything its roles' policies are built from. */
export interface TenantScope {
  /** The AWS partition of the Region. */
  readonly partition: string;
  /** The stage's Region. */
  readonly region: string;
  /** The stage's platform account. */
  readonly accountId: string;
  /** The service's slug, its tenant id (its `app` tag). */
  readonly slug: string;
  /** The stage. */
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

/** The ARN patterns of everything the tenant owns in the stage, by the name the platform gives it. */
export function ownResourceArns(s: TenantScope) {
  const n = serviceStageNames(s.slug, s.stage);
  return {
    ecrRepository: ecrRepositoryArn(s),
    appRunnerService: arn(s, "apprunner", `service/${n.appRunnerService.name}/*`),
    appRunnerAutoScaling: arn(s, "apprunner", `autoscalingconfiguration/${n.autoScaling.name}/*`),
    // ECS Express services live in the account's default cluster.
    ecsService: arn(s, "ecs", `service/${ECS_CLUSTER}/${n.ecsService.name}`),
    ecsServiceDeployments: arn(s, "ecs", `service-deployment/${ECS_CLUSTER}/${n.ecsService.name}/*`),
    ecsServiceRevisions: arn(s, "ecs", `service-revision/${ECS_CLUSTER}/${n.ecsService.name}/*`),
    databaseCluster: ownClusterArn(s),
    databaseInstance: arn(s, "rds", `db:${n.databaseInstance.name}`),
    databaseSubnetGroup: arn(s, "rds", `subgrp:${n.databaseSubnetGroup.name}`),
    databaseParameterGroup: arn(s, "rds", `cluster-pg:${n.databaseParameterGroup.name}`),
    finalSnapshot: arn(s, "rds", `cluster-snapshot:${n.finalSnapshot.name}`),
    secrets: secretArnPattern(s),
    logGroups: logGroupArnPattern(s),
  };
}

/** The tenant's own resources as one list, for statements that span resource types. */
function ownArnList(s: TenantScope): string[] {
  return Object.values(ownResourceArns(s));
}

/** The App Runner VPC connector onboarding made for the tenant: it may use it, never create or change one. */
export function vpcConnectorArnPattern(s: TenantScope): string {
  return arn(s, "apprunner", `vpcconnector/${serviceStageNames(s.slug, s.stage).vpcConnector.name}/*`);
}

/** AWS's default option and parameter groups, which a new cluster and instance name unless told otherwise. */
function awsDefaultRdsGroups(s: TenantScope): string[] {
  return [arn(s, "rds", "og:default:*"), arn(s, "rds", "pg:default.*")];
}

export function secretArnPattern(s: TenantScope): string {
  return arn(s, "secretsmanager", `secret:${serviceStageNames(s.slug, s.stage).secretPrefix.name}*`);
}

/** The request carries the tenant's `app` and `platform` tags and no tag keys beyond the allowed ones. */
function requestTaggedForTenant(s: TenantScope) {
  return {
    StringEquals: { "aws:RequestTag/app": s.slug, "aws:RequestTag/platform": PLATFORM },
    "ForAllValues:StringEquals": { "aws:TagKeys": [...ALLOWED_TAG_KEYS] },
  };
}

/**
 * What an App Runner create or update may name besides the service: only the tenant's own scaling
 * configuration and the VPC connector onboarding made for it, and no source connection or
 * observability configuration (the platform uses neither).
 */
function appRunnerReferences(s: TenantScope) {
  return {
    StringLikeIfExists: {
      "apprunner:VpcConnectorArn": vpcConnectorArnPattern(s),
      "apprunner:AutoScalingConfigurationArn": ownResourceArns(s).appRunnerAutoScaling,
    },
    Null: { "apprunner:ConnectionArn": "true", "apprunner:ObservabilityConfigurationArn": "true" },
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

/** The stage's environment contract, and the part of it onboarding wrote for this tenant only. */
function contractRead(s: TenantScope): PolicyStatement {
  return {
    Sid: "ReadEnvironmentContract",
    Effect: "Allow",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: [
      ...CONTRACT_ENTRIES.map((entry) => arn(s, "ssm", `parameter${contractParameterName(s.stage, entry)}`)),
      arn(s, "ssm", `parameter${serviceStageNames(s.slug, s.stage).parameterPrefix.name}*`),
    ],
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

/** Reads of the VPC connector onboarding made for the tenant, which both its deploy and read roles need. */
function ownConnectorReads(s: TenantScope): PolicyStatement {
  return { Sid: "ReadOwnVpcConnector", Effect: "Allow", Action: ["apprunner:DescribeVpcConnector", "apprunner:ListTagsForResource"], Resource: vpcConnectorArnPattern(s) };
}

function withCondition(statement: PolicyStatement, extra: ConditionBlock): PolicyStatement {
  return { ...statement, Condition: { ...(statement.Condition ?? {}), ...extra } };
}

/** Each runtime role to the services that run it, and nothing else. */
function passOwnRuntimeRoles(s: TenantScope): PolicyStatement[] {
  const roles = tenantRoleArns(s);
  return (Object.keys(PASS_ROLE_SERVICES) as (keyof typeof PASS_ROLE_SERVICES)[]).map((kind) => ({
    Sid: `Pass${kind[0].toUpperCase()}${kind.slice(1)}Role`,
    Effect: "Allow",
    Action: "iam:PassRole",
    Resource: roles[kind],
    Condition: { StringEquals: { "iam:PassedToService": [...PASS_ROLE_SERVICES[kind]] } },
  }));
}

/** The tenant's own DNS names in the stage zone, with the record types and actions it may use. */
function ownDnsNames(s: TenantScope): PolicyStatement {
  const dns = serviceDnsNames(s.slug, s.zoneName);
  return {
    Sid: "ChangeOwnDnsNamesOnly",
    Effect: "Allow",
    Action: "route53:ChangeResourceRecordSets",
    Resource: `arn:${s.partition}:route53:::hostedzone/*`,
    Condition: {
      "ForAllValues:StringLike": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": [dns.apex, dns.wildcard] },
      "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": [...ALLOWED_RECORD_TYPES] },
      // ForAllValues is true for a request without the key; require it.
      Null: { "route53:ChangeResourceRecordSetsNormalizedRecordNames": "false" },
    },
  };
}

/**
 * The deploy role's policy: what a service's apply pipeline may do in one stage's platform account.
 *
 * Every resource is confined by the name the platform gives it (`naming.ts`): creates, tags and
 * changes name only the tenant's own ARNs, for every resource type an action authorizes, so it can
 * neither reach another tenant's resources nor claim an untagged one. What it creates must carry its
 * tags, and it can neither relabel its resources as another's nor remove its own labels. Security
 * groups and the App Runner VPC connector are onboarding's; the tenant may only use its own.
 */
export function deployRoleStatements(s: TenantScope): PolicyStatement[] {
  const own = ownResourceArns(s);
  return [
    {
      Sid: "CreateOwnResourcesTaggedForThisService",
      Effect: "Allow",
      Action: [...CREATE_ACTIONS],
      Resource: [...ownArnList(s), ...awsDefaultRdsGroups(s)],
      Condition: requestTaggedForTenant(s),
    },
    {
      Sid: "CreateOwnAppRunnerService",
      Effect: "Allow",
      Action: [...APP_RUNNER_CREATE_ACTIONS],
      Resource: [own.appRunnerService, own.appRunnerAutoScaling, vpcConnectorArnPattern(s)],
      Condition: { ...requestTaggedForTenant(s), ...appRunnerReferences(s) },
    },
    {
      Sid: "UpdateOwnAppRunnerService",
      Effect: "Allow",
      Action: [...APP_RUNNER_UPDATE_ACTIONS],
      Resource: [own.appRunnerService, own.appRunnerAutoScaling, vpcConnectorArnPattern(s)],
      Condition: appRunnerReferences(s),
    },
    {
      Sid: "TagOwnResources",
      Effect: "Allow",
      Action: [...TAG_ACTIONS, ...UNTAG_ACTIONS],
      Resource: ownArnList(s),
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [...ALLOWED_TAG_KEYS] } },
    },
    { Sid: "ManageOwnResources", Effect: "Allow", Action: [...READ_OWN_ACTIONS, ...WRITE_OWN_ACTIONS], Resource: ownArnList(s) },
    ownConnectorReads(s),
    { Sid: "ReadBackOwnSecretValues", Effect: "Allow", Action: [...READ_OWN_SECRET_VALUE_ACTIONS], Resource: own.secrets },
    { Sid: "OwnLogStreamsByName", Effect: "Allow", Action: [...LOG_STREAM_ACTIONS], Resource: `${own.logGroups}:log-stream:*` },
    {
      Sid: "DenyLabellingAsAnotherTenant",
      Effect: "Deny",
      Action: [...CREATE_ACTIONS, ...APP_RUNNER_CREATE_ACTIONS, ...TAG_ACTIONS],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestTag/app": s.slug }, Null: { "aws:RequestTag/app": "false" } },
    },
    {
      Sid: "DenyChangingThePlatformTag",
      Effect: "Deny",
      Action: [...CREATE_ACTIONS, ...APP_RUNNER_CREATE_ACTIONS, ...TAG_ACTIONS],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestTag/platform": PLATFORM }, Null: { "aws:RequestTag/platform": "false" } },
    },
    {
      Sid: "DenyRemovingTenantTags",
      Effect: "Deny",
      Action: [...UNTAG_ACTIONS],
      Resource: "*",
      Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["app", "platform"] } },
    },
    notAnotherTenantsDatabase(s, [...CREATE_ACTIONS, ...TAG_ACTIONS, ...UNTAG_ACTIONS, ...READ_OWN_ACTIONS, ...WRITE_OWN_ACTIONS]),
    ...passOwnRuntimeRoles(s),
    ownRoleReads(s),
    ownDnsNames(s),
    dnsReads(s),
    contractRead(s),
    platformKey(
      "UsePlatformKeyThroughServices",
      ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
      s,
      KEY_VIA_SERVICES,
    ),
    // Services create grants on the key for the resources they encrypt; no grant for anything else.
    withCondition(platformKey("GrantPlatformKeyToServicesForTheirResources", ["kms:CreateGrant"], s, KEY_VIA_SERVICES), {
      Bool: { "kms:GrantIsForAWSResource": "true" },
    }),
    platformKey("DescribePlatformKey", ["kms:DescribeKey"], s),
    unscopedReads(),
  ];
}

/**
 * A tenant may rename its own database cluster or instance to any free identifier (ModifyDBCluster's
 * `NewDBClusterIdentifier`, ModifyDBInstance's `NewDBInstanceIdentifier`: no condition key and no
 * resource names the new one), so another tenant's database can come to stand under this service's
 * name while this service has none. It keeps its owner's `app` tag, which no tenant may remove
 * (DenyRemovingTenantTags): under this service's names, a database tagged for another app is refused
 * to every RDS action, so it is never imported, changed or read as this service's. The name itself
 * stays taken, which IAM cannot prevent: this service's create then fails, naming it.
 */
function notAnotherTenantsDatabase(s: TenantScope, actions: readonly string[]): PolicyStatement {
  const own = ownResourceArns(s);
  return {
    Sid: "DenyAnotherTenantsDatabaseUnderOwnName",
    Effect: "Deny",
    // The RDS actions the role has on its own names.
    Action: [...new Set(actions.filter((a) => a.startsWith("rds:")))],
    Resource: [own.databaseCluster, own.databaseInstance],
    Condition: taggedForAnotherApp(s.slug),
  };
}

/** The read role's policy: what a merge-request plan needs, and nothing that writes or reveals secrets. */
export function readRoleStatements(s: TenantScope): PolicyStatement[] {
  return [
    { Sid: "ReadOwnResources", Effect: "Allow", Action: [...READ_OWN_ACTIONS], Resource: ownArnList(s) },
    notAnotherTenantsDatabase(s, READ_OWN_ACTIONS),
    ownConnectorReads(s),
    ownRoleReads(s),
    dnsReads(s),
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
      Resource: secretArnPattern(s),
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
    {
      // Another tenant can rename its cluster to this service's free cluster name (no condition key
      // or resource names the new identifier), and RDS tags the master secret with that cluster's ARN.
      // The secret keeps its database's app tag: one tagged for another app is not this service's.
      Sid: "NoDatabaseSecretOfAnotherApp",
      Effect: "Deny",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: arn(s, "secretsmanager", "secret:*"),
      Condition: taggedForAnotherApp(s.slug),
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
