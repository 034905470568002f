import { Testing } from "cdktf";
import { Compute, ServiceContext, ServiceStack, ServiceStackProps } from "@acme/apps-platform-constructs/service";
import { MANDATORY_TAG_KEYS } from "@acme/apps-platform-constructs/tagging";
import { TfJson } from "../../helpers";
import { validationError } from "../helpers";

const context: ServiceContext = { organisation: "acme", slug: "orders", stage: "dev", region: "eu-central-1", accountId: "222222222222", zoneName: "dev.apps.acme.example" };
const deployRole = "arn:aws:iam::222222222222:role/apps-platform/deploy/orders-dev-deploy";

function stackOf(props: Partial<ServiceStackProps> = {}, build: (s: ServiceStack) => void = (s) => s.service.withWebService().build()): { stack: ServiceStack; json: TfJson } {
  const stack = new ServiceStack(Testing.app(), { context, compute: Compute.ecsExpress(), deployService: true, imageTag: "1.0.0", ...props });
  build(stack);
  return { stack, json: JSON.parse(Testing.synth(stack)) as TfJson };
}

const parameterNames = (json: TfJson) => Object.values(json.data?.aws_ssm_parameter ?? {}).map((p: any) => p.name as string).sort();

describe("ServiceStack", () => {
  it("is named service-<slug>-<stage> and keeps its state in the service's own bucket, one workspace per stage", () => {
    const { stack, json } = stackOf();
    expect(stack.node.id).toBe("service-orders-dev");
    expect(json.terraform.backend!.s3).toEqual({
      bucket: "acme-orders-tfstate",
      key: "service/orders/terraform.tfstate",
      region: "eu-central-1",
      encrypt: true,
      kms_key_id: "alias/apps-platform/orders/tfstate",
      dynamodb_table: "acme-orders-tflock",
      use_lockfile: true,
      workspace_key_prefix: "env",
    });
    expect(stack.backendDescription.workspace).toBe("dev");
  });

  it("assumes the service's deploy role by default, any role given as platform_role_arn (the read role for plans), in the stage account only", () => {
    const { json } = stackOf();
    expect(json.variable!.platform_role_arn).toEqual({
      type: "string",
      default: deployRole,
      description: `The role to work in the platform account with: ${deployRole} to apply, arn:aws:iam::222222222222:role/apps-platform/read/orders-dev-read to plan.`,
    });
    expect(json.provider!.aws[0]).toMatchObject({ allowed_account_ids: ["222222222222"], assume_role: [{ role_arn: "${var.platform_role_arn}", session_name: "orders-dev" }] });
  });

  it("assumes the deploy role itself without the variable, and takes HCP Terraform's run credentials with the cloud backend", () => {
    expect((stackOf({ roleVariable: false }).json.provider!.aws[0] as any).assume_role[0].role_arn).toBe(deployRole);
    const { json } = stackOf({ backend: { kind: "cloud", organization: "acme", project: "services" } });
    expect(json.variable?.platform_role_arn).toBeUndefined();
    expect(json.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "service-orders-dev", project: "services" } });
    expect((json.provider!.aws[0] as any).assume_role).toBeUndefined();
  });

  it("locks as the backend options say", () => {
    const s3 = stackOf({ backend: { kind: "s3", useLockfile: false } }).json.terraform.backend!.s3;
    expect(s3.use_lockfile).toBeUndefined();
    expect(s3.dynamodb_table).toBe("acme-orders-tflock");
  });

  it("reads the stage's contract and the network objects onboarding made for the service, not the VPC connector on ECS Express", () => {
    expect(parameterNames(stackOf({}, (s) => s.service.withWebService().withDatabase().build()).json)).toEqual([
      "/apps-platform/dev/platform-kms-key-arn",
      "/apps-platform/dev/private-subnet-ids",
      "/apps-platform/dev/services/orders/database-security-group-id",
      "/apps-platform/dev/services/orders/service-security-group-id",
      "/apps-platform/dev/zone-id",
    ]);
  });

  it("reads the VPC connector for an App Runner service with a database only", () => {
    const connector = "/apps-platform/dev/services/orders/vpc-connector-arn";
    expect(parameterNames(stackOf({ compute: Compute.appRunner() }).json)).not.toContain(connector);
    expect(parameterNames(stackOf({ compute: Compute.appRunner() }, (s) => s.service.withWebService().withDatabase().build()).json)).toContain(connector);
  });

  it("tags every taggable resource with the service and its stage", () => {
    const { json } = stackOf({}, (s) => s.service.withWebService().withDatabase().withSecret("key").build());
    const tagged = Object.values(json.resource!).flatMap((byId) => Object.values(byId)).filter((r: any) => r.tags) as { tags: Record<string, string> }[];
    expect(tagged.length).toBeGreaterThan(5);
    for (const r of tagged) expect(r.tags).toMatchObject({ platform: "apps-platform", app: "orders", env: "dev", managedBy: "terraform" });
    expect(Object.keys(tagged[0].tags)).toEqual(expect.arrayContaining([...MANDATORY_TAG_KEYS]));
  });

  it("drops deletion guards in an ephemeral stage", () => {
    const { json } = stackOf({}, (s) => s.service.withWebService().withDatabase().build());
    expect((Object.values(json.resource!.aws_rds_cluster)[0] as any).deletion_protection).toBe(true);
    const ephemeral = new ServiceStack(Testing.app(), { context: { ...context, ephemeral: true }, compute: Compute.ecsExpress() });
    ephemeral.service.withWebService().withDatabase().build();
    const e = JSON.parse(Testing.synth(ephemeral)) as TfJson;
    expect((Object.values(e.resource!.aws_rds_cluster)[0] as any).deletion_protection).toBe(false);
    expect((Object.values(e.resource!.aws_ecr_repository)[0] as any).force_delete).toBe(true);
  });

  it.each([
    ["ecsExpress, deployed", {}, (s: ServiceStack) => s.service.withWebService().build(), ["image_identifier", "repository_url", "service_url"]],
    ["appRunner with a database and a custom domain", { compute: Compute.appRunner() }, (s: ServiceStack) => s.service.withWebService().withDatabase().withCustomDomain().build(), ["connection_secret_arn", "custom_domain_url", "image_identifier", "repository_url", "service_url"]],
    ["the first phase, with a database", { deployService: false, imageTag: undefined }, (s: ServiceStack) => s.service.withWebService().withDatabase().build(), ["connection_secret_arn", "repository_url"]],
  ] as const)("has, for %s, exactly the outputs that have a value, each described", (_, props, build, outputs) => {
    const { json } = stackOf(props, build);
    expect(Object.keys(json.output ?? {}).sort()).toEqual(outputs);
    for (const o of Object.values(json.output!)) expect(String(o.description).length).toBeGreaterThan(10);
  });

  it("never offers a custom_domain_url on ECS Express: a custom domain there is refused before anything is made", () => {
    const stack = new ServiceStack(Testing.app(), { context, compute: Compute.ecsExpress(), deployService: true, imageTag: "1.0.0" });
    const error = validationError(() => stack.service.withWebService().withCustomDomain({ www: true }).build());
    expect(error.problems).toEqual([
      'customDomain is not available on ecsExpress: ECS Express Mode\'s load balancer serves only its own certificate; use compute: appRunner for a custom domain, or remove customDomain, got "customDomain"',
    ]);
    expect(error.constructPath).toBe("service-orders-dev/orders");
    const json = JSON.parse(Testing.synth(stack)) as TfJson;
    expect(json.output?.custom_domain_url).toBeUndefined();
    expect(json.resource?.aws_ecs_express_gateway_service).toBeUndefined();
    expect(json.resource?.aws_route53_record).toBeUndefined();
  });

  it("takes another id when given one", () => {
    expect(new ServiceStack(Testing.app(), { context, compute: Compute.ecsExpress() }, "orders").node.id).toBe("orders");
  });
});

describe("ServiceStack's context", () => {
  it("is refused, with every problem at once, where a name or pattern would break", () => {
    const error = validationError(
      () => new ServiceStack(Testing.app(), { context: { ...context, organisation: "Acme", slug: "a-very-long-service-slug-of-32ch", stage: "a-stage-name-of-exactly-32-chars", zoneName: "dev" }, compute: Compute.ecsExpress() }),
    );
    expect(error.problems).toEqual([
      'context.organisation must match ^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,19}$ (lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 20 characters), got "Acme"',
      'context.zoneName must match ^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$ (a lowercase DNS name of two or more labels, e.g. dev.apps.example.com), got "dev"',
      'context.slug and context.stage make the STS session name "a-very-long-service-slug-of-32ch-a-stage-name-of-exactly-32-chars" is 65 characters long; AWS allows at most 64',
    ]);
    expect(error.constructPath).toBe("service-a-very-long-service-slug-of-32ch-a-stage-name-of-exactly-32-chars");
  });

  it("is refused with an account id or a region that is not one, before any ARN is made of it", () => {
    const error = validationError(() => new ServiceStack(Testing.app(), { context: { ...context, accountId: "undefined", region: "eu-central" }, compute: Compute.ecsExpress() }));
    expect(error.problems).toEqual([
      expect.stringMatching(/^context\.accountId must match \^\[0-9\]\{12\}\$ .*, got "undefined"$/),
      'context.region must be an AWS Region such as eu-central-1, got "eu-central"',
    ]);
  });

  it("is refused when the organisation and slug make a state bucket name over S3's limit", () => {
    const organisation = "a".repeat(30);
    const error = validationError(() => new ServiceStack(Testing.app(), { context: { ...context, organisation, slug: "s".repeat(32) }, compute: Compute.ecsExpress() }));
    expect(error.problems).toEqual([
      expect.stringMatching(/^context\.organisation must match .* 2 to 20 characters\), got "a{30}"$/),
      `context.organisation and context.slug make the state bucket name "${organisation}-${"s".repeat(32)}-tfstate" is 71 characters long; AWS allows at most 63`,
    ]);
  });
});
