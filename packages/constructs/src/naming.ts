/**
 * Every pattern and every name the platform uses, in one place. Constructs never build names from
 * literals: they call these functions, so a rename or a new AWS length limit is one change here.
 */

import { createHash } from "node:crypto";
import { isUnresolved } from "./errors";

export const PLATFORM = "apps-platform";

// ---------------------------------------------------------------------------------------------------
// Patterns for config values
// ---------------------------------------------------------------------------------------------------

/** Stage names (`dev`, `prod`, `pr-123`); an ephemeral stage is also a Terraform workspace. */
export const STAGE_PATTERN = /^[a-z0-9-]{1,32}$/;
/** The longest stage name STAGE_PATTERN admits. */
export const LONGEST_STAGE_LENGTH = 32;
/** Service slugs: DNS labels that start with a letter, no leading, trailing or doubled hyphens. */
export const SLUG_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$/;
/** The organisation prefix of globally unique names (S3 buckets). */
export const ORGANISATION_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,19}$/;
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
/**
 * Account aliases of the ephemeral stacks, first part of each stage's stack name
 * (`<alias>-<region>-<stage>`): no hyphen at either end or doubled, which would blur where the alias ends.
 */
export const ACCOUNT_ALIAS_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$/;
/** GitLab full project paths: a group (and subgroups) and a project, as `sub` carries them. */
export const GITLAB_PROJECT_PATH_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/;
/** GitHub repositories as `<owner>/<repo>`. */
export const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9_.-]{1,100}$/;
/**
 * Branch names usable in an OIDC `sub` condition. `*` and `?` are IAM wildcards in StringLike, so they
 * are refused: a branch restriction must name exactly one branch.
 */
export const BRANCH_NAME_PATTERN = /^(?!\/)(?!.*\/\/)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<![/.])$/;
export const TRANSIT_GATEWAY_ID_PATTERN = /^tgw-[0-9a-f]{8,17}$/;
/** A DNS zone name: lowercase labels of at most 63 characters, at least two labels. */
export const ZONE_NAME_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
export const KMS_KEY_REFERENCE_PATTERN =
  /^(?:arn:aws(?:-us-gov|-cn)?:kms:[a-z0-9-]+:[0-9]{12}:(?:key\/[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]+)|alias\/[A-Za-z0-9/_-]+)$/;

/** The naming patterns in words, for messages that show the pattern: a reader should not have to decode it. */
const PATTERN_WORDS = new Map<RegExp, string>([
  [STAGE_PATTERN, "1 to 32 lowercase letters, digits and hyphens"],
  [SLUG_PATTERN, "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 32 characters"],
  [ORGANISATION_PATTERN, "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 20 characters"],
  [ACCOUNT_ID_PATTERN, "exactly 12 digits, quoted"],
  [ACCOUNT_ALIAS_PATTERN, "1 to 20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen"],
  [GITLAB_PROJECT_PATH_PATTERN, "a group, any subgroups and a project separated by /, each of letters, digits, '_', '.' and '-', e.g. group/payments-api"],
  [GITHUB_REPOSITORY_PATTERN, "owner/repo: an owner of up to 39 letters, digits and hyphens, a repository of up to 100 letters, digits, '_', '.' and '-'"],
  [BRANCH_NAME_PATTERN, "one branch name of up to 200 letters, digits, '.', '_', '/' and '-', without '//' or '..', not starting with '/' nor ending with '/' or '.'; no wildcards"],
  [TRANSIT_GATEWAY_ID_PATTERN, "tgw- and 8 to 17 lowercase hexadecimal digits"],
  [ZONE_NAME_PATTERN, "a lowercase DNS name of two or more labels, e.g. dev.apps.example.com"],
  [KMS_KEY_REFERENCE_PATTERN, "a KMS key ARN, a key alias ARN, or alias/<name>"],
]);

/** `must match <pattern> (<the pattern in words>)`. */
export function mustMatch(re: RegExp, words = PATTERN_WORDS.get(re)): string {
  return `must match ${re.source}${words ? ` (${words})` : ""}`;
}

/** A pattern in words, falling back to the pattern itself. */
export function patternWords(re: RegExp): string {
  return PATTERN_WORDS.get(re) ?? re.source;
}

// ---------------------------------------------------------------------------------------------------
// Stack names
// ---------------------------------------------------------------------------------------------------

export const stackNames = {
  stateBootstrap: (): string => "state-bootstrap",
  ciIdentity: (): string => "ci-identity",
  environment: (stage: string): string => `environment-${stage}`,
  onboarding: (slug: string): string => `onboarding-${slug}`,
  service: (slug: string, stage: string): string => `service-${slug}-${stage}`,
  ephemeral: (): string => "ephemeral",
  /** A tenant fleet's shared part in one stage (cluster, ingress, control plane, pool storage). */
  fleet: (stage: string): string => `fleet-${stage}`,
  /** One fleet tenant's service set in one stage. */
  tenant: (id: string, stage: string): string => `tenant-${id}-${stage}`,
  /** The name of one ephemeral stage's stack, `<alias>-<region>-<stage>`. */
  ephemeralStage: (accountAlias: string, region: string, stage: string): string => `${accountAlias}-${region}-${stage}`,
  /** A long-lived stage (dev, stage, prod) of the ephemeral stacks' authorizer. */
  authorizer: (stage: string): string => `authorizer-${stage}`,
} as const;

// ---------------------------------------------------------------------------------------------------
// Resource names, each with the limit AWS puts on it
// ---------------------------------------------------------------------------------------------------

/** A resource name with the AWS limit it must respect. */
export interface LimitedName {
  /** What the name is for, as a reader of an error message would call it. */
  readonly what: string;
  /** The name itself. */
  readonly name: string;
  /** AWS's maximum length for this kind of name. */
  readonly limit: number;
}

/** A name over its limit, as a problem: `the <what> "<name>" is <n> characters long; AWS allows at most <limit>`. */
export function limitProblem(n: LimitedName): string {
  return `the ${n.what} "${n.name}" is ${n.name.length} characters long; AWS allows at most ${n.limit}`;
}

/** IAM paths keep each kind of role in its own ARN space, so policies can match them by prefix. */
export const IAM_PATHS = {
  ci: `/${PLATFORM}/ci/`,
  deploy: `/${PLATFORM}/deploy/`,
  execution: `/${PLATFORM}/execution/`,
  ecrAccess: `/${PLATFORM}/ecr-access/`,
  read: `/${PLATFORM}/read/`,
  infrastructure: `/${PLATFORM}/infrastructure/`,
  platform: `/${PLATFORM}/platform/`,
  /** Fleet tenants' task roles (what the tenant's code may do). */
  fleetTask: `/${PLATFORM}/fleet/task/`,
  /** Fleet tenants' execution roles (what ECS does to start a tenant's tasks). */
  fleetExecution: `/${PLATFORM}/fleet/execution/`,
  /** The fleet control plane's task and execution roles. */
  fleetControlPlane: `/${PLATFORM}/fleet/control-plane/`,
  /** The ephemeral authorizers' Lambda roles. */
  ephemeralAuthorizer: `/${PLATFORM}/ephemeral/`,
} as const;

/**
 * A customer managed policy of a role, `<role>-<n>` (n from 1): PolicyRole splits a role's statements
 * over as many as IAM's size limit needs.
 */
export function managedPolicyName(roleName: string, index: number): LimitedName {
  return { what: "managed policy name", name: `${roleName}-${index + 1}`, limit: 128 };
}

/**
 * The platform's own CI roles: the plan and apply roles its repository's pipelines assume in the
 * deployment account, and the read role in every account that its plans' providers assume. They sit
 * under the CI path with names no service's can take (`<slug>-ci-plan`, `<slug>-ci-apply`; the slug
 * apps-platform is reserved).
 */
export const platformCiNames = {
  path: IAM_PATHS.ci,
  planRole: `${PLATFORM}-ci-plan`,
  applyRole: `${PLATFORM}-ci-apply`,
  readRole: `${PLATFORM}-read`,
} as const;

/**
 * The Name tags of a VPC's parts, after the VPC's name (EC2 tag values: at most 256 characters).
 * Indexes count from 0; the names from 1.
 */
export function vpcNames(vpcName: string) {
  const tag = (what: string, name: string): LimitedName => ({ what, name, limit: 256 });
  return {
    vpc: tag("VPC name", vpcName),
    defaultSecurityGroup: tag("default security group name", `${vpcName}-default-closed`),
    publicRoutes: tag("public route table name", `${vpcName}-public`),
    subnet: (tier: "public" | "private", index: number) => tag(`${tier} subnet name`, `${vpcName}-${tier}-${index + 1}`),
    natGateway: (index: number) => tag("NAT gateway name", `${vpcName}-nat-${index + 1}`),
    privateRoutes: (index: number) => tag("private route table name", `${vpcName}-private-${index + 1}`),
  };
}

/** Names of the platform's shared resources in one stage. */
export function environmentNames(stage: string) {
  const base = `${PLATFORM}-${stage}`;
  const vpc = vpcNames(base);
  return {
    base,
    vpc: base,
    platformKeyAlias: `alias/${PLATFORM}/${stage}/platform`,
    flowLogGroup: `/${PLATFORM}/${stage}/vpc-flow-logs`,
    flowLogRole: `${PLATFORM}-${stage}-flow-logs`,
    subnet: (tier: "public" | "private", index: number) => vpc.subnet(tier, index).name,
    natGateway: (index: number) => vpc.natGateway(index).name,
  };
}

/** Names of the platform's own state bucket, lock table and key (stack `state-bootstrap`). */
export function stateBootstrapNames(organisation: string) {
  return {
    keyAlias: `alias/${PLATFORM}/tfstate`,
    accessLogBucket: `${organisation}-${PLATFORM}-tfstate-logs`,
  };
}

/** Names of one service's resources that do not depend on a stage (onboarding, deployment account). */
export function serviceNames(organisation: string, slug: string) {
  return {
    stateBucket: { what: "state bucket name", name: `${organisation}-${slug}-tfstate`, limit: 63 },
    lockTable: { what: "lock table name", name: `${organisation}-${slug}-tflock`, limit: 255 },
    stateKeyAlias: { what: "state KMS key alias", name: `alias/${PLATFORM}/${slug}/tfstate`, limit: 256 },
    ciPlanRole: { what: "CI plan role name", name: `${slug}-ci-plan`, limit: 64 },
    ciApplyRole: { what: "CI apply role name", name: `${slug}-ci-apply`, limit: 64 },
  } satisfies Record<string, LimitedName>;
}

/**
 * A secret of one service in one stage, `apps-platform/services/<stage>/<slug>/<name>` (Secrets
 * Manager names: at most 512 characters).
 */
export function serviceSecretName(slug: string, stage: string, name: string): LimitedName {
  return { what: `secret name of "${name}"`, name: `${serviceStageNames(slug, stage).secretPrefix.name}${name}`, limit: 512 };
}

/**
 * The STS session name of a service stack's provider in one stage, `<slug>-<stage>`, which CloudTrail
 * records (STS: at most 64 characters).
 */
export function serviceSessionName(slug: string, stage: string): LimitedName {
  return { what: "STS session name", name: `${slug}-${stage}`, limit: 64 };
}

/** A log group of one service in one stage, `/apps-platform/<stage>/<slug>/<component>` (`web`). */
export function serviceLogGroupName(slug: string, stage: string, component: string): LimitedName {
  return { what: `${component} log group name`, name: `${serviceStageNames(slug, stage).logGroupPrefix.name}${component}`, limit: 512 };
}

/** Names of one service's resources in one stage (platform account). */
export function serviceStageNames(slug: string, stage: string) {
  const unit = `${slug}-${stage}`;
  return {
    deployRole: { what: "deploy role name", name: `${unit}-deploy`, limit: 64 },
    executionRole: { what: "execution role name", name: `${unit}-exec`, limit: 64 },
    ecrAccessRole: { what: "ECR access role name", name: `${unit}-ecr`, limit: 64 },
    readRole: { what: "read role name", name: `${unit}-read`, limit: 64 },
    appRunnerService: { what: "App Runner service name", name: unit, limit: 40 },
    ecsService: { what: "ECS service name", name: unit, limit: 255 },
    databaseCluster: { what: "Aurora cluster identifier", name: unit, limit: 63 },
    ecrRepository: { what: "ECR repository name", name: `${PLATFORM}/${slug}/${stage}`, limit: 256 },
    autoScaling: { what: "App Runner auto scaling configuration name", name: unit, limit: 32 },
    vpcConnector: { what: "App Runner VPC connector name", name: unit, limit: 40 },
    infrastructureRole: { what: "ECS infrastructure role name", name: `${unit}-infra`, limit: 64 },
    logGroupPrefix: { what: "log group prefix", name: `/${PLATFORM}/${stage}/${slug}/`, limit: 512 },
    databaseInstance: { what: "Aurora instance identifier", name: `${unit}-1`, limit: 63 },
    databaseSubnetGroup: { what: "DB subnet group name", name: unit, limit: 255 },
    databaseParameterGroup: { what: "DB cluster parameter group name", name: unit, limit: 255 },
    finalSnapshot: { what: "Aurora final snapshot identifier", name: `${unit}-final`, limit: 255 },
    serviceSecurityGroup: { what: "service security group name", name: `${unit}-svc`, limit: 255 },
    databaseSecurityGroup: { what: "database security group name", name: `${unit}-db`, limit: 255 },
    // Secret names are `<prefix><name>`; `/` cannot occur in a slug or a stage, so no prefix is another's.
    secretPrefix: { what: "secret name prefix", name: `${PLATFORM}/services/${stage}/${slug}/`, limit: 512 - 7 },
    // The per-service part of the stage's contract: the network objects onboarding made for it.
    parameterPrefix: { what: "SSM parameter prefix", name: `/${PLATFORM}/${stage}/services/${slug}/`, limit: 1011 },
  } satisfies Record<string, LimitedName>;
}

/** The fleet's product name and tenant ids: DNS labels like slugs, short enough for the names built from them. */
export const PRODUCT_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,15}$/;
export const TENANT_ID_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$/;
/** Names of fleet services and waves. */
export const FLEET_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$/;
PATTERN_WORDS.set(PRODUCT_PATTERN, "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 16 characters");
PATTERN_WORDS.set(TENANT_ID_PATTERN, "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 32 characters");
PATTERN_WORDS.set(FLEET_NAME_PATTERN, "lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 32 characters");

/** Names of a fleet's shared resources in one stage (stack fleet-<stage>). */
export function fleetNames(organisation: string, product: string, stage: string) {
  const base = `${product}-${stage}`;
  return {
    cluster: { what: "ECS cluster name", name: base, limit: 255 },
    // ALB names are `<base>-<n>`; the longest index is checked with two digits.
    loadBalancer: { what: "load balancer name", name: `${base}-99`, limit: 32 },
    loadBalancerSecurityGroup: { what: "load balancer security group name", name: `${base}-alb`, limit: 255 },
    controlPlaneSecurityGroup: { what: "control plane security group name", name: `${base}-control-plane`, limit: 255 },
    poolClientsSecurityGroup: { what: "pool database clients security group name", name: `${base}-pool-clients`, limit: 255 },
    poolDatabaseSecurityGroup: { what: "pool database security group name", name: `${base}-pool-db`, limit: 255 },
    poolCluster: { what: "pool Aurora cluster identifier", name: `${base}-pool`, limit: 63 },
    poolInstance: { what: "pool Aurora instance identifier", name: `${base}-pool-1`, limit: 63 },
    poolSubnetGroup: { what: "pool DB subnet group name", name: `${base}-pool`, limit: 255 },
    poolParameterGroup: { what: "pool DB cluster parameter group name", name: `${base}-pool`, limit: 255 },
    poolFinalSnapshot: { what: "pool Aurora final snapshot identifier", name: `${base}-pool-final`, limit: 255 },
    registryTable: { what: "tenant registry table name", name: `${base}-tenants`, limit: 255 },
    evidenceBucket: { what: "pool evidence bucket name", name: `${organisation}-${base}-evidence`, limit: 63 },
    routingBucket: { what: "routing snapshot bucket name", name: `${organisation}-${base}-routing`, limit: 63 },
    accessLogBucket: { what: "load balancer access log bucket name", name: `${organisation}-${base}-alb-logs`, limit: 63 },
    keyAlias: { what: "fleet KMS key alias", name: `alias/${PLATFORM}/${stage}/fleet/${product}`, limit: 256 },
    alarmTopic: { what: "alarm topic name", name: `${base}-alarms`, limit: 256 },
    namespace: { what: "service discovery namespace", name: `${stage}.${product}.internal`, limit: 253 },
    logGroupPrefix: { what: "log group prefix", name: `/${product}/${stage}/`, limit: 512 },
    controlPlaneExecutionRole: { what: "control plane execution role name", name: `${base}-cp-exec`, limit: 64 },
    parameterPrefix: { what: "SSM parameter prefix", name: `/${PLATFORM}/${stage}/fleet/${product}/`, limit: 1011 },
  } satisfies Record<string, LimitedName>;
}

/** The load balancer of a fleet stage with index `index` (0-based). */
export function fleetLoadBalancerName(product: string, stage: string, index: number): string {
  return `${product}-${stage}-${index + 1}`;
}

/** Names of one control-plane service's resources. */
export function controlPlaneNames(product: string, stage: string, service: string) {
  const base = `${product}-${stage}-${service}`;
  return {
    taskRole: { what: "control plane task role name", name: `${base}`, limit: 64 },
    ecsService: { what: "ECS service name", name: `control-plane-${service}`, limit: 255 },
    taskFamily: { what: "task definition family", name: base, limit: 255 },
    logGroup: { what: "log group name", name: `/${product}/${stage}/control-plane/${service}`, limit: 512 },
  } satisfies Record<string, LimitedName>;
}

/**
 * Names of one fleet tenant's resources in one stage. Every name starts with `<product>-<id>-<stage>`
 * or sits under a path with the tenant's id as a whole segment, so no tenant's name is another's prefix.
 */
export function fleetTenantNames(organisation: string, product: string, id: string, stage: string) {
  const unit = `${product}-${id}-${stage}`;
  return {
    unit,
    taskRole: { what: "task role name", name: `${unit}-task`, limit: 64 },
    executionRole: { what: "execution role name", name: `${unit}-exec`, limit: 64 },
    securityGroup: { what: "tasks security group name", name: `${unit}-tasks`, limit: 255 },
    siloBucket: { what: "silo evidence bucket name", name: `${organisation}-${unit}`, limit: 63 },
    siloCluster: { what: "silo Aurora cluster identifier", name: unit, limit: 63 },
    siloInstance: { what: "silo Aurora instance identifier", name: `${unit}-1`, limit: 63 },
    siloSubnetGroup: { what: "silo DB subnet group name", name: unit, limit: 255 },
    siloParameterGroup: { what: "silo DB cluster parameter group name", name: unit, limit: 255 },
    siloFinalSnapshot: { what: "silo Aurora final snapshot identifier", name: `${unit}-final`, limit: 255 },
    siloDatabaseSecurityGroup: { what: "silo database security group name", name: `${unit}-db`, limit: 255 },
    // Secrets Manager names under the tenant's own path, `/<product>/<stage>/<id>/`.
    secretPrefix: { what: "secret name prefix", name: `/${product}/${stage}/${id}/`, limit: 512 - 7 },
    logGroupPrefix: { what: "log group prefix", name: `/${product}/${stage}/tenants/${id}/`, limit: 512 },
    evidencePrefix: { what: "evidence key prefix", name: `tenants/${id}/`, limit: 1024 },
    // PostgreSQL identifiers: hyphens become underscores, which ids cannot hold, so the mapping is one to one.
    databaseUser: { what: "database user", name: `tenant_${id.replace(/-/g, "_")}`, limit: 63 },
    host: { what: "host name label", name: id, limit: 63 },
  } satisfies Record<string, LimitedName | string>;
}

/**
 * Names a Fargate service derives from its own: its CPU scaling policy (Application Auto Scaling:
 * at most 256 characters) and its alarms, `<alarmPrefix><metric>` (CloudWatch: at most 255).
 */
export function fargateServiceNames(serviceName: string, alarmPrefix: string) {
  return {
    scalingPolicy: { what: "CPU scaling policy name", name: `${serviceName}-cpu`, limit: 256 } satisfies LimitedName,
    alarm: (metric: string): LimitedName => ({ what: `${metric} alarm name`, name: `${alarmPrefix}${metric}`, limit: 255 }),
  };
}

/**
 * Names of one stage of the ephemeral authorizer, all after the stage. In the per-PR template the
 * stage is `${terraform.workspace}`, known only at plan: its names are checked with the longest stage
 * name the workspace guard admits (see ephemeralStageNamesToCheck).
 */
export function ephemeralStageNames(stage: string) {
  return {
    function: { what: "authorizer function name", name: `${stage}-authorizer`, limit: 64 },
    role: { what: "authorizer role name", name: `${stage}-authorizer`, limit: 64 },
    logGroup: { what: "authorizer log group name", name: `/aws/lambda/${stage}-authorizer`, limit: 512 },
    table: { what: "table name", name: `${stage}-data`, limit: 255 },
    jwtSecret: { what: "signing secret name", name: `${PLATFORM}/ephemeral/${stage}/jwt-secret`, limit: 512 },
    userPool: { what: "user pool name", name: `${stage}-users`, limit: 128 },
    userPoolClient: { what: "user pool client name", name: `${stage}-client`, limit: 128 },
  } satisfies Record<string, LimitedName>;
}

/**
 * The names to measure for a stage of the ephemeral authorizer: its own, or, for a stage known only
 * at plan (a workspace), those of the longest stage name STAGE_PATTERN admits.
 */
export function ephemeralStageNamesToCheck(stage: string): ReturnType<typeof ephemeralStageNames> {
  return ephemeralStageNames(isUnresolved(stage) ? "s".repeat(LONGEST_STAGE_LENGTH) : stage);
}

/** Names of one tenant's service in one stage. */
export function fleetTenantServiceNames(product: string, id: string, stage: string, service: string) {
  const unit = `${product}-${id}-${stage}`;
  return {
    ecsService: { what: "ECS service name", name: `${id}-${service}`, limit: 255 },
    taskFamily: { what: "task definition family", name: `${unit}-${service}`, limit: 255 },
    logGroup: { what: "log group name", name: `/${product}/${stage}/tenants/${id}/${service}`, limit: 512 },
    alarm: { what: "alarm name prefix", name: `${unit}-${service}-`, limit: 255 - 16 },
    discoveryService: { what: "service discovery name", name: `${id}-${service}`, limit: 63 },
  } satisfies Record<string, LimitedName>;
}

/**
 * A target group name: at most 32 characters, unique per account and Region. The tenant id (cut to
 * fit) keeps it readable; a hash of product, stage, tenant and service keeps it unique.
 */
export function fleetTargetGroupName(product: string, id: string, stage: string, service: string): string {
  const hash = createHash("sha256").update(`${product}/${stage}/${id}/${service}`).digest("hex").slice(0, 10);
  return `${id.slice(0, 21).replace(/-+$/, "")}-${hash}`;
}

/** A control-plane service's target group name; its hash input cannot be a tenant's (`|` is in no id). */
export function controlPlaneTargetGroupName(product: string, stage: string, service: string): string {
  return `cp-${createHash("sha256").update(`control-plane|${product}/${stage}/${service}`).digest("hex").slice(0, 16)}`;
}

/** Service slugs the platform keeps for itself: its own `app` tag value. */
export const RESERVED_SLUGS = [PLATFORM] as const;

/**
 * The names among `names` that exceed their AWS limit. A name that holds a value known only at plan
 * (a token, `${terraform.workspace}`) cannot be measured and is left out: measure the longest value
 * it can take instead, as ephemeralStageNamesToCheck does.
 */
export function overLimit(names: Record<string, LimitedName> | readonly LimitedName[]): LimitedName[] {
  return Object.values(names).filter((n) => !isUnresolved(n.name) && n.name.length > n.limit);
}

// ---------------------------------------------------------------------------------------------------
// ARNs
// ---------------------------------------------------------------------------------------------------

export function roleArn(partition: string, accountId: string, path: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${name}`;
}

// ---------------------------------------------------------------------------------------------------
// DNS
// ---------------------------------------------------------------------------------------------------

/**
 * A record name as Route 53 presents it to the `route53:ChangeResourceRecordSetsNormalizedRecordNames`
 * condition key: lowercase, no trailing dot, and octal escapes (`\052`) decoded to the character.
 * IAM compares the key to policy values case-sensitively, so policies must hold normalised names too.
 */
export function normaliseDnsName(name: string): string {
  const decoded = name.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return decoded.toLowerCase().replace(/\.$/, "");
}

/** The DNS names a service may manage in a zone: its own name and any name below it. */
export function serviceDnsNames(slug: string, zoneName: string): { apex: string; wildcard: string } {
  const apex = normaliseDnsName(`${slug}.${zoneName}`);
  return { apex, wildcard: `*.${apex}` };
}

/** The AWS partition of a region: `aws-us-gov` for GovCloud, `aws-cn` for China, `aws` elsewhere. */
export function partitionOf(region: string): "aws" | "aws-us-gov" | "aws-cn" {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}
