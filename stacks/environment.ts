import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { skipCheck } from "@acme/apps-platform-constructs/checks";
import { PlatformConfig } from "../src/config/schema";
import { ContractPublisher } from "@acme/apps-platform-constructs/contract";
import { AccountProvider } from "@acme/apps-platform-constructs/core";
import { PlatformStack } from "./platform-stack";
import { EncryptionKey } from "@acme/apps-platform-constructs/kms";
import { VpcFlowLogs } from "@acme/apps-platform-constructs/network";
import { VpcNetwork } from "@acme/apps-platform-constructs/network";
import { PLATFORM, environmentNames, platformCiNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { platformKeyPolicy } from "@acme/apps-platform-constructs/policy";
import { PlatformReadRole } from "../src/constructs/ci/platform-read-role";
import { accountReadScope, platformCiRoleArns, platformReadRoleTrust } from "../src/policy/platform-ci";
import { EphemeralProvisionerRoles } from "../src/constructs/ci/ephemeral-ci-role";
import { ephemeralCiScope, provisionersOfStage } from "../src/policy/ephemeral-ci";

/**
 * What every service of a stage shares, in the stage's platform account: the VPC, the hosted zone,
 * the platform KMS key, and the contract through which the other stacks of the stage find them.
 */
export class EnvironmentStack extends PlatformStack {
  public readonly network: VpcNetwork;
  public readonly contract: ContractPublisher;

  constructor(scope: Construct, config: PlatformConfig, stage: string) {
    super(scope, stackNames.environment(stage), { config, kind: "environment", unit: stage, stage, app: PLATFORM });
    const stageConfig = config.stages[stage];
    const names = environmentNames(stage);
    const ctx = { partition: this.partition, accountId: stageConfig.accountId, region: config.region };

    new AccountProvider(this, "platform-account", {
      region: config.region,
      partition: this.partition,
      accountId: stageConfig.accountId,
      roleName: config.platformRoleName,
    });

    const key = new EncryptionKey(this, "platform-key", {
      alias: names.platformKeyAlias,
      description: `${PLATFORM} ${stage}: service secrets, databases and logs`,
      policy: platformKeyPolicy(ctx),
    });
    this.network = new VpcNetwork(this, "network", {
      name: names.vpc,
      cidr: stageConfig.network.cidr,
      azCount: stageConfig.network.azCount,
      natMode: stageConfig.network.natMode,
      transitGatewayId: stageConfig.network.transitGatewayId,
      region: config.region,
      availabilityZones: stageConfig.network.availabilityZones,
    });
    new VpcFlowLogs(this, "flow-logs", {
      vpcId: this.network.vpcId,
      logGroupName: names.flowLogGroup,
      roleName: names.flowLogRole,
      kmsKeyArn: key.arn,
      accountId: stageConfig.accountId,
    });
    const zone = new Route53Zone(this, "zone", { name: stageConfig.zoneName, comment: `${PLATFORM} ${stage}` });
    skipCheck(zone, "CKV2_AWS_38", "DNSSEC signing needs a key-signing key in us-east-1 and a DS record in the parent zone, which the platform does not own");
    skipCheck(zone, "CKV2_AWS_39", "query logging needs a us-east-1 log group per zone; the services behind these names log their own requests");

    this.contract = new ContractPublisher(this, "contract", {
      stage,
      values: {
        vpcId: this.network.vpcId,
        vpcCidr: stageConfig.network.cidr,
        privateSubnetIds: this.network.privateSubnetIds,
        publicSubnetIds: this.network.publicSubnetIds,
        zoneId: zone.zoneId,
        zoneName: zone.name,
        platformKeyArn: key.arn,
      },
    });

    // The read role the platform's plans assume in this account (ci_phase=plan); the deployment account's is in ci-identity.
    if (config.ciIdentity.platformRepository && stageConfig.accountId !== config.deploymentAccount.accountId) {
      new PlatformReadRole(this, "platform-read", {
        roleName: platformCiNames.readRole,
        path: platformCiNames.path,
        trust: platformReadRoleTrust(platformCiRoleArns(this.partition, config.deploymentAccount.accountId).plan),
        ...accountReadScope(config, this.partition, stageConfig.accountId),
      });
    }

    // The provisioner roles of the authorizer stages this stage's account hosts (per-PR and stable).
    const ephemeral = ephemeralCiScope(config, this.partition);
    const provisioners = ephemeral && provisionersOfStage(ephemeral, stage);
    if (provisioners) new EphemeralProvisionerRoles(this, "ephemeral-provisioner", provisioners);

    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId, description: "The stage's VPC, which onboarding and the fleet place their subnets' resources in." });
    new TerraformOutput(this, "zone_name_servers", { value: zone.nameServers, description: "Delegate the zone to these." });
  }
}
