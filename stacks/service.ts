import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { PlatformConfig, ServiceConfig } from "../src/config/schema";
import { ContractReader } from "../src/constructs/contract/contract-reader";
import { AccountProvider } from "../src/constructs/core/account-provider";
import { PlatformStack } from "./platform-stack";
import { AppsPlatformApp } from "../src/constructs/service/apps-platform-app";
import { Compute } from "../src/constructs/service/compute";
import { serviceNames, serviceStageNames, stackNames } from "../src/naming";
import { TenantScope, tenantRoleArns } from "../src/policy/tenant";

/**
 * One service in one stage, from its `services:` entry: the builder, fed by the stage's contract,
 * deployed with the service's deploy role and keeping state in the service's own bucket.
 */
export class ServiceStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig, service: ServiceConfig, stage: string) {
    const names = serviceNames(config.organisation, service.slug);
    super(scope, stackNames.service(service.slug, stage), {
      config,
      kind: "service",
      unit: service.slug,
      stage,
      app: service.slug,
      stateStore: { bucket: names.stateBucket.name, lockTable: names.lockTable.name, kmsKeyId: names.stateKeyAlias.name },
    });
    const stageConfig = config.stages[stage];
    const tenant: TenantScope = {
      partition: this.partition,
      region: config.region,
      accountId: stageConfig.accountId,
      slug: service.slug,
      stage,
      zoneName: stageConfig.zoneName,
    };
    const roles = tenantRoleArns(tenant);
    // Apply pipelines use the deploy role; merge-request plans pass the read role here. In HCP
    // Terraform the run's phase credential is the read or the deploy role itself (stacks/platform-stack.ts).
    const role =
      config.backend.kind === "cloud"
        ? undefined
        : new TerraformVariable(this, "platform_role_arn", {
            type: "string",
            default: roles.deploy,
            description: `The role to work in the platform account with: ${roles.deploy} to apply, ${roles.read} to plan.`,
          });
    new AccountProvider(this, "platform-account", {
      region: config.region,
      partition: this.partition,
      accountId: stageConfig.accountId,
      roleArn: role?.stringValue ?? roles.deploy,
      sessionName: `${service.slug}-${stage}`,
    });

    const contract = new ContractReader(this, "contract", { stage, serviceParameterPrefix: serviceStageNames(service.slug, stage).parameterPrefix.name });
    // Onboarding publishes the connector for App Runner services only; it is read only where it is used.
    const needsConnector = service.compute === "appRunner" && service.database !== undefined && service.deployService;
    const app = new AppsPlatformApp(this, service.slug, {
      tenant,
      compute: Compute.of(service.compute),
      deployService: service.deployService,
      imageTag: service.image,
      ephemeral: stageConfig.ephemeral,
      environment: {
        privateSubnetIds: contract.list("privateSubnetIds"),
        zoneId: contract.value("zoneId"),
        platformKeyArn: contract.value("platformKeyArn"),
        serviceSecurityGroupId: contract.serviceValue("serviceSecurityGroupId"),
        databaseSecurityGroupId: contract.serviceValue("databaseSecurityGroupId"),
        vpcConnectorArn: needsConnector ? contract.serviceValue("vpcConnectorArn") : undefined,
      },
    });
    if (service.web) app.withWebService(service.web);
    if (service.database) app.withDatabase(service.database);
    if (service.customDomain) app.withCustomDomain(service.customDomain);
    const outputs = app.build();

    new TerraformOutput(this, "repository_url", { value: outputs.repositoryUrl, description: "Push the service's images here." });
    if (outputs.serviceUrl) new TerraformOutput(this, "service_url", { value: outputs.serviceUrl, description: "The service's own URL." });
    if (outputs.customDomainUrl) new TerraformOutput(this, "custom_domain_url", { value: outputs.customDomainUrl, description: "The service under its name in the stage zone." });
    if (outputs.imageIdentifier) new TerraformOutput(this, "image_identifier", { value: outputs.imageIdentifier, description: "The image the service runs." });
    if (outputs.connectionSecretArn) {
      new TerraformOutput(this, "connection_secret_arn", { value: outputs.connectionSecretArn, description: "The ARN (not the value) of the database's master secret." });
    }
  }
}
