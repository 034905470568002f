import { PlatformConfig, ServiceConfig } from "../config/schema";
import { CiScope, ciRoleArns, issuerOf, onboardedStages } from "../policy/ci";
import { partitionOf, serviceNames } from "@acme/apps-platform-constructs/naming";
import { tenantRoleArns } from "@acme/apps-platform-constructs/policy";

/**
 * What a service repository needs to know about its onboarding, as one JSON document: the
 * `service_context` output of `onboarding-<slug>` and the `apps-platform.json` a service repository
 * commits (templates/service-repo/context.ts reads it). Everything in it is fixed by the platform
 * config, so `npm run service-context -- <slug>` writes the same document without Terraform state;
 * the values of the stage environment (subnets, zone id, keys, the service's security groups) are
 * not in it: the service stack reads them from the stage's SSM contract when it plans.
 */
export interface ServiceContextDocument {
  /** The version of this document's shape. */
  readonly version: typeof SERVICE_CONTEXT_VERSION;
  readonly slug: string;
  /** Prefix of the service's state bucket and lock table. */
  readonly organisation: string;
  readonly region: string;
  /** The repository whose pipelines may assume the service's CI roles. */
  readonly repository: { readonly gitlabProjectPath: string } | { readonly githubRepository: string };
  /** The CI roles in the deployment account, and the `aud` their trust requires of the pipeline's ID token. */
  readonly ci: { readonly audience: string; readonly planRoleArn: string; readonly applyRoleArn: string };
  /** Where the service's state lives: its own bucket, lock table and key, or HCP Terraform. */
  readonly state: ServiceContextState;
  /** Each stage the service is onboarded to. */
  readonly stages: Readonly<Record<string, ServiceContextStage>>;
}

export type ServiceContextState =
  | { readonly kind: "s3"; readonly bucket: string; readonly lockTable: string; readonly kmsKeyId: string; readonly useLockfile: boolean; readonly dynamodbLock: boolean }
  | { readonly kind: "cloud"; readonly organization: string; readonly project: string; readonly hostname: string };

export interface ServiceContextStage {
  /** The stage's platform account. */
  readonly accountId: string;
  readonly zoneName: string;
  /** A short-lived stage: no deletion protection, repositories deleted with their images. */
  readonly ephemeral: boolean;
  /** What applies assume in the stage (the CI apply role may). */
  readonly deployRoleArn: string;
  /** What merge-request plans assume in the stage (`-var platform_role_arn=<it>`). */
  readonly readRoleArn: string;
}

export const SERVICE_CONTEXT_VERSION = 1;

/** The file a service repository keeps its context in. */
export const SERVICE_CONTEXT_FILE = "apps-platform.json";

/** The service context of one service, from the platform config. */
export function serviceContextOf(config: PlatformConfig, service: ServiceConfig): ServiceContextDocument {
  const partition = partitionOf(config.region);
  const stages = onboardedStages(config, service);
  const tenants = stages.map((stage) => ({
    partition,
    region: config.region,
    accountId: config.stages[stage].accountId,
    slug: service.slug,
    stage,
    zoneName: config.stages[stage].zoneName,
  }));
  const scope: CiScope = { config, partition, service, tenants };
  const ci = ciRoleArns(scope);
  const names = serviceNames(config.organisation, service.slug);
  const backend = config.backend;
  const state: ServiceContextState =
    backend.kind === "s3"
      ? { kind: "s3", bucket: names.stateBucket.name, lockTable: names.lockTable.name, kmsKeyId: names.stateKeyAlias.name, useLockfile: backend.useLockfile, dynamodbLock: backend.dynamodbLock }
      : { kind: "cloud", organization: backend.organization, project: backend.project, hostname: backend.hostname };
  return {
    version: SERVICE_CONTEXT_VERSION,
    slug: service.slug,
    organisation: config.organisation,
    region: config.region,
    repository: service.gitlabProjectPath ? { gitlabProjectPath: service.gitlabProjectPath } : { githubRepository: service.githubRepository! },
    ci: { audience: issuerOf(scope).audience, planRoleArn: ci.plan, applyRoleArn: ci.apply },
    state,
    stages: Object.fromEntries(
      tenants.map((tenant) => {
        const roles = tenantRoleArns(tenant);
        const stage: ServiceContextStage = {
          accountId: tenant.accountId,
          zoneName: tenant.zoneName,
          ephemeral: config.stages[tenant.stage].ephemeral,
          deployRoleArn: roles.deploy,
          readRoleArn: roles.read,
        };
        return [tenant.stage, stage];
      }),
    ),
  };
}

/** A value with the keys of every object in sorted order, as `terraform output -json` prints objects. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The document as the file holds it: keys sorted, two-space indentation, a final newline. */
export function serviceContextText(doc: ServiceContextDocument): string {
  return `${JSON.stringify(sortedKeys(doc), null, 2)}\n`;
}
