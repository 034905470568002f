import { PlatformConfig } from "../../src/config/schema";
import { environmentNames, serviceNames, serviceStageNames, stateBootstrapNames, PLATFORM } from "@acme/apps-platform-constructs/naming";
import { Synthesized } from "../helpers";
import { Policy, rolesOf } from "./synthesized-policies";

/**
 * Who a named thing belongs to, as an attacker sees it: another tenant, the platform, an ephemeral
 * stage, or nobody (a resource made outside the platform, untagged).
 */
/** An account no stage of the platform has: where someone else holds a bucket of the platform's name. */
export const FOREIGN_ACCOUNT = "999999999999";
/** The policy of a bucket someone else made in their account under one of the platform's names: open to all. */
export const FOREIGN_BUCKET_POLICY: Policy = { Version: "2012-10-17", Statement: [{ Sid: "TakeEverything", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] };

export type OwnerKind = "tenant" | "platform" | "ephemeral" | "untagged";

export interface NamedThing {
  readonly name: string;
  /** A tenant's slug, `apps-platform`, the ephemeral project, or `untagged`. */
  readonly owner: string;
  readonly kind: OwnerKind;
  /** How the name came to be known: `naming.ts <field>` or `<stack> <resource type>`. */
  readonly source: string;
  /**
   * Made by the platform for a tenant (its roles, network objects, state store): the tenant itself is
   * an attacker of these too, since changing them would widen its own reach.
   */
  readonly madeFor?: string;
  /** The resource types (`service:type`) the name is for, when the name is only meaningful there. */
  readonly types?: readonly string[];
  /** The stage a tenant's name is for: in another stage it is not the role's own. */
  readonly stage?: string;
}

/** The ephemeral stage every proof uses for the template's names. */
export const SAMPLE_EPHEMERAL_STAGE = "pr-1";

/** Names that onboarding makes for a tenant (platform-owned), and the resource types they name. */
const PLATFORM_MADE_STAGE_NAMES: Record<string, string[]> = {
  deployRole: ["iam:role"],
  executionRole: ["iam:role"],
  ecrAccessRole: ["iam:role"],
  readRole: ["iam:role"],
  infrastructureRole: ["iam:role"],
  vpcConnector: ["apprunner:vpcconnector"],
  serviceSecurityGroup: ["ec2:security-group"],
  databaseSecurityGroup: ["ec2:security-group"],
  parameterPrefix: ["ssm:parameter"],
};

const PLATFORM_MADE_SERVICE_NAMES: Record<string, string[]> = {
  stateBucket: ["s3:bucket", "s3:object"],
  lockTable: ["dynamodb:table"],
  stateKeyAlias: ["kms:alias"],
  ciPlanRole: ["iam:role"],
  ciApplyRole: ["iam:role"],
};

/** A prefix names nothing by itself; a name below it does. */
const below = (name: string) => (name.endsWith("/") ? `${name}x` : name);

/** IAM role names in ARNs carry their path: `/apps-platform/deploy/<name>`. */
const ROLE_PATHS = ["apps-platform/ci/", "apps-platform/deploy/", "apps-platform/read/", "apps-platform/execution/", "apps-platform/ecr-access/", "apps-platform/infrastructure/", ""];

function literalStrings(value: unknown, into: string[], key = ""): void {
  if (typeof value === "string") {
    if (/(^|_)(name|identifier|bucket|function_name|alias)$/.test(key) || key === "name_prefix") into.push(value);
  } else if (Array.isArray(value)) value.forEach((v) => literalStrings(v, into, key));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) if (k !== "tags" && k !== "tags_all") literalStrings(v, into, k);
}

/**
 * Every name the platform assigns or synthesizes, with its owner: the names naming.ts gives each
 * service in every stage (whether or not the service is there yet: squatting), the platform's own,
 * the ephemeral template's for a sample stage, every literal name in every synthesized stack, and a
 * few names of resources made outside the platform.
 */
export function nameUniverse(config: PlatformConfig, synthesized: Synthesized): NamedThing[] {
  const things: NamedThing[] = [];
  const add = (t: NamedThing) => things.push(t);
  const stages = Object.keys(config.stages);
  for (const service of config.services) {
    for (const stage of stages) {
      for (const [field, n] of Object.entries(serviceStageNames(service.slug, stage))) {
        const made = PLATFORM_MADE_STAGE_NAMES[field];
        add({ name: below(n.name), owner: service.slug, kind: "tenant", stage, source: `naming.ts serviceStageNames.${field}(${stage})`, ...(made ? { madeFor: service.slug, types: made } : {}) });
      }
    }
    for (const [field, n] of Object.entries(serviceNames(config.organisation, service.slug))) {
      add({ name: n.name, owner: service.slug, kind: "tenant", source: `naming.ts serviceNames.${field}`, madeFor: service.slug, types: PLATFORM_MADE_SERVICE_NAMES[field] });
    }
  }
  // A rename (RDS ModifyDBCluster/ModifyDBInstance with a new identifier): another tenant's database
  // under a service's cluster or instance name, still tagged for its owner; a cluster's master secret,
  // which RDS tags with the cluster's ARN, comes with it.
  const slugs = config.services.map((x) => x.slug);
  for (const [i, service] of config.services.entries()) {
    const other = slugs[(i + 1) % slugs.length];
    if (other === service.slug) continue;
    for (const stage of stages) {
      const n = serviceStageNames(service.slug, stage);
      for (const [field, types] of [["databaseCluster", ["rds:cluster", "secretsmanager:Secret"]], ["databaseInstance", ["rds:db"]]] as const) {
        add({ name: n[field].name, owner: other, kind: "tenant", stage, source: `${other}'s database renamed to naming.ts serviceStageNames.${field}(${stage}) of ${service.slug}`, types });
      }
    }
  }
  for (const stage of stages) {
    const e = environmentNames(stage);
    for (const name of [e.base, e.vpc, e.platformKeyAlias, e.flowLogGroup, e.flowLogRole, e.subnet("public", 0), e.subnet("private", 0), e.natGateway(0), `/${PLATFORM}/${stage}/vpc-id`]) {
      add({ name, owner: PLATFORM, kind: "platform", source: `naming.ts environmentNames(${stage})` });
    }
  }
  const boot = stateBootstrapNames(config.organisation);
  for (const name of [boot.keyAlias, boot.accessLogBucket, PLATFORM, "default"]) add({ name, owner: PLATFORM, kind: "platform", source: "naming.ts stateBootstrapNames" });
  if (config.backend.kind === "s3") {
    add({ name: config.backend.bucket, owner: PLATFORM, kind: "platform", source: "config backend.bucket" });
    add({ name: config.backend.lockTable, owner: PLATFORM, kind: "platform", source: "config backend.lockTable" });
  }
  for (const [stack, json] of synthesized.json) {
    // Resources without tags (aliases, policies, rules) belong to their stack's tenant.
    const apps = Object.values(json.resource ?? {}).flatMap((rs) => Object.values(rs).map((r) => ((r as Record<string, any>).tags ?? {}).app as string | undefined)).filter((a): a is string => !!a);
    const stackApp = apps.sort((x, y) => apps.filter((a) => a === y).length - apps.filter((a) => a === x).length)[0];
    for (const [type, resources] of Object.entries(json.resource ?? {})) {
      for (const resource of Object.values(resources)) {
        const app = (((resource as Record<string, any>).tags ?? {}).app as string | undefined) ?? stackApp;
        const names: string[] = [];
        literalStrings(resource, names);
        for (const raw of names) {
          const name = raw.replace(/\$\{terraform\.workspace\}/g, SAMPLE_EPHEMERAL_STAGE);
          // A `*` is a pattern (a wildcard certificate's domain), never the name of a resource in a request.
          if (name.includes("${") || name.length === 0 || name.includes("*")) continue;
          const eph = config.ephemeral && app === config.ephemeral.project;
          const owner = app ?? PLATFORM;
          const kind: OwnerKind = eph ? "ephemeral" : owner === PLATFORM ? "platform" : "tenant";
          const stage = /^service-.+-([^-]+)$/.test(stack) && app ? stack.slice(`service-${app}-`.length) : undefined;
          // A resource's name means something in its own service only (an SSM parameter's path is no log group).
          const service = serviceOfResourceType(type);
          add({ name, owner, kind, source: `${stack} ${type}`, ...(stage ? { stage } : {}), ...(service ? { types: [`${service}:*`] } : {}) });
        }
      }
    }
  }
  for (const name of ["legacy-billing", "legacy-billing-dev", "rds!cluster-0a1b2c3d-legacy", "legacy/secret", "alias/legacy-billing"]) {
    add({ name, owner: "untagged", kind: "untagged", source: "made outside the platform" });
  }
  // One entry per distinct (name, owner, madeFor).
  const seen = new Set<string>();
  return things.filter((t) => {
    const key = `${t.name}|${t.owner}|${t.madeFor ?? ""}|${(t.types ?? []).join(",")}|${t.stage ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The IAM service prefix of a Terraform resource type, where it is plain from the type. */
const TYPE_SERVICES: [RegExp, string][] = [
  [/^aws_ssm_/, "ssm"],
  [/^aws_cloudwatch_log_/, "logs"],
  [/^aws_iam_/, "iam"],
  [/^aws_s3_/, "s3"],
  [/^aws_kms_/, "kms"],
  [/^aws_ecr_/, "ecr"],
  [/^aws_apprunner_/, "apprunner"],
  [/^aws_ecs_/, "ecs"],
  [/^aws_(rds_|db_)/, "rds"],
  [/^aws_secretsmanager_/, "secretsmanager"],
  [/^aws_dynamodb_/, "dynamodb"],
  [/^aws_lambda_/, "lambda"],
  [/^aws_route53_/, "route53"],
  [/^aws_(vpc|subnet|security_group|nat_gateway|internet_gateway|route_table|eip|flow_log|default_)/, "ec2"],
  [/^aws_verifiedpermissions_/, "verifiedpermissions"],
  [/^aws_cognito_/, "cognito-idp"],
];
function serviceOfResourceType(type: string): string | undefined {
  return TYPE_SERVICES.find(([re]) => re.test(type))?.[1];
}

/** Role names as they appear in ARNs, with each IAM path the platform uses. */
export function roleNameVariants(name: string): string[] {
  return ROLE_PATHS.map((p) => `${p}${name}`);
}

/** The tags and tag-like attributes by which IAM tells whose a resource is, for an owner. */
export function ownerContext(thing: NamedThing, region: string, accountId: string): Record<string, string | string[]> {
  if (thing.kind === "untagged") return {};
  return { "aws:ResourceTag/app": thing.owner, "aws:ResourceTag/platform": PLATFORM, [`aws:ResourceTag/aws:rds:primaryDBClusterArn`]: `arn:aws:rds:${region}:${accountId}:cluster:${thing.name}` };
}

type Json = Record<string, any>;
const parsePolicy = (text: string): Policy => JSON.parse(text.replace(/\$\{[^}]+\}/g, "reference"));

/**
 * The resource policies AWS would evaluate beside a role's own: key policies (KMS requires one),
 * bucket policies and role trust policies, found in the synthesized stacks.
 */
export interface ResourcePolicies {
  /** KMS key policy by alias name. */
  readonly keys: Map<string, Policy>;
  /** Bucket policy by bucket name. */
  readonly buckets: Map<string, Policy>;
  /** Trust policy by role ARN. */
  readonly trusts: Map<string, Policy>;
}

export function resourcePolicies(synthesized: Synthesized): ResourcePolicies {
  const keys = new Map<string, Policy>();
  const buckets = new Map<string, Policy>();
  const trusts = new Map<string, Policy>();
  for (const [stack, json] of synthesized.json) {
    const res = (json.resource ?? {}) as Record<string, Record<string, Json>>;
    for (const alias of Object.values(res.aws_kms_alias ?? {})) {
      const id = /\$\{aws_kms_key\.([^.]+)\./.exec(String(alias.target_key_id))?.[1];
      const key = id ? res.aws_kms_key?.[id] : undefined;
      if (key && typeof key.policy === "string") keys.set(alias.name, parsePolicy(key.policy));
    }
    for (const bp of Object.values(res.aws_s3_bucket_policy ?? {})) {
      const id = /\$\{aws_s3_bucket\.([^.]+)\./.exec(String(bp.bucket))?.[1];
      const bucket = id ? res.aws_s3_bucket?.[id] : undefined;
      if (bucket && typeof bucket.bucket === "string") buckets.set(bucket.bucket, parsePolicy(bp.policy));
    }
    for (const role of rolesOf(stack, json)) trusts.set(role.arn, role.trust);
  }
  return { keys, buckets, trusts };
}
