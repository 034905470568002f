/**
 * A service repository's own infrastructure entrypoint, written against the platform's builder
 * rather than its YAML: the payments API on App Runner with a database, its own domain and a secret,
 * as config/example.yaml describes it.
 * Run it from the service repository with `cdktf synth` (or `npx ts-node main.ts`); CI applies the
 * output with the service's CI apply role, which may assume only this service's deploy role.
 */
import { App, Aspects, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { AppsPlatformApp } from "@acme/apps-platform-constructs/service";
import { Compute } from "@acme/apps-platform-constructs/service";
import { serviceStageNames } from "@acme/apps-platform-constructs/naming";
import { MandatoryTagsAspect, mandatoryTags } from "@acme/apps-platform-constructs/tagging";

const SLUG = "payments-api";

export class PaymentsService extends TerraformStack {
  constructor(scope: Construct, stage: string, account: { id: string; zoneName: string }) {
    super(scope, `${SLUG}-${stage}`);
    // State in the bucket the service's onboarding created, one workspace per stage.
    new S3Backend(this, {
      bucket: `acme-${SLUG}-tfstate`,
      key: `service/${SLUG}/terraform.tfstate`,
      region: "eu-central-1",
      encrypt: true,
      kmsKeyId: `alias/apps-platform/${SLUG}/tfstate`,
      dynamodbTable: `acme-${SLUG}-tflock`,
      workspaceKeyPrefix: "env",
    });
    new AwsProvider(this, "aws", {
      region: "eu-central-1",
      allowedAccountIds: [account.id],
      assumeRole: [{ roleArn: `arn:aws:iam::${account.id}:role/apps-platform/deploy/${SLUG}-${stage}-deploy` }],
    });
    Aspects.of(this).add(new MandatoryTagsAspect(mandatoryTags(SLUG, stage)));

    // The stage's contract, and the network objects onboarding made for this service.
    const env = new ContractReader(this, "environment", { stage, serviceParameterPrefix: serviceStageNames(SLUG, stage).parameterPrefix.name });
    const service = new AppsPlatformApp(this, SLUG, {
      tenant: { partition: "aws", region: "eu-central-1", accountId: account.id, slug: SLUG, stage, zoneName: account.zoneName },
      compute: Compute.appRunner(),
      deployService: true,
      imageTag: process.env.IMAGE_TAG ?? "1.4.2",
      environment: {
        privateSubnetIds: env.list("privateSubnetIds"),
        zoneId: env.value("zoneId"),
        platformKeyArn: env.value("platformKeyArn"),
        serviceSecurityGroupId: env.serviceValue("serviceSecurityGroupId"),
        databaseSecurityGroupId: env.serviceValue("databaseSecurityGroupId"),
        vpcConnectorArn: env.serviceValue("vpcConnectorArn"),
      },
    })
      .withWebService({ port: 8080, cpu: 1024, memory: 2048, environment: { LOG_LEVEL: "info" } })
      .withDatabase({ maxCapacity: 2 })
      .withCustomDomain()
      // The value is put with `aws secretsmanager put-secret-value`; Terraform never sees it.
      .withSecret("stripe-key", { environmentVariable: "STRIPE_KEY" })
      .build();

    new TerraformOutput(this, "service_url", { value: service.serviceUrl, description: "The service's own URL." });
    new TerraformOutput(this, "custom_domain_url", { value: service.customDomainUrl, description: "The service under its name in the stage zone." });
  }
}

if (require.main === module) {
  const app = new App();
  new PaymentsService(app, "dev", { id: "222222222222", zoneName: "dev.apps.acme.example" });
  app.synth();
}
