import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { TerraformOutput, TerraformStack, Token } from "cdktf";
import { skipCheck } from "../checks";
import { serviceOptionProblems } from "./service-options";
import { serviceDnsNames, serviceStageNames } from "../naming";
import { ECS_CLUSTER, TenantScope, tenantRoleArns } from "../policy/tenant";
import { AppRunnerService } from "./app-runner-service";
import { AuroraDatabase } from "./aurora-database";
import { Compute } from "./compute";
import { AppRunnerCustomDomain } from "./custom-domain";
import { EcrRepository } from "./ecr-repository";
import { EcsExpressService } from "./ecs-express-service";
import { WebContainer } from "./web-container";

/** What a service needs from its stage's environment (read through the contract). */
export interface ServiceEnvironment {
  readonly privateSubnetIds: string[];
  readonly zoneId: string;
  readonly platformKeyArn: string;
  /** The security group onboarding made for the service's compute. */
  readonly serviceSecurityGroupId: string;
  /** The security group onboarding made for the service's database (admits the service's group). */
  readonly databaseSecurityGroupId: string;
  /**
   * The App Runner VPC connector onboarding made for the service. Required for App Runner with a
   * database; a function is called only then (onboarding publishes a connector for those services only).
   * @default none
   */
  readonly vpcConnectorArn?: string | (() => string);
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
  /** build() also makes the stack's outputs (`repository_url`, `service_url`, ...), described. @default false */
  readonly exportOutputs?: boolean;
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

/** Secret names: letters, digits, `-` and `_`, so that the name stays inside the service's prefix. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface SecretOptions {
  /** The environment variable the container reads the secret from. @default none: the secret is only created */
  readonly environmentVariable?: string;
  /** @default "<name> of <slug> in <stage>" */
  readonly description?: string;
  /**
   * The value, as a write-only attribute: Terraform sends it to AWS and keeps it in neither state nor
   * plan. Pass an ephemeral, sensitive variable. @default none: set the value out of band
   * (`aws secretsmanager put-secret-value`), and Terraform never sees it
   */
  readonly writeOnlyValue?: string;
  /** Raise it to send a new writeOnlyValue. @default 1 */
  readonly writeOnlyVersion?: number;
}

/** What a built service exposes; undefined until `deployService` is true. */
export interface AppsPlatformAppOutputs {
  readonly repositoryUrl: string;
  readonly serviceUrl?: string;
  readonly customDomainUrl?: string;
  readonly imageIdentifier?: string;
  readonly connectionSecretArn?: string;
  /** The ARN of each secret made with withSecret(), by its name. */
  readonly secretArns: Record<string, string>;
}

const resolveConnector = (arn: string | (() => string) | undefined): string | undefined => (typeof arn === "function" ? arn() : arn);

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
  private readonly secrets = new Map<string, SecretOptions>();
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

  /**
   * A secret of the service's own, `apps-platform/services/<stage>/<slug>/<name>`, encrypted with the
   * platform key. Only this service's deploy role can manage it and only its execution role can read
   * it. Its value never passes through Terraform state: it is set out of band, or as a write-only value.
   */
  public withSecret(name: string, options: SecretOptions = {}): this {
    this.assertOpen("withSecret");
    if (this.secrets.has(name)) throw new ServiceOptionsError([`withSecret("${name}") is given twice: each secret has one name`]);
    this.secrets.set(name, options);
    return this;
  }

  /** Validates every option at once (a ServiceOptionsError lists each problem), then creates the service. */
  public build(): AppsPlatformAppOutputs {
    const outputs = this.buildService();
    if (this.props.exportOutputs) this.exportStackOutputs(outputs);
    return outputs;
  }

  private buildService(): AppsPlatformAppOutputs {
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
    const messages = problems.map((p) => `${p.path.join(".")} ${p.message}, got ${JSON.stringify(p.given)}`);
    for (const [name, options] of this.secrets) {
      if (!Token.isUnresolved(name) && !SECRET_NAME_PATTERN.test(name)) {
        messages.push(`withSecret("${name}") must be 1–64 letters, digits, "-" or "_" (${SECRET_NAME_PATTERN.source}), got ${JSON.stringify(name)}`);
      }
      if (options.environmentVariable !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.environmentVariable)) {
        messages.push(`withSecret("${name}").environmentVariable must be a variable name (letters, digits, "_"), got ${JSON.stringify(options.environmentVariable)}`);
      }
      if (options.writeOnlyVersion !== undefined && options.writeOnlyValue === undefined) {
        messages.push(`withSecret("${name}").writeOnlyVersion needs writeOnlyValue, got ${options.writeOnlyVersion}`);
      }
    }
    if (this.props.compute.target === "appRunner" && this.database && deployService && !env.vpcConnectorArn) {
      messages.push("environment.vpcConnectorArn is required for an App Runner service with a database (its egress to the database), got undefined");
    }
    if (messages.length > 0) throw new ServiceOptionsError(messages);

    const names = serviceStageNames(tenant.slug, tenant.stage);
    const roles = tenantRoleArns(tenant);
    const repository = new EcrRepository(this, "repository", { name: names.ecrRepository.name, kmsKeyArn: env.platformKeyArn, forceDelete: ephemeral });
    const outputs: { -readonly [K in keyof AppsPlatformAppOutputs]: AppsPlatformAppOutputs[K] } = { repositoryUrl: repository.url, secretArns: {} };
    const secretVariables: Record<string, string> = {};
    for (const [name, options] of this.secrets) {
      const secret = new SecretsmanagerSecret(this, `secret-${name}`, {
        name: `${names.secretPrefix.name}${name}`,
        description: options.description ?? `${name} of ${tenant.slug} in ${tenant.stage}`,
        kmsKeyId: env.platformKeyArn,
        recoveryWindowInDays: ephemeral ? 0 : 30,
      });
      skipCheck(secret, "CKV2_AWS_57", "an application secret (an API key of another system) has no rotation function the platform could provide");
      if (options.writeOnlyValue !== undefined) {
        new SecretsmanagerSecretVersion(this, `secret-${name}-value`, {
          secretId: secret.id,
          secretStringWo: options.writeOnlyValue,
          secretStringWoVersion: options.writeOnlyVersion ?? 1,
        });
      }
      outputs.secretArns[name] = secret.arn;
      if (options.environmentVariable) secretVariables[options.environmentVariable] = secret.arn;
    }
    if (!this.web) return outputs;

    const container: WebContainer = {
      port: this.web.port ?? 8080,
      cpu: this.web.cpu ?? 1024,
      memory: this.web.memory ?? 2048,
      healthCheckPath: this.web.healthCheckPath ?? "/health",
      minInstances: this.web.minInstances ?? 1,
      maxInstances: this.web.maxInstances ?? 2,
      environment: this.web.environment ?? {},
      secrets: { ...(this.web.secrets ?? {}), ...secretVariables },
    };
    let databaseSecretArn: string | undefined;
    if (this.database) {
      const db = new AuroraDatabase(this, "database", {
        names: {
          cluster: names.databaseCluster.name,
          instance: names.databaseInstance.name,
          subnetGroup: names.databaseSubnetGroup.name,
          parameterGroup: names.databaseParameterGroup.name,
          finalSnapshot: names.finalSnapshot.name,
        },
        subnetIds: env.privateSubnetIds,
        securityGroupId: env.databaseSecurityGroupId,
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
        autoScalingName: names.autoScaling.name,
        imageIdentifier,
        container: withDbSecret,
        instanceRoleArn: roles.execution,
        accessRoleArn: roles.ecrAccess,
        kmsKeyArn: env.platformKeyArn,
        vpcConnectorArn: this.database ? resolveConnector(env.vpcConnectorArn) : undefined,
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
        cluster: ECS_CLUSTER,
        image: imageIdentifier,
        container: withDbSecret,
        executionRoleArn: roles.execution,
        infrastructureRoleArn: roles.infrastructure,
        subnetIds: env.privateSubnetIds,
        securityGroupIds: [env.serviceSecurityGroupId],
        logGroupName: `${names.logGroupPrefix.name}web`,
        kmsKeyArn: env.platformKeyArn,
      });
      outputs.serviceUrl = service.url;
    }
    return outputs;
  }

  /** The stack's outputs of a built service, each described. */
  private exportStackOutputs(outputs: AppsPlatformAppOutputs): void {
    const stack = TerraformStack.of(this);
    const out = (id: string, value: string | undefined, description: string) => value !== undefined && new TerraformOutput(stack, id, { value, description });
    out("repository_url", outputs.repositoryUrl, "Push the service's images here.");
    out("service_url", outputs.serviceUrl, "The service's own URL.");
    out("custom_domain_url", outputs.customDomainUrl, "The service under its name in the stage zone.");
    out("image_identifier", outputs.imageIdentifier, "The image the service runs.");
    out("connection_secret_arn", outputs.connectionSecretArn, "The ARN (not the value) of the database's master secret.");
  }

  private assertOpen(method: string): void {
    if (this.built) throw new Error(`${method}() after build(): the service ${this.node.id} is already built.`);
  }
}
