import * as path from "path";
import { Construct } from "constructs";
import { Aspects, TerraformOutput, TerraformVariable } from "cdktf";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { PlatformConfig } from "../src/config/schema";
import { AccountProvider } from "../src/constructs/core/account-provider";
import { PlatformStack } from "./platform-stack";
import { AuthorizerWithPolicyStore } from "../src/constructs/ephemeral/authorizer-with-policy-store";
import { STAGE_PATTERN, stackNames } from "../src/naming";
import { PROJECT_ROOT } from "../src/paths";
import { authorizerPackage } from "../src/runtime/bundle";
import { MandatoryTagsAspect } from "../src/tagging";

/** The stage of a run of the template: its workspace. */
export const STAGE = "${terraform.workspace}";
export const LAMBDA_PACKAGE = "authorizer.zip";

/**
 * One template for every ephemeral stage (`pr-123`): the stage is the Terraform workspace, so names
 * and tags carry `terraform.workspace` and a plan outside a stage workspace fails. Created, listed and
 * destroyed by `npm run ephemeral`.
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
    const host = config.stages[eph.stage];
    new AccountProvider(this, "stage-account", {
      region: config.region,
      partition: this.partition,
      accountId: host.accountId,
      roleName: config.platformRoleName,
    });
    new RandomProvider(this, "random");

    const createdAt = new TerraformVariable(this, "created_at", { type: "string", default: "", description: "When the stage was created (set by npm run ephemeral)." });
    const expiresAt = new TerraformVariable(this, "expires_at", { type: "string", default: "", description: "When `reap` may destroy the stage (set by npm run ephemeral)." });
    // Seed 002's tags, set the same way as the platform's mandatory ones.
    Aspects.of(this).add(
      new MandatoryTagsAspect({
        Project: eph.project,
        Stage: STAGE,
        Account: eph.accountAlias,
        Repo: eph.repo,
        Owner: eph.owner,
        TTL: expiresAt.stringValue,
      }),
    );

    const pkg = authorizerPackage();
    this.files.set(LAMBDA_PACKAGE, pkg.zip);
    const authorizer = new AuthorizerWithPolicyStore(this, "authorizer", {
      namePrefix: STAGE,
      region: config.region,
      accountId: host.accountId,
      policyDir: path.join(PROJECT_ROOT, "policies", "ephemeral"),
      lambdaPackage: { filename: `\${path.module}/${LAMBDA_PACKAGE}`, sha256: pkg.sha256 },
      cognito: eph.cognito,
      ses: eph.ses,
    });

    new TerraformOutput(this, "stack_name", { value: stackNames.ephemeralStage(eph.accountAlias, config.region, STAGE), description: "The stage's stack name (account alias, region and stage), as npm run ephemeral lists it." });
    new TerraformOutput(this, "stage_created_at", { value: createdAt.stringValue, description: "When the stage was created (the created_at variable npm run ephemeral sets)." });
    new TerraformOutput(this, "stage_expires_at", { value: expiresAt.stringValue, description: "When `reap` may destroy the stage (the expires_at variable, also its TTL tag)." });
    new TerraformOutput(this, "policy_store_id", { value: authorizer.policyStore.policyStoreId, description: "The stage's Verified Permissions policy store, which holds the Cedar policies of policies/ephemeral." });
    new TerraformOutput(this, "authorizer_arn", { value: authorizer.authorizer.arn, description: "The authorizer Lambda function that asks the policy store." });
    new TerraformOutput(this, "table_name", { value: authorizer.table.name, description: "The stage's DynamoDB table." });
    if (authorizer.userPool) new TerraformOutput(this, "user_pool_id", { value: authorizer.userPool.id, description: "The stage's Cognito user pool, whose tokens the authorizer accepts." });
    if (authorizer.userPoolClient) new TerraformOutput(this, "user_pool_client_id", { value: authorizer.userPoolClient.id, description: "The Cognito app client id of the stage's user pool (not a secret)." });
  }
}
