import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { TerraformOutput, TerraformStack } from "cdktf";
import { skipCheck } from "../checks";
import { Problems, ValidationError, isUnresolved } from "../errors";
import { LimitedName, limitProblem, overLimit, serviceSecretName, serviceStageNames } from "../naming";
import { TenantScope } from "../policy/tenant";
import { AuroraDatabase } from "./aurora-database";
import { Compute } from "./compute";
import { EcrRepository } from "./ecr-repository";
import {
  CUSTOM_DOMAIN_DEFAULTS,
  CustomDomainOptions,
  DATABASE_SECRET_VARIABLE,
  DatabaseOptions,
  ENVIRONMENT_VARIABLE_PATTERN,
  IMAGE_TAG_PATTERN,
  SERVICE_DEFAULTS,
  WEB_SERVICE_DEFAULTS,
  WebServiceOptions,
  databaseProblems,
  formatOptionProblem,
  serviceOptionProblems,
  webServiceProblems,
} from "./service-options";
import { WebContainer } from "./web-container";

/** What a service needs from its stage's environment (read through the contract). */
export interface ServiceEnvironment {
  /** The stage's private subnets: the service's tasks and its database live there. */
  readonly privateSubnetIds: string[];
  /** The stage's hosted zone, where a custom domain's records go. */
  readonly zoneId: string;
  /** The stage's platform key: images, secrets, logs and the database are encrypted with it. */
  readonly platformKeyArn: string;
  /** The security group onboarding made for the service's compute. */
  readonly serviceSecurityGroupId: string;
  /** The security group onboarding made for the service's database (admits the service's group). */
  readonly databaseSecurityGroupId: string;
  /**
   * The App Runner VPC connector onboarding made for the service. Required for App Runner with a
   * database; a function is called only then (onboarding publishes a connector for those services only).
   * @default none: App Runner services without a database use public egress; with one, build() refuses
   */
  readonly vpcConnectorArn?: string | (() => string);
}

/** How a service is built. */
export interface AppsPlatformAppProps {
  /** The service in its stage: slug, stage, account, Region and zone, from which every name and role comes. */
  readonly tenant: TenantScope;
  /** Where it runs: `Compute.ecsExpress()` or `Compute.appRunner()`. */
  readonly compute: Compute;
  /** What the stage's environment offers the service. */
  readonly environment: ServiceEnvironment;
  /** false: only the repository and what needs no image; true: the service runs `imageTag`. @default false (SERVICE_DEFAULTS.deployService) */
  readonly deployService?: boolean;
  /** The image tag to run; required with deployService. @default none: nothing runs (deployService must be false) */
  readonly imageTag?: string;
  /** A short-lived stage: no deletion protection, repositories deleted with their images. @default false (SERVICE_DEFAULTS.ephemeral) */
  readonly ephemeral?: boolean;
  /** build() also makes the stack's outputs (`repository_url`, `service_url`, ...), described. @default false: build() only returns them */
  readonly exportOutputs?: boolean;
}

/** Secret names: letters, digits, `-` and `_`, so that the name stays inside the service's prefix. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A secret of the service's own (withSecret). */
export interface SecretOptions {
  /** The environment variable the container reads the secret from. @default none: the secret is only created */
  readonly environmentVariable?: string;
  /** The secret's description. @default "<name> of <slug> in <stage>" */
  readonly description?: string;
  /**
   * The value, as a write-only attribute: Terraform sends it to AWS and keeps it in neither state nor
   * plan. Pass an ephemeral, sensitive variable. @default none: set the value out of band
   * (`aws secretsmanager put-secret-value`), and Terraform never sees it
   */
  readonly writeOnlyValue?: string;
  /** Raise it to send a new writeOnlyValue. @default 1 (with writeOnlyValue; refused without it) */
  readonly writeOnlyVersion?: number;
}

/** What a built service exposes. */
export interface AppsPlatformAppOutputs {
  /** Where the service's images are pushed. */
  readonly repositoryUrl: string;
  /** The service's own URL. @default none: until deployService is true */
  readonly serviceUrl?: string;
  /** The service under its name in the stage zone. @default none: without withCustomDomain(), or until deployService is true */
  readonly customDomainUrl?: string;
  /** The image the service runs, `<repository URL>:<tag>`. @default none: until deployService is true */
  readonly imageIdentifier?: string;
  /** The ARN (not the value) of the database's master secret. @default none: without withDatabase() */
  readonly connectionSecretArn?: string;
  /** The ARN of each secret made with withSecret(), by its name. */
  readonly secretArns: Record<string, string>;
}

/**
 * A service on the platform, described fluently:
 * `new AppsPlatformApp(stack, "payments-api", props).withWebService({ port: 8080 }).withDatabase().withCustomDomain().build()`.
 * Nothing is created before build(), which checks every option first and throws one ValidationError
 * listing every problem. The compute target creates the service itself (`Compute.bind`).
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

  /** A web container: what the service runs. */
  public withWebService(options: WebServiceOptions = {}): this {
    this.assertOpen("withWebService");
    this.web = options;
    return this;
  }

  /** An Aurora Serverless v2 PostgreSQL cluster of the service's own; needs withWebService(). */
  public withDatabase(options: DatabaseOptions = {}): this {
    this.assertOpen("withDatabase");
    this.database = options;
    return this;
  }

  /** The service under `<slug>.<zone>`; needs withWebService() and a compute target that serves one. */
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
    if (this.secrets.has(name)) throw new ValidationError(`withSecret("${name}") is given twice: each secret has one name`, this);
    this.secrets.set(name, options);
    return this;
  }

  /** Checks every option at once (a ValidationError lists each problem), then creates the service. */
  public build(): AppsPlatformAppOutputs {
    this.assertOpen("build");
    this.built = true;
    this.validate();
    const outputs = this.create();
    if (this.props.exportOutputs) this.exportStackOutputs(outputs);
    return outputs;
  }

  private validate(): void {
    const { compute, environment } = this.props;
    const deployService = this.props.deployService ?? SERVICE_DEFAULTS.deployService;
    const problems = new Problems();
    const options = { compute: compute.target, deployService, image: this.props.imageTag, web: this.web, database: this.database, customDomain: this.domain };
    problems.addAll(serviceOptionProblems(options, environment).map(formatOptionProblem));
    problems.check("imageTag", this.props.imageTag, (t) => IMAGE_TAG_PATTERN.test(t), `must be an image tag (${IMAGE_TAG_PATTERN.source})`);
    if (this.web) problems.addAll(webServiceProblems(this.web));
    if (this.database) problems.addAll(databaseProblems(this.database));
    const variables = new Map<string, string>([
      ...Object.keys(this.web?.environment ?? {}).map((v): [string, string] => [v, `web.environment.${v}`]),
      ...Object.keys(this.web?.secrets ?? {}).map((v): [string, string] => [v, `web.secrets.${v}`]),
    ]);
    if (this.database) variables.set(DATABASE_SECRET_VARIABLE, "the database's secret");
    for (const [name, options] of this.secrets) {
      problems.check(`withSecret("${name}")`, name, (n) => SECRET_NAME_PATTERN.test(n), `must be 1–64 letters, digits, "-" or "_" (${SECRET_NAME_PATTERN.source})`);
      problems.check(`withSecret("${name}").environmentVariable`, options.environmentVariable, (v) => ENVIRONMENT_VARIABLE_PATTERN.test(v), 'must be a variable name (letters, digits, "_", not starting with a digit or AWS_)');
      const variable = options.environmentVariable;
      if (variable !== undefined && !isUnresolved(variable)) {
        const taken = variables.get(variable);
        if (taken) problems.add(`withSecret("${name}").environmentVariable must be a variable nothing else sets, already set by ${taken}, got ${JSON.stringify(variable)}`);
        else variables.set(variable, `withSecret("${name}")`);
      }
      if (options.writeOnlyVersion !== undefined && options.writeOnlyValue === undefined) {
        problems.add(`withSecret("${name}").writeOnlyVersion needs writeOnlyValue, got ${options.writeOnlyVersion}`);
      }
    }
    // A config's slugs and stages are measured by the config loader; a service built in code is measured here.
    problems.addAll(overLimit(this.namesToCreate()).map((n) => `tenant.slug and tenant.stage make ${limitProblem(n)}`));
    problems.throwIfAny(this);
  }

  /** Every name build() gives a resource, with its AWS limit. */
  private namesToCreate(): LimitedName[] {
    const { slug, stage } = this.props.tenant;
    const n = serviceStageNames(slug, stage);
    const names: LimitedName[] = [n.ecrRepository, ...[...this.secrets.keys()].map((name) => serviceSecretName(slug, stage, name))];
    if (this.web && this.database) names.push(n.databaseCluster, n.databaseInstance, n.databaseSubnetGroup, n.databaseParameterGroup, n.finalSnapshot);
    if (this.web && (this.props.deployService ?? SERVICE_DEFAULTS.deployService)) names.push(...this.props.compute.names(this.props.tenant));
    return names;
  }

  private create(): AppsPlatformAppOutputs {
    const { tenant, environment: env } = this.props;
    const deployService = this.props.deployService ?? SERVICE_DEFAULTS.deployService;
    const ephemeral = this.props.ephemeral ?? SERVICE_DEFAULTS.ephemeral;
    const names = serviceStageNames(tenant.slug, tenant.stage);
    const repository = new EcrRepository(this, "repository", { name: names.ecrRepository.name, kmsKeyArn: env.platformKeyArn, forceDelete: ephemeral });
    const outputs: { -readonly [K in keyof AppsPlatformAppOutputs]: AppsPlatformAppOutputs[K] } = { repositoryUrl: repository.url, secretArns: {} };
    const secretVariables: Record<string, string> = {};
    for (const [name, options] of this.secrets) {
      const secret = new SecretsmanagerSecret(this, `secret-${name}`, {
        name: serviceSecretName(tenant.slug, tenant.stage, name).name,
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

    let databaseSecretArn: string | undefined;
    if (this.database) {
      const db = new AuroraDatabase(this, "database", {
        names: {
          cluster: names.databaseCluster,
          instance: names.databaseInstance,
          subnetGroup: names.databaseSubnetGroup,
          parameterGroup: names.databaseParameterGroup,
          finalSnapshot: names.finalSnapshot,
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
    const binding = this.props.compute.bind(this, {
      tenant,
      environment: env,
      imageIdentifier,
      container: webContainer(this.web, { ...secretVariables, ...(databaseSecretArn ? { [DATABASE_SECRET_VARIABLE]: databaseSecretArn } : {}) }),
      database: this.database !== undefined,
      customDomain: this.domain ? { www: this.domain.www ?? CUSTOM_DOMAIN_DEFAULTS.www } : undefined,
    });
    outputs.serviceUrl = binding.serviceUrl;
    if (binding.customDomainUrl !== undefined) outputs.customDomainUrl = binding.customDomainUrl;
    return outputs;
  }

  /** The stack's outputs of a built service, each described; an output whose value is absent is not made. */
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
    if (this.built) throw new ValidationError(`${method}() after build(): the service ${this.node.id} is already built.`, this);
  }
}

/** The container of a web service: its options with WEB_SERVICE_DEFAULTS where they leave something out. */
export function webContainer(web: WebServiceOptions, extraSecrets: Record<string, string> = {}): WebContainer {
  const d = WEB_SERVICE_DEFAULTS;
  return {
    port: web.port ?? d.port,
    cpu: web.cpu ?? d.cpu,
    memory: web.memory ?? d.memory,
    healthCheckPath: web.healthCheckPath ?? d.healthCheckPath,
    minInstances: web.minInstances ?? d.minInstances,
    maxInstances: web.maxInstances ?? d.maxInstances,
    environment: web.environment ?? {},
    secrets: { ...(web.secrets ?? {}), ...extraSecrets },
  };
}
