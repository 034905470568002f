import { Construct } from "constructs";
import { Compute, ServiceContext, ServiceStack as LibraryServiceStack } from "@acme/apps-platform-constructs/service";
import { PlatformConfig, ServiceConfig } from "../src/config/schema";

/** The ServiceContext of one service in one stage, from the platform config. */
export function serviceContextOf(config: PlatformConfig, service: ServiceConfig, stage: string): ServiceContext {
  const stageConfig = config.stages[stage];
  return {
    organisation: config.organisation,
    slug: service.slug,
    stage,
    region: config.region,
    accountId: stageConfig.accountId,
    zoneName: stageConfig.zoneName,
    ephemeral: stageConfig.ephemeral,
  };
}

/**
 * One service in one stage, from its `services:` entry: the library's ServiceStack, exactly as a
 * service repository uses it (templates/service-repo), with the entry's options given to the builder.
 */
export class ServiceStack extends LibraryServiceStack {
  public readonly config: PlatformConfig;

  constructor(scope: Construct, config: PlatformConfig, service: ServiceConfig, stage: string) {
    super(scope, {
      context: serviceContextOf(config, service, stage),
      compute: Compute.of(service.compute),
      deployService: service.deployService,
      imageTag: service.image,
      // Apply pipelines use the deploy role; merge-request plans pass the read role as platform_role_arn.
      // In HCP Terraform the run's phase credential is the read or the deploy role itself.
      backend: config.backend.kind === "cloud" ? config.backend : { kind: "s3", useLockfile: config.backend.useLockfile, dynamodbLock: config.backend.dynamodbLock },
    });
    this.config = config;
    if (service.web) this.service.withWebService(service.web);
    if (service.database) this.service.withDatabase(service.database);
    if (service.customDomain) this.service.withCustomDomain(service.customDomain);
    this.service.build();
  }
}
