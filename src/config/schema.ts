import { z } from "zod";
import { isObject, str } from "./raw";
import { AWS_REGIONS, isAwsRegion, nearestRegion } from "./regions";
import { CUSTOM_DOMAIN_DEFAULTS, DATABASE_DEFAULTS, SERVICE_DEFAULTS, WEB_SERVICE_DEFAULTS, serviceOptionProblems } from "@acme/apps-platform-constructs/service";
import { fleetSchema } from "./fleet-schema";
import { fleetChecks } from "./fleet-checks";
import { tfcRoleNames, tfcWorkspaceNamesOf } from "../tfc/names";
import { ipv4CidrProblem, subnetLayout, cidrsOverlap } from "@acme/apps-platform-constructs/network";
import {
  ACCOUNT_ALIAS_PATTERN,
  ACCOUNT_ID_PATTERN,
  BRANCH_NAME_PATTERN,
  GITHUB_REPOSITORY_PATTERN,
  GITLAB_PROJECT_PATH_PATTERN,
  KMS_KEY_REFERENCE_PATTERN,
  ORGANISATION_PATTERN,
  SLUG_PATTERN,
  STAGE_PATTERN,
  TRANSIT_GATEWAY_ID_PATTERN,
  ZONE_NAME_PATTERN,
  PLATFORM,
  mustMatch,
  overLimit,
  patternWords,
  serviceNames,
  serviceStageNames,
  stateBootstrapNames,
} from "@acme/apps-platform-constructs/naming";

/**
 * The platform config. Every field carries a description: it becomes the hover text of the exported
 * JSON Schema, which is what an editor shows a platform engineer while they write the YAML.
 */

/** The name of a long-lived stage: see stableStageProblem. */
export const STABLE_STAGE_PATTERN = /^(?!default$)(?=[a-z0-9-]{1,32}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

const pattern = (re: RegExp, description: string) => z.string().regex(re, { error: mustMatch(re) }).describe(description);

/** What AWS takes as a tag's value: letters, digits, spaces and `_ . : / = + - @` (any script), at most 256 characters. */
export const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;
const tagValue = (description: string) =>
  z
    .string()
    .regex(TAG_VALUE_PATTERN, { error: `must be an AWS tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @ (${TAG_VALUE_PATTERN.source})` })
    .describe(description);

const accountId = pattern(ACCOUNT_ID_PATTERN, "A 12-digit AWS account id, quoted so YAML keeps it a string.");

const https = z
  .string()
  .regex(/^https:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/, { error: "must be an https:// URL" });

export const NAT_MODES = ["single", "per-az", "none"] as const;

const network = z
  .strictObject({
    cidr: z.string().describe("The VPC's IPv4 CIDR block, e.g. 10.20.0.0/16."),
    azCount: z.number().int().min(1).max(6).default(2).describe("How many Availability Zones to spread subnets over."),
    natMode: z
      .enum(NAT_MODES)
      .default("single")
      .describe("single: one NAT gateway for all AZs; per-az: one per AZ; none: private subnets without egress."),
    transitGatewayId: pattern(TRANSIT_GATEWAY_ID_PATTERN, "Attach the VPC's private subnets to this Transit Gateway.").optional(),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { error: "must be an Availability Zone name such as eu-central-1a" }))
      .optional()
      .describe("The AZs by name, one per azCount (default: the region's first ones, a, b, c, ...)."),
  })
  .describe("The stage's shared VPC.");

const stage = z
  .strictObject({
    accountId: accountId.describe("The platform account this stage's services run in."),
    zoneName: pattern(ZONE_NAME_PATTERN, "The stage's Route 53 hosted zone, e.g. dev.apps.example.com."),
    ephemeral: z
      .boolean()
      .default(false)
      .describe("A short-lived stage: no deletion protection and no final snapshots on its databases."),
    network,
  })
  .describe("One stage (environment) of the platform.");

const s3Backend = z
  .strictObject({
    kind: z.literal("s3"),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')" })
      .describe("The platform's state bucket (created by the state-bootstrap stack)."),
    lockTable: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: mustMatch(/^[A-Za-z0-9_.-]{3,255}$/, "3 to 255 letters, digits, '_', '.' and '-'") })
      .describe("The DynamoDB lock table (created by the state-bootstrap stack)."),
    kmsKeyId: pattern(KMS_KEY_REFERENCE_PATTERN, "The KMS key (ARN or alias) that encrypts state objects."),
    useLockfile: z.boolean().default(true).describe("Lock with an S3 lock file (Terraform >= 1.11)."),
    dynamodbLock: z.boolean().default(true).describe("Lock with the DynamoDB table as well (deprecated by Terraform, kept for older clients)."),
    stateBootstrapBackend: z
      .enum(["local", "s3"])
      .default("local")
      .describe("Where the state-bootstrap stack keeps its own state: local until its bucket exists, then s3 (see README)."),
  })
  .describe("State in S3 with KMS encryption and locking.");

/** HCP Terraform's names: organizations and projects (letters, digits, '_', '-'; projects also inner spaces). */
export const TFC_ORGANIZATION_PATTERN = /^[A-Za-z0-9_-]{3,40}$/;
export const TFC_PROJECT_PATTERN = /^[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,38}[A-Za-z0-9_-])?$/;
export const TFC_OAUTH_TOKEN_ID_PATTERN = /^ot-[A-Za-z0-9]{16}$/;
export const TFC_GITHUB_APP_INSTALLATION_ID_PATTERN = /^ghain-[A-Za-z0-9]{16}$/;
/** A VCS repository as HCP Terraform names it: `<owner or group>/<repository>`, GitLab subgroups included. */
export const TFC_VCS_IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/;

const cloudVcs = z
  .strictObject({
    identifier: pattern(TFC_VCS_IDENTIFIER_PATTERN, "The platform repository, as HCP Terraform names it: owner/repo (GitHub) or group/project (GitLab)."),
    branch: z
      .string()
      .regex(BRANCH_NAME_PATTERN, { error: mustMatch(BRANCH_NAME_PATTERN) })
      .default("main")
      .describe("The branch whose commits start runs in the workspaces."),
    oauthTokenId: pattern(TFC_OAUTH_TOKEN_ID_PATTERN, "The OAuth token of the VCS provider connection (ot-…). Only one of oauthTokenId or githubAppInstallationId can be given.").optional(),
    githubAppInstallationId: pattern(
      TFC_GITHUB_APP_INSTALLATION_ID_PATTERN,
      "The HCP Terraform GitHub App installation (ghain-…). Only one of oauthTokenId or githubAppInstallationId can be given.",
    ).optional(),
  })
  .describe("The repository the workspaces take their configuration from (generated/<stack> of it). Without it the workspaces are CLI-driven: runs start from `terraform plan` in a checkout.");

const cloudBackend = z
  .strictObject({
    kind: z.literal("cloud"),
    organization: z
      .string()
      .regex(TFC_ORGANIZATION_PATTERN, { error: mustMatch(TFC_ORGANIZATION_PATTERN, "3 to 40 letters, digits, '_' and '-'") })
      .describe("The HCP Terraform organization."),
    project: z
      .string()
      .regex(TFC_PROJECT_PATTERN, { error: mustMatch(TFC_PROJECT_PATTERN, "1 to 40 letters, digits, '_', '-' and inner spaces") })
      .describe("The HCP Terraform project that holds the workspaces (it must exist; the tfc stack's own workspace is in it too)."),
    hostname: z
      .string()
      .regex(ZONE_NAME_PATTERN, { error: mustMatch(ZONE_NAME_PATTERN, "a lowercase host name such as app.terraform.io") })
      .default("app.terraform.io")
      .describe("The HCP Terraform (or Terraform Enterprise) host: the issuer of the runs' workload identity tokens, and the name of their OIDC provider in AWS."),
    vcs: cloudVcs.optional(),
    autoApply: z.boolean().default(false).describe("Apply a run's plan without confirmation. Off: someone confirms each apply in HCP Terraform."),
  })
  .describe("State and runs in HCP Terraform (Terraform Cloud), one workspace per stack, made by the tfc stack.");

export const BRANCH_RESTRICTIONS = ["any", "protected"] as const;
export const COMPUTE_TARGETS = ["appRunner", "ecsExpress"] as const;

const web = z
  .strictObject({
    port: z.number().int().min(1).max(65535).default(WEB_SERVICE_DEFAULTS.port).describe("The port the container listens on."),
    cpu: z.number().int().default(WEB_SERVICE_DEFAULTS.cpu).describe("CPU units (1024 = 1 vCPU)."),
    memory: z.number().int().default(WEB_SERVICE_DEFAULTS.memory).describe("Memory in MiB."),
    healthCheckPath: z
      .string()
      .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,50}$/, { error: "must be an absolute URL path of at most 51 characters" })
      .default(WEB_SERVICE_DEFAULTS.healthCheckPath)
      .describe("The HTTP path the platform checks."),
    minInstances: z.number().int().min(1).max(25).default(WEB_SERVICE_DEFAULTS.minInstances),
    maxInstances: z.number().int().min(1).max(25).default(WEB_SERVICE_DEFAULTS.maxInstances),
    environment: z
      .record(z.string().regex(/^(?!AWS_)[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: "must be an environment variable name not starting with AWS_" }), z.string())
      .default({})
      .describe("Plain environment variables. Secrets go in `secrets`."),
    secrets: z
      .record(
        z.string().regex(/^(?!AWS_)[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: "must be an environment variable name not starting with AWS_" }),
        z.string().regex(/^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+|ssm:[a-z0-9-]+:[0-9]{12}:parameter\/.+)$/, {
          error: "must be the ARN of a Secrets Manager secret or an SSM parameter",
        }),
      )
      .default({})
      .describe("Environment variables read from secrets, by ARN only."),
  })
  .describe("The service's web container.");

const database = z
  .strictObject({
    minCapacity: z.number().min(0).max(256).default(DATABASE_DEFAULTS.minCapacity).describe("Aurora capacity units when idle (0 pauses the cluster)."),
    maxCapacity: z.number().min(1).max(256).default(DATABASE_DEFAULTS.maxCapacity).describe("Aurora capacity units at most."),
  })
  .describe("An Aurora Serverless v2 PostgreSQL cluster for the service.");

const customDomain = z
  .strictObject({
    www: z.boolean().default(CUSTOM_DOMAIN_DEFAULTS.www).describe("Also serve www.<slug>.<zone>."),
  })
  .describe("Serve the service at <slug>.<zone>.");

const BRANCH_RESTRICTION_RULE = `must be "any", "protected" or a branch name matching ${BRANCH_NAME_PATTERN.source} (${patternWords(BRANCH_NAME_PATTERN)})`;

const service = z
  .strictObject({
    slug: pattern(SLUG_PATTERN, "The service's short name: its tenant id in tags, names and DNS."),
    gitlabProjectPath: pattern(GITLAB_PROJECT_PATH_PATTERN, "The GitLab project that deploys this service, e.g. group/payments-api.").optional(),
    githubRepository: pattern(GITHUB_REPOSITORY_PATTERN, "The GitHub repository that deploys this service, as owner/repo.").optional(),
    branchRestriction: z
      .union([z.enum(BRANCH_RESTRICTIONS), z.string().regex(BRANCH_NAME_PATTERN, { error: BRANCH_RESTRICTION_RULE })], { error: BRANCH_RESTRICTION_RULE })
      .default("protected")
      .describe('Which refs may apply: "any", "protected" (the protected branches in ciIdentity) or one branch name.'),
    stages: z
      .array(z.string())
      .min(1, { error: "must list at least one stage" })
      .optional()
      .describe("The stages this service is onboarded to (default: every stage)."),
    compute: z
      .enum(COMPUTE_TARGETS)
      .default(SERVICE_DEFAULTS.compute)
      .describe("ecsExpress (ECS Express Mode) or appRunner (only for accounts that already use App Runner)."),
    deployService: z.boolean().default(SERVICE_DEFAULTS.deployService).describe("false: only the ECR repository exists (push an image first); true: the service runs `image`."),
    image: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: "must be an image tag" }).optional().describe("The image tag to run."),
    web: web.optional(),
    database: database.optional(),
    customDomain: customDomain.optional(),
  })
  .describe("A service onboarded to the platform.");

const ephemeral = z
  .strictObject({
    stage: z.string().describe("The stage whose platform account hosts the ephemeral stacks (one with ephemeral: true)."),
    accountAlias: pattern(ACCOUNT_ALIAS_PATTERN, "The account's alias, first part of each stack's name <alias>-<region>-<stage>."),
    project: pattern(SLUG_PATTERN, "The project the stacks belong to: their app tag and Project tag."),
    repo: tagValue("The repository that creates them, for the Repo tag."),
    gitlabProjectPath: pattern(
      GITLAB_PROJECT_PATH_PATTERN,
      "The GitLab project whose merge-request pipelines create the stages (its CI role trusts this project's ID tokens); one of gitlabProjectPath or githubRepository.",
    ).optional(),
    githubRepository: pattern(
      GITHUB_REPOSITORY_PATTERN,
      "The GitHub repository (owner/repo) whose pull-request workflows create the stages; one of gitlabProjectPath or githubRepository.",
    ).optional(),
    stableStages: z
      .record(
        z.string(),
        z
          .strictObject({
            stage: z.string().describe("The platform stage whose account hosts this long-lived stage."),
            cognito: z.boolean().optional().describe("Create a Cognito user pool as the identity source (default: ephemeral.cognito)."),
            allowProd: z.boolean().default(false).describe("Allow a hosting stage that is not marked ephemeral (a production account)."),
          })
          .describe("A long-lived authorizer stage, deployed from the protected branch with approvals."),
      )
      .optional()
      .meta({ propertyNames: { pattern: STABLE_STAGE_PATTERN.source } })
      .describe("Long-lived stages of the same stack (e.g. dev, stage, prod), promoted from one main branch."),
    owner: tagValue("Who answers for them, for the Owner tag."),
    ttlHours: z.number().int().min(1).max(720).default(72).describe("Hours a stage lives before `reap` destroys it."),
    maxStages: z.number().int().min(1).max(100).default(10).describe("How many stages may exist at once."),
    allowProd: z.boolean().default(false).describe("Allow a stage account that is not marked ephemeral."),
    cognito: z.boolean().default(true).describe("Create a Cognito user pool as the identity source."),
    ses: z
      .strictObject({
        identityArn: z.string().regex(/^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity\/.+$/, { error: "must be an SES identity ARN" }),
        fromAddress: z.email({ error: "must be an email address" }),
      })
      .optional()
      .describe("Cognito's email sender: an existing SES identity in the same region, never created here."),
  })
  .describe("Short-lived Verified Permissions stacks, one per stage (e.g. pr-123).");

const ciIdentity = z
  .strictObject({
    gitlab: z
      .strictObject({
        url: https.describe("The GitLab instance that issues CI ID tokens, e.g. https://gitlab.com."),
        audience: z.string().min(1).optional().describe("The `aud` the pipelines request (default: the URL)."),
        protectedBranches: z
          .array(z.string().regex(BRANCH_NAME_PATTERN, { error: mustMatch(BRANCH_NAME_PATTERN) }))
          .min(1)
          .default(["main"])
          .describe('The branches `branchRestriction: protected` stands for (GitLab puts no ref_protected in `sub`).'),
      })
      .optional(),
    github: z
      .strictObject({
        audience: z.string().min(1).default("sts.amazonaws.com"),
        protectedBranches: z.array(z.string().regex(BRANCH_NAME_PATTERN, { error: mustMatch(BRANCH_NAME_PATTERN) })).min(1).default(["main"]),
      })
      .optional(),
    platformRepository: z
      .strictObject({
        gitlabProjectPath: pattern(GITLAB_PROJECT_PATH_PATTERN, "The GitLab project of the platform itself, e.g. acme/apps-platform.").optional(),
        githubRepository: pattern(GITHUB_REPOSITORY_PATTERN, "The GitHub repository of the platform itself, as owner/repo.").optional(),
      })
      .optional()
      .describe(
        "The repository of this platform, one of gitlabProjectPath or githubRepository. Its pipelines get the roles " +
          "apps-platform-ci-plan (any ref: merge-request plans, read-only) and apps-platform-ci-apply (the protected " +
          "branches of ciIdentity.<provider>.protectedBranches) in the deployment account. Default: none, and no platform CI role.",
      ),
  })
  .describe("The OIDC identity providers CI authenticates with, and the platform's own repository.");

const IAM_ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
const IAM_ROLE_NAME_RULE = mustMatch(IAM_ROLE_NAME, "an IAM role name: 1 to 64 letters, digits and any of + = , . @ _ -");

export const platformConfigSchema = z
  .strictObject({
    organisation: pattern(ORGANISATION_PATTERN, "Short organisation name, the prefix of globally unique names."),
    region: z
      .string()
      .refine(isAwsRegion, { error: (iss) => `must be an AWS Region, e.g. ${JSON.stringify(nearestRegion(String(iss.input)))}` })
      .meta({ enum: [...AWS_REGIONS] })
      .describe("The AWS Region of every stack."),
    deploymentAccount: z.strictObject({
      accountId: accountId.describe("The account holding state buckets, CI roles and the OIDC providers."),
      roleName: z.string().regex(IAM_ROLE_NAME, { error: IAM_ROLE_NAME_RULE }).default("apps-platform-provisioner"),
    }),
    platformRoleName: z
      .string()
      .regex(IAM_ROLE_NAME, { error: IAM_ROLE_NAME_RULE })
      .default("apps-platform-provisioner")
      .describe("The role in each platform account that the platform's own stacks assume."),
    ciIdentity,
    backend: z.discriminatedUnion("kind", [s3Backend, cloudBackend], { error: 'must be "s3" or "cloud"' }),
    // Stage names are checked in crossFieldChecks, so that a bad name does not hide its value's problems.
    stages: z.record(z.string(), stage).meta({ propertyNames: { pattern: STABLE_STAGE_PATTERN.source } }),
    services: z.array(service).default([]),
    ephemeral: ephemeral.optional(),
    fleet: fleetSchema.optional(),
  });

export type PlatformConfigInput = z.input<typeof platformConfigSchema>;
export type PlatformConfig = z.output<typeof platformConfigSchema>;
export type StageConfig = PlatformConfig["stages"][string];
export type ServiceConfig = PlatformConfig["services"][number];
export type BackendConfig = PlatformConfig["backend"];

/** A problem found by a check that spans several fields. */
export interface CrossFieldIssue {
  readonly path: (string | number)[];
  readonly message: string;
  readonly input: unknown;
}


/**
 * What is wrong with the name of a long-lived stage (a platform stage, a stable authorizer stage), or
 * undefined. Beyond STAGE_PATTERN: its hyphens join words (no leading, trailing or doubled hyphen),
 * since a stage's name goes into names such as its ECR repositories', which refuse those; and it is
 * not "default", Terraform's default workspace, where every stack's workspace guard lets a provider
 * work, and in which a fresh checkout of a stack starts.
 */
export function stableStageProblem(name: string): string | undefined {
  if (STABLE_STAGE_PATTERN.test(name)) return undefined;
  return mustMatch(STABLE_STAGE_PATTERN, `a stage name: ${patternWords(STAGE_PATTERN)}, each hyphen between two letters or digits; not "default", Terraform's default workspace, where a fresh checkout starts`);
}

/**
 * Checks that span fields: stage names, CIDRs against the AZ count, unique slugs and repositories,
 * known stages, name lengths. They read the raw document defensively, so they run even when the
 * schema found problems elsewhere, and every problem of a config is reported in one run.
 */
export function crossFieldChecks(raw: unknown): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const issue = (path: (string | number)[], message: string, input: unknown) => issues.push({ path, message, input });
  if (!isObject(raw)) return issues;

  const stages = isObject(raw.stages) ? raw.stages : {};
  const stageNames = Object.keys(stages);
  if (isObject(raw.stages) && stageNames.length === 0) issue(["stages"], "must define at least one stage", undefined);
  const tgwStages: [string, string][] = [];
  for (const [name, value] of Object.entries(stages)) {
    const stageProblem = stableStageProblem(name);
    if (stageProblem) issue(["stages", name], stageProblem, name);
    const net = isObject(value) && isObject(value.network) ? value.network : undefined;
    const cidr = str(net?.cidr);
    if (!net || cidr === undefined) continue;
    const azCount = typeof net.azCount === "number" ? net.azCount : 2;
    const cidrProblem = ipv4CidrProblem(cidr);
    if (cidrProblem) {
      issue(["stages", name, "network", "cidr"], cidrProblem, cidr);
    } else if (Number.isInteger(azCount) && azCount >= 1 && !subnetLayout(cidr, azCount)) {
      issue(
        ["stages", name, "network", "cidr"],
        `is too small for ${azCount} AZs: a public and a private subnet per AZ need a /${smallestPrefixFor(azCount)} or larger`,
        cidr,
      );
    } else if (str(net.transitGatewayId)) {
      tgwStages.push([name, cidr]);
    }
    if (Array.isArray(net.availabilityZones) && net.availabilityZones.length !== azCount) {
      issue(["stages", name, "network", "availabilityZones"], `must name exactly azCount (${azCount}) zones`, net.availabilityZones.length);
    }
    // A zone of another Region, or one named twice, would fail only at plan (or put two subnets in one zone).
    const region = str(raw.region);
    (Array.isArray(net.availabilityZones) ? net.availabilityZones : []).forEach((az: unknown, j: number) => {
      if (typeof az !== "string") return;
      const zones = net.availabilityZones as unknown[];
      if (region && isAwsRegion(region) && !(az.startsWith(region) && /^[a-z]$/.test(az.slice(region.length)))) issue(["stages", name, "network", "availabilityZones", j], `must be a zone of the config's region ${region} (${region}a, ${region}b, ...)`, az);
      else if (zones.indexOf(az) !== j) issue(["stages", name, "network", "availabilityZones", j], `must be listed once, already at availabilityZones[${zones.indexOf(az)}]: each AZ gets its own subnets`, az);
    });
    if (net.natMode === "per-az" && azCount === 1) {
      issue(["stages", name, "network", "natMode"], 'must be "single" or "none" with one AZ', net.natMode);
    }
  }
  // Terraform reads `${…}` and `%{…}` in any string as an expression: a config value must not
  // become code run under the platform's credentials (a trust policy, a container's environment).
  const walk = (value: unknown, at: (string | number)[]): void => {
    if (typeof value === "string") {
      if (/[$%]\{/.test(value)) issue(at, "must not contain ${ or %{ (Terraform would evaluate it as an expression)", value);
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i]));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
  };
  walk(raw, []);

  // Each stage has an account of its own: names, DNS and networks are told apart by account.
  const accounts = new Map<string, string>();
  for (const [name, value] of Object.entries(stages)) {
    const account = isObject(value) ? str(value.accountId) : undefined;
    if (!account) continue;
    const first = accounts.get(account);
    if (first !== undefined) issue(["stages", name, "accountId"], `must differ from stages.${first}.accountId: each stage has an account of its own (its VPC, zone and key are the only ones its services may use)`, account);
    else accounts.set(account, name);
  }

  // The platform's state key: its own alias, or a key outside the aliases the platform gives others.
  const backendRaw = isObject(raw.backend) ? raw.backend : {};
  const keyAlias = str(backendRaw.kmsKeyId)?.replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:(?=alias\/)/, "");
  const stateAlias = stateBootstrapNames(str(raw.organisation) ?? "").keyAlias;
  if (keyAlias?.startsWith(`alias/${PLATFORM}/`) && keyAlias !== stateAlias) {
    issue(["backend", "kmsKeyId"], `must be ${stateAlias} or a key outside alias/${PLATFORM}/, which names the platform's keys for stages and services`, str(backendRaw.kmsKeyId));
  }

  // Two stages with one zone name would write each other's records.
  const zones = new Map<string, string>();
  for (const [name, value] of Object.entries(stages)) {
    const zone = isObject(value) ? str(value.zoneName)?.toLowerCase() : undefined;
    if (!zone) continue;
    const first = zones.get(zone);
    if (first !== undefined) issue(["stages", name, "zoneName"], `must differ from stages.${first}.zoneName: each stage has a zone of its own`, zone);
    else zones.set(zone, name);
  }
  for (let i = 0; i < tgwStages.length; i++) {
    for (let j = i + 1; j < tgwStages.length; j++) {
      const [a, aCidr] = tgwStages[i];
      const [b, bCidr] = tgwStages[j];
      if (cidrsOverlap(aCidr, bCidr)) {
        issue(["stages", b, "network", "cidr"], `overlaps stages.${a}.network.cidr (${aCidr}); both attach to a Transit Gateway`, bCidr);
      }
    }
  }

  const ci = isObject(raw.ciIdentity) ? raw.ciIdentity : {};
  const platformRepo = platformRepositoryChecks(ci, issue);
  const organisation = str(raw.organisation) ?? "";
  const slugs = new Map<string, number>();
  const repos = new Map<string, number>();
  const services = Array.isArray(raw.services) ? raw.services : [];
  // `<slug>-<stage>` → the service and stage that named their roles and resources so first.
  const units = new Map<string, string>();
  // A service's slug is its `app` tag, which its roles may set and act on: it must not be one the
  // platform tags its own stacks with.
  const reserved = reservedAppTags(raw);
  services.forEach((svc: unknown, i: number) => {
    if (!isObject(svc)) return;
    const slug = str(svc.slug);
    if (slug !== undefined) {
      const first = slugs.get(slug);
      if (first !== undefined) issue(["services", i, "slug"], `must be unique, already used by services[${first}]`, slug);
      else slugs.set(slug, i);
      const owner = reserved.get(slug);
      if (owner) issue(["services", i, "slug"], `must not be ${JSON.stringify(slug)}: it is the app tag of ${owner}, reserved (${[...reserved.keys()].join(", ")})`, slug);
    }
    const gitlab = str(svc.gitlabProjectPath);
    const github = str(svc.githubRepository);
    if (gitlab && github) {
      issue(["services", i], "Only one of `gitlabProjectPath` or `githubRepository` can be given.", undefined);
    } else if (!gitlab && !github) {
      issue(["services", i], "One of `gitlabProjectPath` or `githubRepository` is required.", undefined);
    }
    const repoField = gitlab ? "gitlabProjectPath" : "githubRepository";
    const repo = gitlab ?? github;
    if (repo) {
      const key = `${repoField}:${repo.toLowerCase()}`;
      const first = repos.get(key);
      if (first !== undefined) issue(["services", i, repoField], `must be unique, already used by services[${first}]`, repo);
      else repos.set(key, i);
      const provider = gitlab ? "gitlab" : "github";
      if (!isObject(ci[provider])) issue(["services", i, repoField], `needs ciIdentity.${provider} to be configured`, repo);
      // A service's pipelines would otherwise get the platform's CI roles, and the platform's theirs.
      if (platformRepo && platformRepo.key === key) {
        issue(["services", i, repoField], `must differ from ciIdentity.platformRepository.${platformRepo.field}: the platform's repository deploys no service`, repo);
      }
    }
    const own = Array.isArray(svc.stages) ? svc.stages : undefined;
    (own ?? []).forEach((s: unknown, j: number) => {
      if (typeof s === "string" && !stageNames.includes(s)) {
        issue(["services", i, "stages", j], `must be one of the stages defined in stages (${stageNames.join(", ")})`, s);
      } else if (typeof s === "string" && own!.indexOf(s) !== j) {
        issue(["services", i, "stages", j], `must be listed once, already at stages[${own!.indexOf(s)}]`, s);
      }
    });
    for (const p of serviceOptionProblems(svc)) issue(["services", i, ...p.path], p.message, p.given);
    const inStages = (own ?? stageNames).filter((s): s is string => typeof s === "string");
    // Slugs and stages both hold hyphens: service "web-eu" in stage "dev" and "web" in stage "eu-dev"
    // would share every per-stage name (roles, services, clusters) and so each other's permissions.
    for (const st of slug === undefined ? [] : inStages) {
      const unit = `${slug}-${st}`;
      // The platform names its own resources `apps-platform-<stage>…`; no service's may look like them.
      if (unit === PLATFORM || unit.startsWith(`${PLATFORM}-`)) {
        issue(["services", i, "slug"], `names its resources in stage ${st} "${unit}…", which is the platform's own name space (${PLATFORM}-…)`, slug);
      }
      const other = units.get(unit);
      if (other !== undefined && other !== `${slug}/${st}`) {
        issue(["services", i, "slug"], `names its roles and resources in stage ${st} "${unit}-…", as ${other.replace("/", " does in stage ")}`, slug);
      } else units.set(unit, `${slug}/${st}`);
    }
    // A service's DNS names are `<slug>.<zone>` and everything below: they must not be, or hold,
    // another stage's zone, or the service could write that stage's records (where both zones are in
    // one account, or where the child zone is not delegated from its parent).
    for (const st of slug === undefined ? [] : inStages) {
      const zone = isObject(stages[st]) ? str(stages[st].zoneName) : undefined;
      if (!zone) continue;
      const own = `${slug}.${zone}`.toLowerCase();
      for (const [other, value] of Object.entries(stages)) {
        const otherZone = isObject(value) ? str(value.zoneName)?.toLowerCase() : undefined;
        if (other === st || !otherZone || (otherZone !== own && !otherZone.endsWith(`.${own}`))) continue;
        issue(["services", i, "slug"], `names "${own}" in stage ${st}, which holds stages.${other}.zoneName "${otherZone}": the service could write that stage's records`, slug);
      }
    }
    // A service's state store must not be the platform's.
    if (slug !== undefined) {
      const platformNames = platformStateNames(raw, organisation);
      for (const n of Object.values(serviceNames(organisation, slug))) {
        const taken = platformNames.get(n.name);
        if (taken) issue(["services", i, "slug"], `makes the ${n.what} "${n.name}", which is ${taken}`, slug);
      }
    }
    if (slug !== undefined && SLUG_PATTERN.test(slug)) {
      const long = [
        ...overLimit(serviceNames(organisation, slug)),
        ...inStages.flatMap((s) => overLimit(namesForCompute(serviceStageNames(slug, s), svc.compute === "appRunner"))),
      ];
      if (long.length > 0) {
        const named = long.map((n) => `the ${n.what} "${n.name}" ${n.name.length} characters long (AWS allows ${n.limit})`);
        issue(["services", i, "slug"], `makes ${named.join("; ")}`, slug);
      }
    }
  });

  fleetChecks(raw, issue);

  if (backendRaw.kind === "cloud" && isObject(backendRaw.vcs)) {
    const vcs = backendRaw.vcs;
    const given = ["oauthTokenId", "githubAppInstallationId"].filter((k) => vcs[k] !== undefined);
    if (given.length !== 1) {
      issue(["backend", "vcs"], given.length === 0 ? "needs one of `oauthTokenId` or `githubAppInstallationId`: how HCP Terraform reaches the repository" : "Only one of `oauthTokenId` or `githubAppInstallationId` can be given.", undefined);
    }
  }
  if (backendRaw.kind === "cloud") {
    // Each workspace gets IAM roles named after it (see src/tfc/workspaces.ts).
    for (const { path: at, name, given } of tfcWorkspaceNamesOf(raw)) {
      const long = tfcRoleNames(name).filter((n) => n.name.length > n.limit);
      if (long.length > 0) issue(at, `makes the workspace "${name}" with the ${long.map((n) => `${n.what} "${n.name}" ${n.name.length} characters long (AWS allows ${n.limit})`).join(" and the ")}`, given);
    }
  }

  const eph = isObject(raw.ephemeral) ? raw.ephemeral : undefined;
  if (eph && eph.project === PLATFORM) {
    issue(["ephemeral", "project"], `must not be ${JSON.stringify(PLATFORM)}: it is the app tag of the platform's own stacks`, eph.project);
  }
  if (eph) {
    const host = str(eph.stage);
    const hostStage = host !== undefined && isObject(stages[host]) ? stages[host] : undefined;
    if (host !== undefined && !hostStage) {
      issue(["ephemeral", "stage"], `must be one of the stages defined in stages (${stageNames.join(", ")})`, host);
    } else if (hostStage && hostStage.ephemeral !== true && eph.allowProd !== true) {
      issue(["ephemeral", "stage"], "must name a stage with `ephemeral: true` (ephemeral stacks stay out of production accounts), or set allowProd: true", host);
    }
    const gitlabPath = str(eph.gitlabProjectPath);
    const githubRepo = str(eph.githubRepository);
    if (gitlabPath && githubRepo) {
      issue(["ephemeral"], "Only one of `gitlabProjectPath` or `githubRepository` can be given: it chooses the CI provider of the ephemeral stages' role.", undefined);
    } else if (gitlabPath || githubRepo) {
      const provider = gitlabPath ? "gitlab" : "github";
      const field = gitlabPath ? "gitlabProjectPath" : "githubRepository";
      if (!isObject(ci[provider])) issue(["ephemeral", field], `needs ciIdentity.${provider} to be configured`, gitlabPath ?? githubRepo);
    }
    const stable = isObject(eph.stableStages) ? eph.stableStages : {};
    if (Object.keys(stable).length > 0 && !gitlabPath && !githubRepo) {
      issue(["ephemeral", "stableStages"], "needs ephemeral.gitlabProjectPath or ephemeral.githubRepository: stable stages are deployed by their CI role", undefined);
    }
    for (const [name, value] of Object.entries(stable)) {
      const stageProblem = stableStageProblem(name);
      if (stageProblem) {
        issue(["ephemeral", "stableStages", name], stageProblem, name);
      }
      if (!isObject(value)) continue;
      const on = str(value.stage);
      const onStage = on !== undefined && isObject(stages[on]) ? stages[on] : undefined;
      if (on !== undefined && !onStage) {
        issue(["ephemeral", "stableStages", name, "stage"], `must be one of the stages defined in stages (${stageNames.join(", ")})`, on);
      } else if (
        onStage &&
        isObject(eph.ses) &&
        (value.cognito ?? eph.cognito) !== false &&
        str(eph.ses.identityArn)?.split(":")[4] !== str(onStage.accountId) &&
        // In the per-PR host's account, ephemeral.ses.identityArn is refused once, above.
        str(onStage.accountId) !== (hostStage ? str(hostStage.accountId) : undefined)
      ) {
        issue(
          ["ephemeral", "stableStages", name, "stage"],
          `hosts a user pool in account ${String(onStage.accountId)}, but ephemeral.ses.identityArn is in another account: set cognito: false for this stage or use an SES identity of that account`,
          on,
        );
      }
      if (onStage && onStage.ephemeral !== true && value.allowProd !== true) {
        issue(
          ["ephemeral", "stableStages", name, "stage"],
          `names stage ${JSON.stringify(on)}, which is not marked \`ephemeral: true\` (a production account): set ephemeral.stableStages.${name}.allowProd: true to deploy the authorizer there`,
          on,
        );
      }
    }
    const ses = isObject(eph.ses) ? str(eph.ses.identityArn) : undefined;
    const sesRegion = ses?.split(":")[3];
    const sesAccount = ses?.split(":")[4];
    if (ses && sesRegion && str(raw.region) && sesRegion !== raw.region) {
      issue(["ephemeral", "ses", "identityArn"], `must be in the region of the user pool (${String(raw.region)}): Cognito sends only through SES in its own region`, ses);
    } else if (ses && hostStage && str(hostStage.accountId) && sesAccount !== hostStage.accountId) {
      issue(["ephemeral", "ses", "identityArn"], `must be in the account of the user pool (${String(hostStage.accountId)}): sending from another account needs SES authorization, which the platform does not set up`, ses);
    }
  }
  return issues;
}

/**
 * `ciIdentity.platformRepository`: exactly one of its two fields, and the provider it needs. Returns
 * the repository as services' repositories are compared (`<field>:<lowercased>`).
 */
function platformRepositoryChecks(
  ci: Record<string, unknown>,
  issue: (path: (string | number)[], message: string, input: unknown) => void,
): { field: string; key: string } | undefined {
  if (!isObject(ci.platformRepository)) return undefined;
  const repo = ci.platformRepository;
  const gitlab = str(repo.gitlabProjectPath);
  const github = str(repo.githubRepository);
  const at = ["ciIdentity", "platformRepository"];
  if (gitlab && github) {
    issue(at, "Only one of `gitlabProjectPath` or `githubRepository` can be given.", undefined);
    return undefined;
  }
  if (!gitlab && !github) {
    issue(at, "One of `gitlabProjectPath` or `githubRepository` is required.", undefined);
    return undefined;
  }
  const field = gitlab ? "gitlabProjectPath" : "githubRepository";
  const provider = gitlab ? "gitlab" : "github";
  if (!isObject(ci[provider])) issue([...at, field], `needs ciIdentity.${provider} to be configured`, gitlab ?? github);
  return { field, key: `${field}:${(gitlab ?? github)!.toLowerCase()}` };
}

/** The names of the platform's own state store, with what each is, as a service's state names could collide with them. */
function platformStateNames(raw: Record<string, unknown>, organisation: string): Map<string, string> {
  const names = new Map<string, string>();
  const backend = isObject(raw.backend) ? raw.backend : {};
  if (str(backend.bucket)) names.set(str(backend.bucket)!, "the platform's state bucket (backend.bucket)");
  if (str(backend.lockTable)) names.set(str(backend.lockTable)!, "the platform's lock table (backend.lockTable)");
  // The key may be given as an alias ARN: compare its alias.
  const kms = str(backend.kmsKeyId)?.replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:(?=alias\/)/, "");
  if (kms) names.set(kms, "the platform's state key (backend.kmsKeyId)");
  const boot = stateBootstrapNames(organisation);
  names.set(boot.keyAlias, "the platform's state key alias");
  names.set(boot.accessLogBucket, "the platform's state access-log bucket");
  return names;
}

/**
 * The `app` tag values the platform uses for stacks of its own, with whose they are: PLATFORM for
 * state-bootstrap, ci-identity and environment-<stage>; `ephemeral.project` for the ephemeral stacks.
 */
export function reservedAppTags(raw: unknown): Map<string, string> {
  const reserved = new Map([[PLATFORM, "the platform's own stacks (state-bootstrap, ci-identity, environment-<stage>)"]]);
  const project = isObject(raw) && isObject(raw.ephemeral) ? str(raw.ephemeral.project) : undefined;
  if (project !== undefined && !reserved.has(project)) reserved.set(project, "the ephemeral stacks (ephemeral.project)");
  const product = isObject(raw) && isObject(raw.fleet) ? str(raw.fleet.product) : undefined;
  if (product !== undefined && !reserved.has(product)) reserved.set(product, "the tenant fleet's stacks (fleet.product)");
  return reserved;
}

/** App Runner's own names only count for services that run on App Runner. */
function namesForCompute(names: ReturnType<typeof serviceStageNames>, appRunner: boolean): Partial<ReturnType<typeof serviceStageNames>> {
  if (appRunner) return names;
  const { appRunnerService: _service, autoScaling: _scaling, vpcConnector: _connector, ...rest } = names;
  return rest;
}

function smallestPrefixFor(azCount: number): number {
  return 28 - Math.ceil(Math.log2(2 * azCount));
}
