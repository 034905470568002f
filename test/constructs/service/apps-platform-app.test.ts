import { Testing, TerraformStack, Token } from "cdktf";
import { AppsPlatformApp, AppsPlatformAppOutputs, AppsPlatformAppProps, WEB_SERVICE_DEFAULTS } from "@acme/apps-platform-constructs/service";
import { ValidationError } from "@acme/apps-platform-constructs/errors";
import { Compute } from "@acme/apps-platform-constructs/service";
import { appRunnerValidationRecordCount } from "@acme/apps-platform-constructs/service";
import { TfJson, resourcesOf } from "../../helpers";

const tenant = { partition: "aws", region: "eu-central-1", accountId: "222222222222", slug: "orders", stage: "dev", zoneName: "dev.apps.acme.example" };
const environment = {
  privateSubnetIds: ["subnet-a", "subnet-b"],
  serviceSecurityGroupId: "sg-0service",
  databaseSecurityGroupId: "sg-0database",
  vpcConnectorArn: "arn:aws:apprunner:eu-central-1:222222222222:vpcconnector/orders-dev/1/abc",
  zoneId: "Z0DEV",
  platformKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/1111",
};

interface Built {
  readonly json: TfJson;
  readonly outputs: AppsPlatformAppOutputs;
}

function build(props: Partial<AppsPlatformAppProps>, configure: (app: AppsPlatformApp) => AppsPlatformApp): Built {
  const stack = new TerraformStack(Testing.app(), "service");
  const app = configure(
    new AppsPlatformApp(stack, "orders", { tenant, environment, compute: Compute.ecsExpress(), deployService: true, imageTag: "1.0.0", ...props }),
  );
  const outputs = app.build();
  return { json: JSON.parse(Testing.synth(stack)) as TfJson, outputs };
}

function thrown(f: () => unknown): ValidationError {
  try {
    f();
  } catch (err) {
    return err as ValidationError;
  }
  throw new Error("expected a throw");
}

const types = (json: TfJson) => Object.keys(json.resource ?? {}).sort();
const one = (json: TfJson, type: string) => {
  const all = resourcesOf(json, type) as Record<string, any>[];
  expect(all).toHaveLength(1);
  return all[0];
};

describe("AppsPlatformApp", () => {
  describe.each([
    ["appRunner", Compute.appRunner(), "aws_apprunner_service", [false, true]],
    ["ecsExpress", Compute.ecsExpress(), "aws_ecs_express_gateway_service", [false]],
  ] as const)("on %s", (_, compute, serviceType, domains) => {
    it.each(domains.flatMap((d) => [[false, d], [true, d]]))("with database %s and custom domain %s creates the service on the tagged image, with every output", (withDb, withDomain) => {
      const { json, outputs } = build({ compute }, (app) => {
        app.withWebService({ port: 3000, environment: { LOG_LEVEL: "info" } });
        if (withDb) app.withDatabase();
        if (withDomain) app.withCustomDomain();
        return app;
      });
      expect(types(json)).toEqual(expect.arrayContaining(["aws_ecr_repository", "aws_ecr_lifecycle_policy", serviceType]));
      expect(resourcesOf(json, "aws_rds_cluster")).toHaveLength(withDb ? 1 : 0);
      expect(outputs.serviceUrl).toMatch(/^https:\/\/\$\{/);
      expect(outputs.imageIdentifier).toMatch(/:1\.0\.0$/);
      expect(outputs.connectionSecretArn === undefined).toBe(!withDb);
      expect(outputs.customDomainUrl).toBe(withDomain ? "https://orders.dev.apps.acme.example" : undefined);
      const records = resourcesOf(json, "aws_route53_record") as Record<string, any>[];
      expect(records.filter((r) => r.type === "CNAME" && r.name === "orders.dev.apps.acme.example")).toHaveLength(withDomain ? 1 : 0);
    });
  });

  it("builds an App Runner service with the execution role as instance role and the ECR access role to pull", () => {
    const { json } = build({ compute: Compute.appRunner() }, (app) => app.withWebService({ cpu: 1024, memory: 3072, healthCheckPath: "/ready" }));
    const service = one(json, "aws_apprunner_service");
    expect(service.instance_configuration).toEqual({
      cpu: "1024",
      memory: "3072",
      instance_role_arn: "arn:aws:iam::222222222222:role/apps-platform/execution/orders-dev-exec",
    });
    expect(service.source_configuration.authentication_configuration.access_role_arn).toBe("arn:aws:iam::222222222222:role/apps-platform/ecr-access/orders-dev-ecr");
    expect(service.source_configuration.auto_deployments_enabled).toBe(false);
    expect(service.health_check_configuration).toEqual({ protocol: "HTTP", path: "/ready" });
    expect(service.encryption_configuration.kms_key).toBe(environment.platformKeyArn);
    expect(service.network_configuration.egress_configuration.egress_type).toBe("DEFAULT");
    expect(one(json, "aws_apprunner_auto_scaling_configuration_version")).toMatchObject({ min_size: 1, max_size: 2 });
  });

  it("routes App Runner's egress through the VPC connector onboarding made when a database is attached, and makes no network object itself", () => {
    const { json } = build({ compute: Compute.appRunner() }, (app) => app.withWebService().withDatabase());
    expect(one(json, "aws_apprunner_service").network_configuration.egress_configuration).toEqual({ egress_type: "VPC", vpc_connector_arn: environment.vpcConnectorArn });
    for (const type of ["aws_apprunner_vpc_connector", "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
      expect(resourcesOf(json, type)).toHaveLength(0);
    }
  });

  it("refuses an App Runner service with a database but no VPC connector to reach it", () => {
    expect(() => build({ compute: Compute.appRunner(), environment: { ...environment, vpcConnectorArn: undefined } }, (app) => app.withWebService().withDatabase())).toThrow(
      "environment.vpcConnectorArn is required for an App Runner service with a database",
    );
  });

  it("refuses a custom domain on ECS Express, whose load balancer serves only its own certificate", () => {
    expect(() => build({}, (app) => app.withWebService().withCustomDomain())).toThrow(/customDomain is not available on ecsExpress/);
  });

  it("makes each withSecret() a secret under the service's prefix with the platform key, its value never in the configuration", () => {
    const { json, outputs } = build({}, (app) =>
      app.withWebService().withSecret("stripe-key", { environmentVariable: "STRIPE_KEY" }).withSecret("webhook", { writeOnlyValue: "${var.webhook}", writeOnlyVersion: 2 }),
    );
    const secrets = resourcesOf(json, "aws_secretsmanager_secret") as Record<string, any>[];
    expect(secrets.map((s) => s.name).sort()).toEqual(["apps-platform/services/dev/orders/stripe-key", "apps-platform/services/dev/orders/webhook"]);
    for (const secret of secrets) expect(secret).toMatchObject({ kms_key_id: environment.platformKeyArn, recovery_window_in_days: 30 });
    const version = one(json, "aws_secretsmanager_secret_version");
    expect(version).toMatchObject({ secret_string_wo: "${var.webhook}", secret_string_wo_version: 2 });
    expect(version.secret_string).toBeUndefined();
    const container = one(json, "aws_ecs_express_gateway_service").primary_container[0];
    expect(container.secret).toEqual([{ name: "STRIPE_KEY", value_from: expect.stringMatching(/aws_secretsmanager_secret\.orders_secret-stripe-key.*\.arn/) }]);
    expect(Object.keys(outputs.secretArns).sort()).toEqual(["stripe-key", "webhook"]);
  });

  it.each([
    ["../other/x", {}, /withSecret\("\.\.\/other\/x"\) must be 1–64 letters/],
    ["ok", { environmentVariable: "1BAD" }, /environmentVariable must be a variable name/],
    ["ok", { writeOnlyVersion: 2 }, /writeOnlyVersion needs writeOnlyValue/],
  ])("refuses a secret %s that could leave the service's prefix or is half-specified", (name, options, message) => {
    expect(() => build({}, (app) => app.withWebService().withSecret(name, options))).toThrow(message);
  });

  it("refuses the same secret name twice rather than keeping one of them", () => {
    expect(() => build({}, (app) => app.withWebService().withSecret("key").withSecret("key", { environmentVariable: "KEY" }))).toThrow('withSecret("key") is given twice');
  });

  it("writes a known number of App Runner validation records, each one element of the association's set", () => {
    const { json } = build({ compute: Compute.appRunner() }, (app) => app.withWebService().withCustomDomain());
    const validation = (resourcesOf(json, "aws_route53_record") as Record<string, any>[]).filter((r) => r.allow_overwrite);
    expect(validation).toHaveLength(appRunnerValidationRecordCount(false));
    validation.forEach((r, i) => expect(r.name).toMatch(new RegExp(`^\\$\\{element\\(tolist\\(.*certificate_validation_records\\)\\), ${i}\\)\\.name\\}$`)));
    expect(one(json, "aws_apprunner_custom_domain_association").lifecycle.postcondition[0].condition).toBe(
      "${length(self.certificate_validation_records) == 3}",
    );
  });

  it("runs ECS Express tasks in the private subnets with the service's roles and a KMS-encrypted log group of its own", () => {
    const { json } = build({}, (app) => app.withWebService({ minInstances: 2, maxInstances: 4 }));
    const service = one(json, "aws_ecs_express_gateway_service");
    expect(service).toMatchObject({
      execution_role_arn: "arn:aws:iam::222222222222:role/apps-platform/execution/orders-dev-exec",
      infrastructure_role_arn: "arn:aws:iam::222222222222:role/apps-platform/infrastructure/orders-dev-infra",
      cluster: "default",
      network_configuration: [{ subnets: environment.privateSubnetIds, security_groups: [environment.serviceSecurityGroupId] }],
      scaling_target: [{ min_task_count: 2, max_task_count: 4 }],
    });
    expect(one(json, "aws_cloudwatch_log_group")).toMatchObject({ name: "/apps-platform/dev/orders/web", kms_key_id: environment.platformKeyArn });
  });

  it("keeps the database private to the service: its subnets, the group onboarding made for it, RDS-managed password", () => {
    const { json } = build({ ephemeral: false }, (app) => app.withWebService().withDatabase({ minCapacity: 0, maxCapacity: 4 }));
    const cluster = one(json, "aws_rds_cluster");
    expect(cluster).toMatchObject({
      engine: "aurora-postgresql",
      serverlessv2_scaling_configuration: { min_capacity: 0, max_capacity: 4 },
      manage_master_user_password: true,
      master_user_secret_kms_key_id: environment.platformKeyArn,
      storage_encrypted: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "orders-dev-final",
    });
    expect(cluster.master_password).toBeUndefined();
    expect(cluster.vpc_security_group_ids).toEqual([environment.databaseSecurityGroupId]);
    expect(one(json, "aws_db_subnet_group")).toMatchObject({ name: "orders-dev", subnet_ids: environment.privateSubnetIds });
    expect(one(json, "aws_rds_cluster_instance").identifier).toBe("orders-dev-1");
  });

  it("drops deletion protection and the final snapshot in ephemeral stages", () => {
    const { json } = build({ ephemeral: true }, (app) => app.withWebService().withDatabase());
    expect(one(json, "aws_rds_cluster")).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    expect(one(json, "aws_ecr_repository").force_delete).toBe(true);
  });

  it("creates only the repository before the first image, with no service outputs", () => {
    const { json, outputs } = build({ compute: Compute.appRunner(), deployService: false, imageTag: undefined }, (app) => app.withWebService().withCustomDomain());
    expect(types(json)).toEqual(["aws_ecr_lifecycle_policy", "aws_ecr_repository"]);
    expect(outputs).toEqual({ repositoryUrl: expect.any(String), secretArns: {} });
    expect(one(json, "aws_ecr_repository")).toMatchObject({
      name: "apps-platform/orders/dev",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: environment.platformKeyArn }],
    });
  });

  it.each([
    [Compute.appRunner(), { cpu: 1024, memory: 1024 }, "web.memory must be one of 2048, 3072, 4096 with cpu 1024 on appRunner, got 1024"],
    [Compute.ecsExpress(), { cpu: 3000 }, "web.cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 on ecsExpress, got 3000"],
    [Compute.ecsExpress(), { minInstances: 3, maxInstances: 2 }, "web.maxInstances must be at least minInstances (3), got 2"],
  ])("refuses invalid web options with every problem named: %#", (compute, web, message) => {
    const error = thrown(() => build({ compute }, (app) => app.withWebService(web)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.problems).toEqual([message]);
    expect(error.constructPath).toBe("service/orders");
  });

  it("refuses deployService without an image tag, and any with*() after build()", () => {
    expect(() => build({ imageTag: undefined }, (app) => app.withWebService())).toThrow("image is required when deployService is true (the tag to run), got undefined");
    const stack = new TerraformStack(Testing.app(), "s");
    const app = new AppsPlatformApp(stack, "orders", { tenant, environment, compute: Compute.ecsExpress() });
    app.build();
    expect(() => app.withDatabase()).toThrow("withDatabase() after build(): the service orders is already built.");
  });

  it("lists every problem of the options at once, named by field, with what is allowed and what was given", () => {
    const error = thrown(() =>
      build({ compute: Compute.appRunner(), imageTag: "not a tag", environment: { ...environment, vpcConnectorArn: undefined } }, (app) =>
        app
          .withWebService({ port: 0, cpu: 1024, memory: 1024, healthCheckPath: "health", environment: { AWS_REGION: "x" }, secrets: { KEY: "plain" } })
          .withDatabase({ maxCapacity: 300 })
          .withSecret("bad/name")
          .withSecret("ok", { environmentVariable: "KEY" }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.problems).toEqual([
      "web.memory must be one of 2048, 3072, 4096 with cpu 1024 on appRunner, got 1024",
      "environment.vpcConnectorArn is required for an App Runner service with a database (its egress to the database), got undefined",
      'imageTag must be an image tag (^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$), got "not a tag"',
      "web.port must be a whole number from 1 to 65535, got 0",
      'web.healthCheckPath must be an absolute URL path of at most 51 characters, got "health"',
      'web.environment names must be an environment variable name not starting with AWS_ (letters, digits and _, not starting with a digit, at most 128), got "AWS_REGION"',
      'web.secrets.KEY must be the ARN of a Secrets Manager secret or an SSM parameter (secrets are passed by reference only), got "plain"',
      "database.maxCapacity must be from 1 to 256 capacity units, got 300",
      'withSecret("bad/name") must be 1–64 letters, digits, "-" or "_" (^[A-Za-z0-9_-]{1,64}$), got "bad/name"',
      'withSecret("ok").environmentVariable must be a variable nothing else sets, already set by web.secrets.KEY, got "KEY"',
    ]);
    expect(error.message.split("\n")[0]).toBe("10 problems in service/orders:");
  });

  it("refuses a secret's variable the database's secret would overwrite, or that two secrets share", () => {
    expect(thrown(() => build({}, (app) => app.withWebService().withDatabase().withSecret("a", { environmentVariable: "DATABASE_SECRET" }))).problems).toEqual([
      'withSecret("a").environmentVariable must be a variable nothing else sets, already set by the database\'s secret, got "DATABASE_SECRET"',
    ]);
    expect(thrown(() => build({}, (app) => app.withWebService().withSecret("a", { environmentVariable: "K" }).withSecret("b", { environmentVariable: "K" }))).problems).toEqual([
      'withSecret("b").environmentVariable must be a variable nothing else sets, already set by withSecret("a"), got "K"',
    ]);
  });

  it("measures the names it would make for a slug or stage no config checked", () => {
    const long = { ...tenant, slug: "a-very-long-service-slug-of-32ch", stage: "a-long-stage-name" };
    const problems = thrown(() => build({ tenant: long, compute: Compute.appRunner(), environment: { ...environment, vpcConnectorArn: "arn:c" } }, (app) => app.withWebService().withDatabase())).problems;
    expect(problems).toEqual([
      'tenant.slug and tenant.stage make the App Runner service name "a-very-long-service-slug-of-32ch-a-long-stage-name" is 50 characters long; AWS allows at most 40',
      'tenant.slug and tenant.stage make the App Runner auto scaling configuration name "a-very-long-service-slug-of-32ch-a-long-stage-name" is 50 characters long; AWS allows at most 32',
    ]);
    // The same slug and stage fit on ECS Express, whose service name may be 255 characters.
    expect(() => build({ tenant: long }, (app) => app.withWebService().withDatabase())).not.toThrow();
  });

  it("passes the database's secret to the container as DATABASE_SECRET, by ARN", () => {
    const { json } = build({}, (app) => app.withWebService().withDatabase());
    const [container] = one(json, "aws_ecs_express_gateway_service").primary_container;
    expect(container.secret).toEqual([{ name: "DATABASE_SECRET", value_from: expect.stringMatching(/aws_rds_cluster\..*\.master_user_secret\[0\]\.secret_arn/) }]);
  });

  it("leaves values known only at plan to Terraform", () => {
    expect(() => build({ imageTag: "${var.image_tag}" }, (app) => app.withWebService({ port: Token.asNumber("${var.port}") }).withSecret("k", { environmentVariable: "${var.name}" }))).not.toThrow();
  });

  it("builds with WEB_SERVICE_DEFAULTS where the options leave something out", () => {
    const { json } = build({}, (app) => app.withWebService());
    const service = one(json, "aws_ecs_express_gateway_service");
    expect(service).toMatchObject({ cpu: String(WEB_SERVICE_DEFAULTS.cpu), memory: String(WEB_SERVICE_DEFAULTS.memory), health_check_path: WEB_SERVICE_DEFAULTS.healthCheckPath });
    expect(service.primary_container[0].container_port).toBe(WEB_SERVICE_DEFAULTS.port);
    expect(service.scaling_target[0]).toMatchObject({ min_task_count: WEB_SERVICE_DEFAULTS.minInstances, max_task_count: WEB_SERVICE_DEFAULTS.maxInstances });
  });

  it("makes only the outputs that have a value, each described, when asked to export them", () => {
    const stack = new TerraformStack(Testing.app(), "service");
    new AppsPlatformApp(stack, "orders", { tenant, environment, compute: Compute.ecsExpress(), deployService: true, imageTag: "1.0.0", exportOutputs: true }).withWebService().build();
    const json = JSON.parse(Testing.synth(stack)) as TfJson;
    expect(Object.keys(json.output ?? {}).sort()).toEqual(["image_identifier", "repository_url", "service_url"]);
    expect(Object.values(json.output!).every((o) => typeof o.description === "string" && o.description.length > 0)).toBe(true);
  });
});
