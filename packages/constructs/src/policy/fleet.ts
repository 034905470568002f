import { IAM_PATHS, PLATFORM, controlPlaneNames, fleetNames, fleetTenantNames, roleArn } from "../naming";
import { PolicyStatement } from "./document";
import { KEY_USAGE_ACTIONS, logsServiceUsesKey } from "./key-policies";
import { keyAdministeredByAccount, taggedForAnotherApp } from "./statements";

/**
 * The policies of a tenant fleet (docs/fleet.md). A tenant's task role reaches its own evidence (a prefix
 * of the pool bucket, or its silo bucket), connects to PostgreSQL as its own user, and nothing else;
 * its execution role pulls the product's images, writes its own log groups and reads its own
 * secrets. Every statement names the tenant's resources by the name the platform gives them: no tag
 * is trusted, and no resource of another tenant matches any pattern.
 */

/** One fleet in one stage of one account. */
export interface FleetScope {
  /** The AWS partition of the Region. */
  readonly partition: string;
  /** The stage's Region. */
  readonly region: string;
  /** The stage's platform account. */
  readonly accountId: string;
  /** The organisation prefix of the fleet's bucket names. */
  readonly organisation: string;
  /** The fleet's product, first part of its names. */
  readonly product: string;
  /** The fleet stage. */
  readonly stage: string;
}

/** One tenant of a fleet stage. */
export interface FleetTenantScope extends FleetScope {
  /** The tenant's id. */
  readonly id: string;
  /** Shared storage (`pool`, its own prefix of the fleet's) or storage of its own (`silo`). */
  readonly tier: "pool" | "silo";
}

const arn = (s: FleetScope, service: string, resource: string) => `arn:${s.partition}:${service}:${s.region}:${s.accountId}:${resource}`;
const bucketArn = (s: FleetScope, bucket: string) => `arn:${s.partition}:s3:::${bucket}`;
const via = (s: FleetScope, ...services: string[]) => services.map((v) => `${v}.${s.region}.amazonaws.com`);
/** S3 ARNs carry no account: a bucket name is the stage account's only while it holds it, so each grant says so. */
const inStageAccount = (s: FleetScope) => ({ "aws:ResourceAccount": s.accountId });

/** The fleet key, by its alias: its ARN holds a random id the policies cannot know. */
function fleetKeyCondition(s: FleetScope): Record<string, Record<string, string | string[]>> {
  return { "ForAnyValue:StringEquals": { "kms:ResourceAliases": fleetNames(s.organisation, s.product, s.stage).keyAlias.name } };
}
const anyKey = (s: FleetScope) => arn(s, "kms", "key/*");

/** The ARNs of a tenant's roles. */
export function fleetTenantRoleArns(s: FleetTenantScope) {
  const n = fleetTenantNames(s.organisation, s.product, s.id, s.stage);
  return {
    task: roleArn(s.partition, s.accountId, IAM_PATHS.fleetTask, n.taskRole.name),
    execution: roleArn(s.partition, s.accountId, IAM_PATHS.fleetExecution, n.executionRole.name),
  };
}

/** The bucket a tenant's evidence is in, and the object ARN pattern it may use there. */
export function evidenceLocation(s: FleetTenantScope): { bucket: string; prefix: string; objects: string } {
  const t = fleetTenantNames(s.organisation, s.product, s.id, s.stage);
  const bucket = s.tier === "pool" ? fleetNames(s.organisation, s.product, s.stage).evidenceBucket.name : t.siloBucket.name;
  const prefix = t.evidencePrefix.name;
  // A silo bucket is the tenant's alone; in the pool bucket only its prefix is.
  return { bucket, prefix, objects: s.tier === "pool" ? `${bucketArn(s, bucket)}/${prefix}*` : `${bucketArn(s, bucket)}/*` };
}

export const EVIDENCE_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] as const;

/** What a tenant's code may do: its evidence, its database user. */
export function fleetTaskStatements(s: FleetTenantScope): PolicyStatement[] {
  const evidence = evidenceLocation(s);
  const t = fleetTenantNames(s.organisation, s.product, s.id, s.stage);
  return [
    {
      Sid: "ListOwnEvidence",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn(s, evidence.bucket),
      // Listing is only allowed with a prefix inside the tenant's: a list without one names every key.
      Condition: { StringLike: { "s3:prefix": `${evidence.prefix}*` }, StringEquals: inStageAccount(s) },
    },
    { Sid: "UseOwnEvidence", Effect: "Allow", Action: [...EVIDENCE_OBJECT_ACTIONS], Resource: evidence.objects, Condition: { StringEquals: inStageAccount(s) } },
    {
      Sid: "EvidenceKeyThroughS3ForOwnObjects",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: anyKey(s),
      Condition: {
        ...fleetKeyCondition(s),
        StringEquals: { "kms:ViaService": via(s, "s3") },
        // The pool bucket encrypts each object under its own ARN (no bucket key), so the key opens the tenant's objects only.
        ArnLike: { "kms:EncryptionContext:aws:s3:arn": s.tier === "pool" ? evidence.objects : bucketArn(s, evidence.bucket) },
      },
    },
    {
      Sid: "ConnectAsOwnDatabaseUser",
      Effect: "Allow",
      Action: "rds-db:connect",
      // The cluster's resource id is AWS's to choose; the user name is the tenant's own on any cluster.
      Resource: arn(s, "rds-db", `dbuser:*/${t.databaseUser.name}`),
    },
  ];
}

/** What ECS does to start a tenant's tasks: the product's images, the tenant's log groups and secrets. */
export function fleetExecutionStatements(s: FleetTenantScope, repositories: readonly string[]): PolicyStatement[] {
  const t = fleetTenantNames(s.organisation, s.product, s.id, s.stage);
  return [...pullImages(s, repositories), ...writeLogs(s, t.logGroupPrefix.name), ...readSecrets(s, t.secretPrefix.name)];
}

function pullImages(s: FleetScope, repositories: readonly string[]): PolicyStatement[] {
  return [
    // GetAuthorizationToken authorizes no resource type.
    { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullProductImages",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Resource: [...repositories].sort().map((r) => arn(s, "ecr", `repository/${r}`)),
    },
  ];
}

function writeLogs(s: FleetScope, prefix: string): PolicyStatement[] {
  return [
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [arn(s, "logs", `log-group:${prefix}*:log-stream:*`)],
    },
  ];
}

/** kms:Decrypt of the fleet key through Secrets Manager, for the secrets whose ARNs match `secrets` only. */
function decryptSecrets(s: FleetScope, sid: string, secrets: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: "kms:Decrypt",
    Resource: anyKey(s),
    Condition: {
      ...fleetKeyCondition(s),
      StringEquals: { "kms:ViaService": via(s, "secretsmanager") },
      ArnLike: { "kms:EncryptionContext:SecretARN": secrets },
    },
  };
}

function readSecrets(s: FleetScope, prefix: string): PolicyStatement[] {
  return [
    { Sid: "ReadOwnSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn(s, "secretsmanager", `secret:${prefix}*`) },
    decryptSecrets(s, "DecryptOwnSecrets", arn(s, "secretsmanager", `secret:${prefix}*`)),
  ];
}

/** The control plane's shared execution role: its images and its log groups. */
export function controlPlaneExecutionStatements(s: FleetScope, repositories: readonly string[]): PolicyStatement[] {
  return [...pullImages(s, repositories), ...writeLogs(s, `/${s.product}/${s.stage}/control-plane/`)];
}

/** The registry's table ARN. */
export function registryTableArn(s: FleetScope): string {
  return arn(s, "dynamodb", `table/${fleetNames(s.organisation, s.product, s.stage).registryTable.name}`);
}

function readRegistry(s: FleetScope): PolicyStatement {
  return {
    Sid: "ReadTenantRegistry",
    Effect: "Allow",
    Action: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:DescribeTable"],
    Resource: registryTableArn(s),
  };
}

function registryKey(s: FleetScope): PolicyStatement {
  return {
    Sid: "RegistryKeyThroughDynamoDb",
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: anyKey(s),
    Condition: {
      ...fleetKeyCondition(s),
      // DynamoDB names the table in the encryption context: the key opens the registry only.
      StringEquals: { "kms:ViaService": via(s, "dynamodb"), "kms:EncryptionContext:aws:dynamodb:tableName": fleetNames(s.organisation, s.product, s.stage).registryTable.name },
    },
  };
}

/** The routing snapshot: where the publisher writes and the router reads. */
export const ROUTING_SNAPSHOT_PREFIX = "snapshots/";

function routingObjects(s: FleetScope): string {
  return `${bucketArn(s, fleetNames(s.organisation, s.product, s.stage).routingBucket.name)}/${ROUTING_SNAPSHOT_PREFIX}*`;
}

function routingKey(s: FleetScope, actions: string[]): PolicyStatement {
  return {
    Sid: "RoutingKeyThroughS3",
    Effect: "Allow",
    Action: actions,
    Resource: anyKey(s),
    Condition: {
      ...fleetKeyCondition(s),
      StringEquals: { "kms:ViaService": via(s, "s3") },
      ArnLike: { "kms:EncryptionContext:aws:s3:arn": bucketArn(s, fleetNames(s.organisation, s.product, s.stage).routingBucket.name) },
    },
  };
}

/** Cluster ARNs per statement of the registry's master-secret grant, so that each statement fits a managed policy. */
export const MASTER_SECRET_CLUSTERS_PER_STATEMENT = 40;

/**
 * The task role of a control-plane service, by what docs/fleet.md gives it to do: the registry provisions
 * tenants (it reads the registry and the databases' master secrets, to create each tenant's user and
 * schema), licensing reads the registry, the publisher turns the registry into the routing snapshot,
 * the router reads the snapshot. An unknown control-plane service gets the registry's read access.
 * `siloTenants` are the ids of the stage's silo tenants, whose clusters the registry provisions.
 */
export function controlPlaneTaskStatements(s: FleetScope, service: string, siloTenants: readonly string[]): PolicyStatement[] {
  const n = fleetNames(s.organisation, s.product, s.stage);
  switch (service) {
    case "tenant-registry": {
      // RDS tags the secrets it manages with their cluster: the pool's and the stage's silo tenants', each
      // by name. A pattern (<product>-*-<stage>) would also match any cluster someone names that way.
      const clusters = [n.poolCluster.name, ...[...siloTenants].sort().map((id) => fleetTenantNames(s.organisation, s.product, id, s.stage).siloCluster.name)].map((c) => arn(s, "rds", `cluster:${c}`));
      const chunks = [...Array(Math.ceil(clusters.length / MASTER_SECRET_CLUSTERS_PER_STATEMENT)).keys()].map((i) => clusters.slice(i * MASTER_SECRET_CLUSTERS_PER_STATEMENT, (i + 1) * MASTER_SECRET_CLUSTERS_PER_STATEMENT));
      return [
        readRegistry(s),
        registryKey(s),
        ...chunks.map(
          (chunk, i): PolicyStatement => ({
            Sid: `ReadDatabaseMasterSecrets${chunks.length > 1 ? i + 1 : ""}`,
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: arn(s, "secretsmanager", "secret:rds!cluster-*"),
            Condition: { StringEquals: { "aws:ResourceTag/aws:rds:primaryDBClusterArn": chunk } },
          }),
        ),
        // A service can rename its database to a silo tenant's cluster name before the tenant's stack
        // makes it (IAM cannot see the new name), and RDS then tags its master secret with that
        // cluster's ARN. Where the secret carries its database's app tag, it says whose it is.
        {
          Sid: "NoMasterSecretOfAnotherAppsDatabase",
          Effect: "Deny",
          Action: "secretsmanager:GetSecretValue",
          Resource: arn(s, "secretsmanager", "secret:rds!cluster-*"),
          Condition: taggedForAnotherApp(s.product),
        },
        // The master secrets only, not the tenants' secrets the same key encrypts.
        decryptSecrets(s, "DecryptDatabaseMasterSecrets", arn(s, "secretsmanager", "secret:rds!cluster-*")),
      ];
    }
    case "routing-snapshot-publisher":
      return [readRegistry(s), registryKey(s), { Sid: "PublishRoutingSnapshot", Effect: "Allow", Action: "s3:PutObject", Resource: routingObjects(s), Condition: { StringEquals: inStageAccount(s) } }, routingKey(s, ["kms:GenerateDataKey", "kms:Decrypt"])];
    case "router":
      return [{ Sid: "ReadRoutingSnapshot", Effect: "Allow", Action: "s3:GetObject", Resource: routingObjects(s), Condition: { StringEquals: inStageAccount(s) } }, routingKey(s, ["kms:Decrypt"])];
    default:
      return [readRegistry(s), registryKey(s)];
  }
}

/** The control-plane task role's ARN. */
export function controlPlaneRoleArn(s: FleetScope, service: string): string {
  return roleArn(s.partition, s.accountId, IAM_PATHS.fleetControlPlane, controlPlaneNames(s.product, s.stage, service).taskRole.name);
}

/**
 * The fleet key: evidence, secrets, the registry, logs and the alarm topic. Fleet roles may only use
 * it through S3, Secrets Manager and DynamoDB; an explicit Deny covers every direct use.
 */
export function fleetKeyPolicy(s: FleetScope): PolicyStatement[] {
  const fleetRoles = `arn:${s.partition}:iam::${s.accountId}:role/${PLATFORM}/fleet/*`;
  return [
    keyAdministeredByAccount(s.partition, s.accountId),
    {
      Sid: "FleetRolesUseKeyOnlyThroughServices",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: [...KEY_USAGE_ACTIONS],
      Resource: "*",
      Condition: {
        ArnLike: { "aws:PrincipalArn": fleetRoles },
        StringNotEquals: { "kms:ViaService": via(s, "s3", "secretsmanager", "dynamodb") },
      },
    },
    logsServiceUsesKey("CloudWatchLogsEncryptsFleetLogGroups", s.region, arn(s, "logs", `log-group:/${s.product}/${s.stage}/*`)),
    {
      Sid: "CloudWatchPublishesAlarmsToTheEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": s.accountId } },
    },
  ];
}
