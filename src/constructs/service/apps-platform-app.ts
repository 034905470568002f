import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { skipCheck } from "../../checks";
import { serviceOptionProblems } from "../../config/service-options";
import { serviceDnsNames, serviceStageNames } from "../../naming";
import { TenantScope, tenantRoleArns } from "../../policy/tenant";
import { AppRunnerService } from "./app-runner-service";
import { AuroraDatabase, POSTGRES_PORT } from "./aurora-database";
import { Compute } from "./compute";
import { AppRunnerCustomDomain, CertificateCustomDomain } from "./custom-domain";
import { EcrRepository } from "./ecr-repository";
import { EcsExpressService } from "./ecs-express-service";
import { WebContainer } from "./web-container";

/** What a service needs from its stage's environment (read through the contract). */
export interface ServiceEnvironment {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly privateSubnetIds: string[];
  readonly zoneId: string;
  readonly platformKeyArn: string;
}

export interface AppsPlatformAppProps {
  /** The service's tenant id. */
  readonly tenant: TenantScope;
  /** Where it runs. */
  readonly compute: Compute;
  readonly environment: ServiceEnvironment;
  /** false: only the repository and what needs no image; true: the service runs `imageTag`. @default false */
  readonly deployService?: boolean;
  /** The image tag to run. Required with deployService. */
  readonly imageTag?: string;
  /** A short-lived stage: no deletion protection, repositories deleted with their images. @default false */
  readonly ephemeral?: boolean;
}

export interface WebServiceOptions {
  /** @default 8080 */
  readonly port?: number;
  /** CPU units. @default 1024 */
  readonly cpu?: number;
  /** MiB. @default 2048 */
  readonly memory?: number;
  /** @default "/health" */
  readonly healthCheckPath?: string;
  /** @default 1 */
  readonly minInstances?: number;
  /** @default 2 */
  readonly maxInstances?: number;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** Secret ARNs by variable name. @default {} */
  readonly secrets?: Record<string, string>;
}

export interface DatabaseOptions {
  /** @default 0 */
  readonly minCapacity?: number;
  /** @default 1 */
  readonly maxCapacity?: number;
}

export interface CustomDomainOptions {
  /** Also serve www. @default false */
  readonly www?: boolean;
}

/** What a built service exposes; undefined until `deployService` is true. */
export interface AppsPlatformAppOutputs {
  readonly repositoryUrl: string;
  readonly serviceUrl?: string;
  readonly customDomainUrl?: string;
  readonly imageIdentifier?: string;
  readonly connectionSecretArn?: string;
}

/** Raised by build() with every problem of the options at once. */
export class ServiceOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem${problems.length === 1 ? "" : "s"} in the service options:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ServiceOptionsError";
  }
}

/**
 * A service on the platform, described fluently:
 * `new AppsPlatformApp(stack, "payments-api", props).withWebService({ port: 8080 }).withDatabase().withCustomDomain().build()`.
 * Nothing is created before build(), which validates everything first.
 */
export class AppsPlatformApp extends Construct {
  private web?: WebServiceOptions;
  private database?: DatabaseOptions;
  private domain?: CustomDomainOptions;
  private built = false;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AppsPlatformAppProps,
  ) {
    super(scope, id);
  }

  public withWebService(options: WebServiceOptions = {}): this {
    this.assertOpen("withWebService");
    this.web = options;
    return this;
  }

  public withDatabase(options: DatabaseOptions = {}): this {
    this.assertOpen("withDatabase");
    this.database = options;
    return this;
  }

  public withCustomDomain(options: CustomDomainOptions = {}): this {
    this.assertOpen("withCustomDomain");
    this.domain = options;
    return this;
  }

  public build(): AppsPlatformAppOutputs {
    this.assertOpen("build");
    this.built = true;
    const { tenant, environment: env } = this.props;
    const deployService = this.props.deployService ?? false;
    const ephemeral = this.props.ephemeral ?? false;
    const problems = serviceOptionProblems({
      compute: this.props.compute.target,
      deployService,
      image: this.props.imageTag,
      web: this.web,
      database: this.database,
      customDomain: this.domain,
    });
    if (problems.length > 0) {
      throw new ServiceOptionsError(problems.map((p) => `${p.path.join(".")} ${p.message}, got ${JSON.stringify(p.given)}`));
    }

    const names = serviceStageNames(tenant.slug, tenant.stage);
    const roles = tenantRoleArns(tenant);
    const repository = new EcrRepository(this, "repository", { name: names.ecrRepository.name, kmsKeyArn: env.platformKeyArn, forceDelete: ephemeral });
    const outputs: { -readonly [K in keyof AppsPlatformAppOutputs]: AppsPlatformAppOutputs[K] } = { repositoryUrl: repository.url };
    if (!this.web) return outputs;

    const container: WebContainer = {
      port: this.web.port ?? 8080,
      cpu: this.web.cpu ?? 1024,
      memory: this.web.memory ?? 2048,
      healthCheckPath: this.web.healthCheckPath ?? "/health",
      minInstances: this.web.minInstances ?? 1,
      maxInstances: this.web.maxInstances ?? 2,
      environment: this.web.environment ?? {},
      secrets: this.web.secrets ?? {},
    };
    // Nothing to secure yet: no service runs and no database waits for one.
    if (!deployService && !this.database) return outputs;
    const serviceGroup = new SecurityGroup(this, "service-security-group", {
      name: `${names.ecsService.name}-svc`,
      description: `${tenant.slug} ${tenant.stage}: the service's outbound traffic`,
      vpcId: env.vpcId,
    });
    new VpcSecurityGroupEgressRule(this, "egress-https", {
      securityGroupId: serviceGroup.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      description: "HTTPS to AWS APIs and the internet",
    });
    let databaseSecretArn: string | undefined;
    if (this.database) {
      new VpcSecurityGroupEgressRule(this, "egress-postgres", {
        securityGroupId: serviceGroup.id,
        cidrIpv4: env.vpcCidr,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        description: "PostgreSQL inside the VPC",
      });
      const db = new AuroraDatabase(this, "database", {
        name: names.databaseCluster.name,
        vpcId: env.vpcId,
        subnetIds: env.privateSubnetIds,
        clientSecurityGroupId: serviceGroup.id,
        kmsKeyArn: env.platformKeyArn,
        minCapacity: this.database.minCapacity,
        maxCapacity: this.database.maxCapacity,
        ephemeral,
      });
      databaseSecretArn = db.connectionSecretArn;
      outputs.connectionSecretArn = databaseSecretArn;
    }
    if (!deployService) return outputs;

    const imageIdentifier = `${repository.url}:${this.props.imageTag}`;
    outputs.imageIdentifier = imageIdentifier;
    const withDbSecret = databaseSecretArn ? { ...container, secrets: { ...container.secrets, DATABASE_SECRET: databaseSecretArn } } : container;
    const domain = serviceDnsNames(tenant.slug, tenant.zoneName).apex;
    if (this.props.compute.target === "appRunner") {
      const service = new AppRunnerService(this, "app-runner", {
        name: names.appRunnerService.name,
        imageIdentifier,
        container: withDbSecret,
        instanceRoleArn: roles.execution,
        accessRoleArn: roles.ecrAccess,
        kmsKeyArn: env.platformKeyArn,
        vpcEgress: this.database ? { subnetIds: env.privateSubnetIds, securityGroupIds: [serviceGroup.id] } : undefined,
      });
      outputs.serviceUrl = service.url;
      if (this.domain) {
        outputs.customDomainUrl = new AppRunnerCustomDomain(this, "custom-domain", {
          domainName: domain,
          www: this.domain.www ?? false,
          zoneId: env.zoneId,
          serviceArn: service.arn,
        }).url;
      }
    } else {
      const service = new EcsExpressService(this, "ecs-express", {
        name: names.ecsService.name,
        image: imageIdentifier,
        container: withDbSecret,
        executionRoleArn: roles.execution,
        infrastructureRoleArn: roles.infrastructure,
        subnetIds: env.privateSubnetIds,
        securityGroupIds: [serviceGroup.id],
        logGroupName: `${names.logGroupPrefix.name}web`,
        kmsKeyArn: env.platformKeyArn,
      });
      skipCheck(serviceGroup, "CKV2_AWS_5", "attached through the ECS Express service's network_configuration, which the scanner does not follow");
      outputs.serviceUrl = service.url;
      if (this.domain) {
        outputs.customDomainUrl = new CertificateCustomDomain(this, "custom-domain", {
          domainName: domain,
          www: this.domain.www ?? false,
          zoneId: env.zoneId,
          target: service.endpoint,
        }).url;
      }
    }
    return outputs;
  }

  private assertOpen(method: string): void {
    if (this.built) throw new Error(`${method}() after build(): the service ${this.node.id} is already built.`);
  }
}
