import { Construct } from "constructs";
import { ValidationError } from "../errors";
import { LimitedName, serviceDnsNames, serviceLogGroupName, serviceStageNames } from "../naming";
import { ECS_CLUSTER, TenantScope, tenantRoleArns } from "../policy/tenant";
import { AppRunnerService } from "./app-runner-service";
import { AppRunnerCustomDomain } from "./custom-domain";
import { EcsExpressService } from "./ecs-express-service";
import type { ServiceEnvironment } from "./apps-platform-app";
import type { ComputeTarget, OptionProblem } from "./service-options";
import type { WebContainer } from "./web-container";

/** The memory sizes (MiB) each CPU size (units) allows, per compute target. */
export const CPU_MEMORY: Record<ComputeTarget, Record<number, number[]>> = {
  // App Runner: 0.25, 0.5, 1, 2 and 4 vCPU with their memory sizes.
  appRunner: { 256: [512, 1024], 512: [1024], 1024: [2048, 3072, 4096], 2048: [4096, 6144], 4096: [8192, 10240, 12288] },
  // Fargate, which ECS Express Mode runs on.
  ecsExpress: {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
  },
};

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

/** What a compute target checks before the builder creates anything. */
export interface ComputeRequest {
  /** The web container's CPU units. @default none: no web service, nothing to size */
  readonly cpu?: number;
  /** The web container's memory in MiB. @default none: no web service, nothing to size */
  readonly memory?: number;
  /** A custom domain is asked for. @default false */
  readonly customDomain?: boolean;
  /** A database is attached to the service. @default false */
  readonly database?: boolean;
  /** The service runs an image (the second phase of the rollout). @default false */
  readonly deployService?: boolean;
  /**
   * What the stage's environment offers, when it is known (in code; a config does not know it).
   * @default none: what the target needs from the environment is not checked
   */
  readonly environment?: ServiceEnvironment;
}

/** What the builder gives a compute target to run the service on. */
export interface ComputeBindOptions {
  /** The service in its stage: its names and roles. */
  readonly tenant: TenantScope;
  /** What the stage's environment offers the service. */
  readonly environment: ServiceEnvironment;
  /** The image to run, `<repository URL>:<tag>`. */
  readonly imageIdentifier: string;
  /** The container, every default resolved, every secret included. */
  readonly container: WebContainer;
  /** A database is attached: the service's egress must reach the VPC. @default false */
  readonly database?: boolean;
  /**
   * Serve the service under `<slug>.<zone>` (and `www.` with `www`). A target that cannot serve one
   * refuses it (see Compute.customDomainRefusal). @default none: no custom domain
   */
  readonly customDomain?: {
    /** Also serve `www.<slug>.<zone>`. */
    readonly www: boolean;
  };
}

/** What a compute target made, for the builder's outputs. */
export interface ComputeBinding {
  /** The service's own URL, `https://...`. */
  readonly serviceUrl: string;
  /** The custom domain's URL. @default none: no custom domain was asked for */
  readonly customDomainUrl?: string;
}

/**
 * Where a service runs. Pick with the static factories (as aws-cdk's App Runner `Source.fromEcr()`
 * returns an `EcrSource`); each target checks the options it can run, names its resources and, in
 * `bind()`, creates them, so the service builder only composes.
 */
export abstract class Compute {
  /**
   * AWS App Runner: the simplest target, for accounts that already use it. App Runner accepts no new
   * customers since 2026-04-30.
   */
  public static appRunner(): AppRunnerCompute {
    return new AppRunnerCompute();
  }

  /** ECS Express Mode (`aws_ecs_express_gateway_service`): Fargate behind a load balancer ECS manages. */
  public static ecsExpress(): EcsExpressCompute {
    return new EcsExpressCompute();
  }

  /** The target a config names (`compute: appRunner | ecsExpress`). */
  public static of(target: ComputeTarget): Compute {
    if (target === "appRunner") return Compute.appRunner();
    if (target === "ecsExpress") return Compute.ecsExpress();
    throw new ValidationError(`compute must be one of "appRunner", "ecsExpress", got ${JSON.stringify(target)}`);
  }

  /** The target's name, as a config spells it. */
  public abstract readonly target: ComputeTarget;

  /** Why the target cannot serve a custom domain; undefined when it can. */
  public abstract readonly customDomainRefusal?: string;

  /** The memory sizes (MiB) each CPU size (units) allows on this target. */
  public get cpuMemory(): Readonly<Record<number, readonly number[]>> {
    return CPU_MEMORY[this.target];
  }

  /** The problems of a service's options on this target, before anything is created. */
  public optionProblems(request: ComputeRequest): OptionProblem[] {
    const problems: OptionProblem[] = [];
    const sizes = this.cpuMemory;
    if (request.cpu !== undefined && !sizes[request.cpu]) {
      problems.push({ path: ["web", "cpu"], message: `must be one of ${Object.keys(sizes).join(", ")} on ${this.target}`, given: request.cpu });
      // The memory is still checked against every size the target has, so that both mistakes are reported at once.
      const anyMemory = [...new Set(Object.values(sizes).flat())].sort((a, b) => a - b);
      if (request.memory !== undefined && !anyMemory.includes(request.memory)) {
        problems.push({ path: ["web", "memory"], message: `must be one of ${anyMemory.join(", ")} on ${this.target} (which of them depends on cpu)`, given: request.memory });
      }
    } else if (request.cpu !== undefined && request.memory !== undefined && !sizes[request.cpu].includes(request.memory)) {
      problems.push({ path: ["web", "memory"], message: `must be one of ${sizes[request.cpu].join(", ")} with cpu ${request.cpu} on ${this.target}`, given: request.memory });
    }
    if (request.customDomain && this.customDomainRefusal) {
      problems.push({ path: ["customDomain"], message: `is not available on ${this.target}: ${this.customDomainRefusal}`, given: "customDomain" });
    }
    return problems;
  }

  /** The names this target gives the service's resources in its stage, each with its AWS limit. */
  public abstract names(tenant: TenantScope): LimitedName[];

  /** Creates the service's compute in `scope` and returns what the builder needs of it. */
  public abstract bind(scope: Construct, options: ComputeBindOptions): ComputeBinding;
}

/** App Runner: the service with its scaling configuration, and App Runner's own certificate for a custom domain. */
export class AppRunnerCompute extends Compute {
  public readonly target = "appRunner" as const;
  public readonly customDomainRefusal = undefined;

  public optionProblems(request: ComputeRequest): OptionProblem[] {
    const problems = super.optionProblems(request);
    if (request.database && request.deployService && request.environment && !request.environment.vpcConnectorArn) {
      problems.push({ path: ["environment", "vpcConnectorArn"], message: "is required for an App Runner service with a database (its egress to the database)", given: undefined });
    }
    return problems;
  }

  public names(tenant: TenantScope): LimitedName[] {
    const n = serviceStageNames(tenant.slug, tenant.stage);
    return [n.appRunnerService, n.autoScaling];
  }

  public bind(scope: Construct, o: ComputeBindOptions): ComputeBinding {
    const names = serviceStageNames(o.tenant.slug, o.tenant.stage);
    const roles = tenantRoleArns(o.tenant);
    const connector = o.environment.vpcConnectorArn;
    const service = new AppRunnerService(scope, "app-runner", {
      name: names.appRunnerService.name,
      autoScalingName: names.autoScaling.name,
      imageIdentifier: o.imageIdentifier,
      container: o.container,
      instanceRoleArn: roles.execution,
      accessRoleArn: roles.ecrAccess,
      kmsKeyArn: o.environment.platformKeyArn,
      // Read only with a database: onboarding publishes a connector for App Runner services only.
      vpcConnectorArn: o.database ? (typeof connector === "function" ? connector() : connector) : undefined,
    });
    if (!o.customDomain) return { serviceUrl: service.url };
    const domain = new AppRunnerCustomDomain(scope, "custom-domain", {
      domainName: serviceDnsNames(o.tenant.slug, o.tenant.zoneName).apex,
      www: o.customDomain.www,
      zoneId: o.environment.zoneId,
      serviceArn: service.arn,
    });
    return { serviceUrl: service.url, customDomainUrl: domain.url };
  }
}

/** ECS Express Mode: Fargate tasks in the private subnets behind a load balancer ECS manages. */
export class EcsExpressCompute extends Compute {
  public readonly target = "ecsExpress" as const;
  /**
   * ECS manages the load balancer's listener and its certificate, and `aws_ecs_express_gateway_service`
   * (hashicorp/aws 6.25) takes no certificate: a name in the stage zone would answer with ECS's own.
   */
  public readonly customDomainRefusal =
    "ECS Express Mode's load balancer serves only its own certificate; use compute: appRunner for a custom domain, or remove customDomain";

  public names(tenant: TenantScope): LimitedName[] {
    return [serviceStageNames(tenant.slug, tenant.stage).ecsService, serviceLogGroupName(tenant.slug, tenant.stage, "web")];
  }

  public bind(scope: Construct, o: ComputeBindOptions): ComputeBinding {
    if (o.customDomain) throw new ValidationError(`customDomain is not available on ecsExpress: ${this.customDomainRefusal}`, scope);
    const roles = tenantRoleArns(o.tenant);
    const service = new EcsExpressService(scope, "ecs-express", {
      name: serviceStageNames(o.tenant.slug, o.tenant.stage).ecsService.name,
      cluster: ECS_CLUSTER,
      image: o.imageIdentifier,
      container: o.container,
      executionRoleArn: roles.execution,
      infrastructureRoleArn: roles.infrastructure,
      subnetIds: o.environment.privateSubnetIds,
      securityGroupIds: [o.environment.serviceSecurityGroupId],
      logGroupName: serviceLogGroupName(o.tenant.slug, o.tenant.stage, "web").name,
      kmsKeyArn: o.environment.platformKeyArn,
    });
    return { serviceUrl: service.url };
  }
}
