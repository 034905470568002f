import * as path from "path";
import { Construct } from "constructs";
import { Aspects, TerraformOutput, TerraformVariable } from "cdktf";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { PlatformConfig } from "../src/config/schema";
import { AccountProvider } from "@acme/apps-platform-constructs/core";
import { PlatformStack } from "./platform-stack";
import { AuthorizerWithPolicyStore } from "@acme/apps-platform-constructs/ephemeral";
import { STAGE_PATTERN, stackNames } from "@acme/apps-platform-constructs/naming";
import { AUTHORIZER_KIND, EphemeralCiScope, ephemeralCiArns, ephemeralCiScope } from "../src/policy/ephemeral-ci";
import { PROJECT_ROOT } from "../src/paths";
import { authorizerPackage } from "@acme/apps-platform-constructs/ephemeral";
import { MandatoryTagsAspect } from "@acme/apps-platform-constructs/tagging";

/** The stage of a run of the template: its workspace. */
export const STAGE = "${terraform.workspace}";
export const LAMBDA_PACKAGE = "authorizer.zip";

/**
 * One template for every ephemeral stage (`pr-123`): the stage is the Terraform workspace, so names
 * and tags carry `terraform.workspace` and a plan outside a stage workspace fails. Created, listed and
 * destroyed by `npm run ephemeral`. With a CI role configured (ephemeral.gitlabProjectPath or
 * githubRepository), its provider assumes the per-PR provisioner role with the stage as the session's
 * `Stage` tag, which reaches that stage's resources only.
 */
export class EphemeralStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig) {
    const eph = config.ephemeral!;
    super(scope, stackNames.ephemeral(), {
      config,
      kind: "ephemeral",
      unit: `${eph.accountAlias}-${config.region}`,
      app: eph.project,
      envTag: STAGE,
      workspacePattern: STAGE_PATTERN.source,
      // In HCP Terraform its stage workspaces come and go with pull requests and get no dynamic
      // credentials: they run where `npm run ephemeral` runs (docs/terraform-cloud.md).
      runsLocally: true,
    });
    const ci = ephemeralCiScope(config, this.partition);
    buildAuthorizerStage(this, config, {
      stage: STAGE,
      accountId: config.stages[eph.stage].accountId,
      role: ci ? { roleArn: ephemeralCiArns(ci).provisioner } : { roleName: config.platformRoleName },
      cognito: eph.cognito,
      ttl: true,
    });
  }
}

/**
 * One long-lived stage of the same authorizer (ephemeral.stableStages: dev, stage, prod), in the
 * account of the platform stage that hosts it, in the workspace of its own name. Deployed from the
 * protected branch by `npm run ephemeral -- up --stable <name>` under the stable CI role, whose
 * provisioner session carries the stage as its `Stage` tag.
 */
export class AuthorizerStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig, name: string) {
    const eph = config.ephemeral!;
    const stable = eph.stableStages![name];
    super(scope, stackNames.authorizer(name), { config, kind: AUTHORIZER_KIND, unit: name, stage: name, app: eph.project });
    // Without CI roles (Terraform Cloud state) the platform's provisioner deploys it, as it does the per-PR template.
    const ci: EphemeralCiScope | undefined = ephemeralCiScope(config, this.partition);
    const accountId = config.stages[stable.stage].accountId;
    buildAuthorizerStage(this, config, {
      stage: name,
      accountId,
      role: ci ? { roleArn: ephemeralCiArns(ci).stableProvisioner(accountId) } : { roleName: config.platformRoleName },
      cognito: stable.cognito ?? eph.cognito,
      ttl: false,
    });
  }
}

interface AuthorizerStageOptions {
  /** The stage: a name, or `${terraform.workspace}` in the per-PR template. */
  readonly stage: string;
  readonly accountId: string;
  readonly role: { readonly roleArn: string } | { readonly roleName: string };
  readonly cognito: boolean;
  /** Per-PR stages have a creation time and a time to live. */
  readonly ttl: boolean;
}

/**
 * The STS session name of a stage's provisioner session, `<project>-<stage>`. STS allows at most 64
 * characters, and a project (up to 32) with a stage name (up to 32, or the per-PR workspace's, known
 * only at plan) can make 65, so the project is cut to 31 characters here. CloudTrail is all that
 * reads it: the provisioner's permissions name the stage through the session's Stage tag.
 */
export function provisionerSessionName(project: string, stage: string): string {
  return `${project.slice(0, 31)}-${stage}`;
}

function buildAuthorizerStage(stack: PlatformStack, config: PlatformConfig, o: AuthorizerStageOptions): void {
  const eph = config.ephemeral!;
  const account = new AccountProvider(stack, "stage-account", {
    region: config.region,
    partition: stack.partition,
    accountId: o.accountId,
    ...o.role,
  });
  if ("roleArn" in o.role) {
    // The provisioner's permissions name the stage through the session's Stage tag.
    account.provider.assumeRole = [{ roleArn: o.role.roleArn, sessionName: provisionerSessionName(eph.project, o.stage), tags: { Stage: o.stage } }];
  }
  new RandomProvider(stack, "random");

  const tags: Record<string, string> = { Project: eph.project, Stage: o.stage, Account: eph.accountAlias, Repo: eph.repo, Owner: eph.owner };
  let createdAt: TerraformVariable | undefined;
  let expiresAt: TerraformVariable | undefined;
  if (o.ttl) {
    createdAt = new TerraformVariable(stack, "created_at", { type: "string", default: "", description: "When the stage was created (set by npm run ephemeral)." });
    expiresAt = new TerraformVariable(stack, "expires_at", { type: "string", default: "", description: "When `reap` may destroy the stage (set by npm run ephemeral)." });
    tags.TTL = expiresAt.stringValue;
  }
  // Seed 002's tags, set the same way as the platform's mandatory ones.
  Aspects.of(stack).add(new MandatoryTagsAspect(tags));

  const pkg = authorizerPackage();
  stack.files.set(LAMBDA_PACKAGE, pkg.zip);
  const boundaryArn =
    "roleArn" in o.role ? `arn:${stack.partition}:iam::${o.accountId}:policy/apps-platform/ephemeral-provisioner/${eph.project}-authorizer-boundary` : undefined;
  const authorizer = new AuthorizerWithPolicyStore(stack, "authorizer", {
    namePrefix: o.stage,
    region: config.region,
    accountId: o.accountId,
    policyDir: path.join(PROJECT_ROOT, "policies", "ephemeral"),
    lambdaPackage: { filename: `\${path.module}/${LAMBDA_PACKAGE}`, sha256: pkg.sha256 },
    cognito: o.cognito,
    // Cognito's sender; a stage without a user pool sends no mail.
    ses: o.cognito ? eph.ses : undefined,
    permissionsBoundary: boundaryArn,
  });

  new TerraformOutput(stack, "stack_name", { value: stackNames.ephemeralStage(eph.accountAlias, config.region, o.stage), description: "The stage's stack name, <alias>-<region>-<stage>." });
  if (createdAt && expiresAt) {
    new TerraformOutput(stack, "stage_created_at", { value: createdAt.stringValue, description: "When the stage was created." });
    new TerraformOutput(stack, "stage_expires_at", { value: expiresAt.stringValue, description: "When `reap` may destroy the stage." });
  }
  new TerraformOutput(stack, "policy_store_id", { value: authorizer.policyStore.policyStoreId, description: "The Verified Permissions policy store of the stage." });
  new TerraformOutput(stack, "authorizer_arn", { value: authorizer.authorizer.arn, description: "The Lambda authorizer of the stage." });
  new TerraformOutput(stack, "table_name", { value: authorizer.table.name, description: "The stage's DynamoDB table." });
  if (authorizer.userPool) new TerraformOutput(stack, "user_pool_id", { value: authorizer.userPool.id, description: "The stage's Cognito user pool." });
  if (authorizer.userPoolClient) new TerraformOutput(stack, "user_pool_client_id", { value: authorizer.userPoolClient.id, description: "The app client of the stage's user pool (a public client: no secret)." });
}
