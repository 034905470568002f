import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { PlatformConfig } from "../src/config/schema";
import { deploymentAccountProvider } from "@acme/apps-platform-constructs/core";
import { PlatformStack } from "./platform-stack";
import { PLATFORM, platformCiNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { GITHUB_ISSUER_HOST, gitlabAudience, issuerHost } from "../src/policy/ci";
import { PlatformCiRoles } from "../src/constructs/ci/platform-ci-roles";
import { PlatformReadRole } from "../src/constructs/ci/platform-read-role";
import { accountReadScope, platformCiRoleArns, platformCiRoleStatements, platformCiTrustStatements, platformReadRoleTrust } from "../src/policy/platform-ci";
import { EphemeralCiRoles } from "../src/constructs/ci/ephemeral-ci-role";
import { ephemeralCiScope } from "../src/policy/ephemeral-ci";

/**
 * The OIDC identity providers of the deployment account, shared by every service's CI roles. IAM
 * allows one provider per issuer URL in an account, so they cannot live in the onboarding stacks.
 */
export class CiIdentityStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig) {
    super(scope, stackNames.ciIdentity(), { config, kind: "ci-identity", unit: PLATFORM, app: PLATFORM });
    deploymentAccountProvider(this, config, this.partition);
    const { gitlab, github } = config.ciIdentity;
    // AWS no longer checks thumbprints for these issuers (it trusts their CA), so none are pinned.
    if (gitlab) {
      new IamOpenidConnectProvider(this, "gitlab", {
        url: `https://${issuerHost(gitlab.url)}`,
        clientIdList: [gitlabAudience(gitlab)],
      });
    }
    if (github) {
      new IamOpenidConnectProvider(this, "github", { url: `https://${GITHUB_ISSUER_HOST}`, clientIdList: [github.audience] });
    }
    const ephemeral = ephemeralCiScope(config, this.partition);
    if (ephemeral) {
      const roles = new EphemeralCiRoles(this, "ephemeral-ci", { scope: ephemeral });
      new TerraformOutput(this, "ephemeral_role_arn", {
        value: roles.ciRole.role.arn,
        description: "EPHEMERAL_ROLE_ARN of the ephemeral pipelines: the role merge-request and pull-request jobs assume to create, update and destroy per-PR authorizer stages.",
      });
      if (roles.stableCiRole) {
        new TerraformOutput(this, "ephemeral_stable_role_arn", {
          value: roles.stableCiRole.role.arn,
          description: "EPHEMERAL_STABLE_ROLE_ARN of the ephemeral pipelines: the role the protected-branch deploy jobs of the stable authorizer stages (dev, stage, prod) assume.",
        });
      }
    }
    if (config.ciIdentity.platformRepository) this.platformCi(config);
  }

  /** The platform repository's own plan and apply roles, and the deployment account's read role. */
  private platformCi(config: PlatformConfig): void {
    const role = (kind: "plan" | "apply") => ({ trust: platformCiTrustStatements(config, this.partition, kind), statements: platformCiRoleStatements(config, this.partition, kind) });
    const roles = new PlatformCiRoles(this, "platform-ci", { path: platformCiNames.path, planRoleName: platformCiNames.planRole, applyRoleName: platformCiNames.applyRole, plan: role("plan"), apply: role("apply") });
    // A stage in the deployment account has its read role here: one role per name and account.
    new PlatformReadRole(this, "platform-read", {
      roleName: platformCiNames.readRole,
      path: platformCiNames.path,
      trust: platformReadRoleTrust(platformCiRoleArns(this.partition, config.deploymentAccount.accountId).plan),
      ...accountReadScope(config, this.partition, config.deploymentAccount.accountId),
      dependsOn: [roles.plan.role],
    });
  }
}
