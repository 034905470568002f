import { AppRunnerCompute, CPU_MEMORY, Compute, ComputeBindOptions, EcsExpressCompute, webContainer } from "@acme/apps-platform-constructs/service";
import { serviceStageNames } from "@acme/apps-platform-constructs/naming";
import { ComputeTarget } from "@acme/apps-platform-constructs/service";
import { byId, emptyStack, one, scopeIn, synthWith, validationError } from "../helpers";

const tenant = { partition: "aws", region: "eu-central-1", accountId: "222222222222", slug: "orders", stage: "dev", zoneName: "dev.apps.acme.example" };
const environment = {
  privateSubnetIds: ["subnet-a", "subnet-b"],
  serviceSecurityGroupId: "sg-0service",
  databaseSecurityGroupId: "sg-0database",
  zoneId: "Z0DEV",
  platformKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/1111",
};
const connector = "arn:aws:apprunner:eu-central-1:222222222222:vpcconnector/orders-dev/1/abc";
const options: ComputeBindOptions = { tenant, environment, imageIdentifier: "repo:1.0.0", container: webContainer({}) };

describe("Compute", () => {
  it.each([
    ["appRunner", Compute.appRunner(), AppRunnerCompute],
    ["ecsExpress", Compute.ecsExpress(), EcsExpressCompute],
  ] as const)("%s is a variant of its own, which Compute.of() gives for the config's name", (target, compute, kind) => {
    expect(compute).toBeInstanceOf(kind);
    expect(compute.target).toBe(target);
    expect(Compute.of(target)).toBeInstanceOf(kind);
    expect(compute.cpuMemory).toBe(CPU_MEMORY[target]);
  });

  it("refuses a target it does not know", () => {
    expect(validationError(() => Compute.of("lambda" as ComputeTarget)).problems).toEqual(['compute must be one of "appRunner", "ecsExpress", got "lambda"']);
  });

  it.each([
    [Compute.appRunner(), { cpu: 3000, memory: 2048 }, [{ path: ["web", "cpu"], message: "must be one of 256, 512, 1024, 2048, 4096 on appRunner", given: 3000 }]],
    [Compute.appRunner(), { cpu: 1024, memory: 1024 }, [{ path: ["web", "memory"], message: "must be one of 2048, 3072, 4096 with cpu 1024 on appRunner", given: 1024 }]],
    [Compute.ecsExpress(), { cpu: 1024, memory: 8192 }, []],
    [Compute.ecsExpress(), { cpu: 256, memory: 4096 }, [{ path: ["web", "memory"], message: "must be one of 512, 1024, 2048 with cpu 256 on ecsExpress", given: 4096 }]],
    [Compute.appRunner(), {}, []],
    // Both mistakes at once: a memory no CPU size takes is reported beside the CPU, one some size takes is not.
    [
      Compute.appRunner(),
      { cpu: 3, memory: -1 },
      [
        { path: ["web", "cpu"], message: "must be one of 256, 512, 1024, 2048, 4096 on appRunner", given: 3 },
        { path: ["web", "memory"], message: "must be one of 512, 1024, 2048, 3072, 4096, 6144, 8192, 10240, 12288 on appRunner (which of them depends on cpu)", given: -1 },
      ],
    ],
    [Compute.appRunner(), { cpu: 3, memory: 6144 }, [{ path: ["web", "cpu"], message: "must be one of 256, 512, 1024, 2048, 4096 on appRunner", given: 3 }]],
  ])("sizes a container by its own table: %#", (compute, request, problems) => {
    expect(compute.optionProblems(request)).toEqual(problems);
  });

  it("serves a custom domain on App Runner and refuses it, saying why, on ECS Express", () => {
    expect(Compute.appRunner().customDomainRefusal).toBeUndefined();
    expect(Compute.appRunner().optionProblems({ customDomain: true })).toEqual([]);
    expect(Compute.ecsExpress().optionProblems({ customDomain: true })).toEqual([
      {
        path: ["customDomain"],
        message: "is not available on ecsExpress: ECS Express Mode's load balancer serves only its own certificate; use compute: appRunner for a custom domain, or remove customDomain",
        given: "customDomain",
      },
    ]);
  });

  it("asks App Runner with a database for the VPC connector onboarding made, when the environment is known", () => {
    const need = { database: true, deployService: true };
    expect(Compute.appRunner().optionProblems({ ...need, environment })).toEqual([
      { path: ["environment", "vpcConnectorArn"], message: "is required for an App Runner service with a database (its egress to the database)", given: undefined },
    ]);
    expect(Compute.appRunner().optionProblems({ ...need, environment: { ...environment, vpcConnectorArn: connector } })).toEqual([]);
    expect(Compute.appRunner().optionProblems(need)).toEqual([]);
    expect(Compute.appRunner().optionProblems({ database: true, deployService: false, environment })).toEqual([]);
    expect(Compute.ecsExpress().optionProblems({ ...need, environment })).toEqual([]);
  });

  it("names the resources each target makes, with their limits", () => {
    const n = serviceStageNames("orders", "dev");
    expect(Compute.appRunner().names(tenant)).toEqual([n.appRunnerService, n.autoScaling]);
    expect(Compute.ecsExpress().names(tenant)).toEqual([n.ecsService, { what: "web log group name", name: "/apps-platform/dev/orders/web", limit: 512 }]);
  });

  describe("bind", () => {
    it("on App Runner makes the service and, when asked, its custom domain, and returns both URLs", () => {
      let binding: ReturnType<Compute["bind"]> | undefined;
      const json = synthWith((stack) => (binding = Compute.appRunner().bind(scopeIn(stack, "orders"), { ...options, customDomain: { www: true } })));
      expect(one(json, "aws_apprunner_service").service_name).toBe("orders-dev");
      expect(one(json, "aws_apprunner_custom_domain_association")).toMatchObject({ domain_name: "orders.dev.apps.acme.example", enable_www_subdomain: true });
      expect(binding!.serviceUrl).toMatch(/^https:\/\/\$\{TfToken/);
      expect(binding!.customDomainUrl).toBe("https://orders.dev.apps.acme.example");
      expect(Object.keys(byId(json, "aws_apprunner_service"))[0]).toMatch(/^orders_app-runner_service_/);
    });

    it("on App Runner reads the VPC connector only for a service with a database", () => {
      const read = jest.fn(() => connector);
      const without = synthWith((stack) => Compute.appRunner().bind(stack, { ...options, environment: { ...environment, vpcConnectorArn: read } }));
      expect(read).not.toHaveBeenCalled();
      expect(one(without, "aws_apprunner_service").network_configuration.egress_configuration.egress_type).toBe("DEFAULT");
      const withDb = synthWith((stack) => Compute.appRunner().bind(stack, { ...options, database: true, environment: { ...environment, vpcConnectorArn: read } }));
      expect(read).toHaveBeenCalledTimes(1);
      expect(one(withDb, "aws_apprunner_service").network_configuration.egress_configuration).toEqual({ egress_type: "VPC", vpc_connector_arn: connector });
    });

    it("on ECS Express makes the service with its log group, and returns no custom domain", () => {
      let binding: ReturnType<Compute["bind"]> | undefined;
      const json = synthWith((stack) => (binding = Compute.ecsExpress().bind(stack, options)));
      expect(one(json, "aws_ecs_express_gateway_service")).toMatchObject({ service_name: "orders-dev", cluster: "default", infrastructure_role_arn: "arn:aws:iam::222222222222:role/apps-platform/infrastructure/orders-dev-infra" });
      expect(one(json, "aws_cloudwatch_log_group").name).toBe("/apps-platform/dev/orders/web");
      expect(binding).toEqual({ serviceUrl: expect.stringMatching(/^https:\/\//) });
    });

    it("on ECS Express refuses a custom domain rather than serve it with the wrong certificate", () => {
      const stack = emptyStack();
      const error = validationError(() => Compute.ecsExpress().bind(scopeIn(stack, "orders"), { ...options, customDomain: { www: false } }));
      expect(error.problems).toEqual([
        "customDomain is not available on ecsExpress: ECS Express Mode's load balancer serves only its own certificate; use compute: appRunner for a custom domain, or remove customDomain",
      ]);
      expect(error.constructPath).toBe("test/orders");
    });
  });
});
