import { Testing, TerraformStack } from "cdktf";
import { AppsPlatformApp, AppsPlatformAppOutputs, AppsPlatformAppProps, ServiceOptionsError } from "../../../src/constructs/service/apps-platform-app";
import { Compute } from "../../../src/constructs/service/compute";
import { appRunnerValidationRecordCount } from "../../../src/constructs/service/custom-domain";
import { TfJson, resourcesOf } from "../../helpers";

const tenant = { partition: "aws", region: "eu-central-1", accountId: "222222222222", slug: "orders", stage: "dev", zoneName: "dev.apps.acme.example" };
const environment = {
  vpcId: "vpc-0abc",
  vpcCidr: "10.20.0.0/16",
  privateSubnetIds: ["subnet-a", "subnet-b"],
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

const types = (json: TfJson) => Object.keys(json.resource ?? {}).sort();
const one = (json: TfJson, type: string) => {
  const all = resourcesOf(json, type) as Record<string, any>[];
  expect(all).toHaveLength(1);
  return all[0];
};

describe("AppsPlatformApp", () => {
  describe.each([
    ["appRunner", Compute.appRunner(), "aws_apprunner_service"],
    ["ecsExpress", Compute.ecsExpress(), "aws_ecs_express_gateway_service"],
  ])("on %s", (_, compute, serviceType) => {
    it.each([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])("with database %s and custom domain %s creates the service on the tagged image, with every output", (withDb, withDomain) => {
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

  it("routes App Runner's egress through a VPC connector in the private subnets when a database is attached", () => {
    const { json } = build({ compute: Compute.appRunner() }, (app) => app.withWebService().withDatabase());
    expect(one(json, "aws_apprunner_vpc_connector").subnets).toEqual(environment.privateSubnetIds);
    expect(one(json, "aws_apprunner_service").network_configuration.egress_configuration.egress_type).toBe("VPC");
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

  it("validates an ECS Express certificate with one record per name, www included", () => {
    const { json } = build({}, (app) => app.withWebService().withCustomDomain({ www: true }));
    expect(one(json, "aws_acm_certificate")).toMatchObject({
      domain_name: "orders.dev.apps.acme.example",
      subject_alternative_names: ["www.orders.dev.apps.acme.example"],
      validation_method: "DNS",
    });
    expect((resourcesOf(json, "aws_route53_record") as Record<string, any>[]).filter((r) => r.allow_overwrite)).toHaveLength(2);
    expect(resourcesOf(json, "aws_acm_certificate_validation")).toHaveLength(1);
  });

  it("runs ECS Express tasks in the private subnets with the service's roles and a KMS-encrypted log group of its own", () => {
    const { json } = build({}, (app) => app.withWebService({ minInstances: 2, maxInstances: 4 }));
    const service = one(json, "aws_ecs_express_gateway_service");
    expect(service).toMatchObject({
      execution_role_arn: "arn:aws:iam::222222222222:role/apps-platform/execution/orders-dev-exec",
      infrastructure_role_arn: "arn:aws:iam::222222222222:role/apps-platform/infrastructure/orders-dev-infra",
      network_configuration: [{ subnets: environment.privateSubnetIds }],
      scaling_target: [{ min_task_count: 2, max_task_count: 4 }],
    });
    expect(one(json, "aws_cloudwatch_log_group")).toMatchObject({ name: "/apps-platform/dev/orders/web", kms_key_id: environment.platformKeyArn });
  });

  it("keeps the database private to the service: its subnets, a group that admits only the service, RDS-managed password", () => {
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
    expect(one(json, "aws_db_subnet_group").subnet_ids).toEqual(environment.privateSubnetIds);
    const ingress = one(json, "aws_vpc_security_group_ingress_rule");
    expect(ingress).toMatchObject({ from_port: 5432, to_port: 5432 });
    expect(ingress.referenced_security_group_id).toMatch(/aws_security_group\.orders_service-security-group/);
    expect(ingress.cidr_ipv4).toBeUndefined();
  });

  it("drops deletion protection and the final snapshot in ephemeral stages", () => {
    const { json } = build({ ephemeral: true }, (app) => app.withWebService().withDatabase());
    expect(one(json, "aws_rds_cluster")).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    expect(one(json, "aws_ecr_repository").force_delete).toBe(true);
  });

  it("creates only the repository before the first image, with no service outputs", () => {
    const { json, outputs } = build({ deployService: false, imageTag: undefined }, (app) => app.withWebService().withCustomDomain());
    expect(types(json)).toEqual(["aws_ecr_lifecycle_policy", "aws_ecr_repository"]);
    expect(outputs).toEqual({ repositoryUrl: expect.any(String) });
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
    expect(() => build({ compute }, (app) => app.withWebService(web))).toThrow(new ServiceOptionsError([message]));
  });

  it("refuses deployService without an image tag, and any with*() after build()", () => {
    expect(() => build({ imageTag: undefined }, (app) => app.withWebService())).toThrow("image is required when deployService is true (the tag to run), got undefined");
    const stack = new TerraformStack(Testing.app(), "s");
    const app = new AppsPlatformApp(stack, "orders", { tenant, environment, compute: Compute.ecsExpress() });
    app.build();
    expect(() => app.withDatabase()).toThrow("withDatabase() after build(): the service orders is already built.");
  });
});
