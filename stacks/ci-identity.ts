import { Construct } from "constructs";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { PlatformConfig } from "../src/config/schema";
import { deploymentAccountProvider } from "../src/constructs/core/account-provider";
import { PlatformStack } from "./platform-stack";
import { PLATFORM, stackNames } from "../src/naming";
import { GITHUB_ISSUER_HOST, gitlabAudience, issuerHost } from "../src/policy/ci";

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
  }
}
