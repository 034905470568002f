import * as fs from "fs";
import { accountReadScope, iamServicesOfType, platformReadRoleStatements } from "../../src/policy/platform-ci";
import { PLATFORM_READ_SERVICES } from "../../src/policy/platform-read-services";
import { configWith, exampleConfig, parsePolicy, synthPlatform } from "../helpers";
import { lintPolicy } from "./policy-lint";
import { SERVICES_FILE, derivationConfigs, deriveReadServices, renderServicesFile } from "./platform-read-services";

/**
 * The services the read roles describe come from the synthesized stacks' resource types, not from a
 * hand-kept list: the committed file must be what the derivation writes today.
 */
describe("the services of the platform's read roles", () => {
  it("are derived from the resource types of the synthesized platform stacks, and the committed list is current", async () => {
    const derived = await deriveReadServices(derivationConfigs());
    expect(fs.readFileSync(SERVICES_FILE, "utf8")).toBe(renderServicesFile(derived));
    // The deployment account holds state, keys and CI roles; the stages everything else.
    expect(Object.keys(derived.deployment)).toEqual(["dynamodb", "iam", "kms", "s3"]);
    expect(Object.keys(derived.stage)).toEqual(expect.arrayContaining(["ec2", "ecs", "elasticloadbalancing", "rds", "route53", "ssm", "apprunner", "verifiedpermissions"]));
  });

  it("cover a platform with the Terraform Cloud backend and no fleet, with nothing new", async () => {
    const config = configWith((raw) => {
      raw.backend = { kind: "cloud", organization: "acme", project: "apps-platform" };
      delete raw.fleet;
    });
    const derived = await deriveReadServices([config]);
    for (const account of ["deployment", "stage"] as const) {
      for (const service of Object.keys(derived[account])) expect([account, service, service in PLATFORM_READ_SERVICES[account]]).toEqual([account, service, true]);
    }
  });

  it("refuse a resource type no entry maps, naming the table to add it to", () => {
    expect(iamServicesOfType("aws_route53_record")).toEqual(["route53"]);
    expect(iamServicesOfType("aws_iam_policy_document")).toEqual([]);
    expect(iamServicesOfType("random_password")).toEqual([]);
    expect(() => iamServicesOfType("aws_sqs_queue")).toThrow(/No IAM service is known for the Terraform type aws_sqs_queue: add it to TERRAFORM_TYPE_SERVICES/);
  });

  it("give each account's plans the reads of the stacks it holds, and the registry items of its fleet stages", () => {
    const example = exampleConfig();
    const [dev, prod] = [example.stages.dev.accountId, example.stages.prod.accountId];
    expect(accountReadScope(example, "aws", example.deploymentAccount.accountId)).toEqual({ services: PLATFORM_READ_SERVICES.deployment, itemTables: [] });
    expect(accountReadScope(example, "aws", prod)).toEqual({ services: PLATFORM_READ_SERVICES.stage, itemTables: [`arn:aws:dynamodb:${example.region}:${prod}:table/accessos-prod-tenants`] });
    // A stage in the deployment account: its read role (made by ci-identity) reads both, and refreshes the fleet's items.
    const shared = configWith((raw) => {
      raw.stages.dev.accountId = raw.deploymentAccount.accountId;
    });
    const scope = accountReadScope(shared, "aws", shared.deploymentAccount.accountId);
    expect(Object.keys(scope.services).sort()).toEqual(Object.keys({ ...PLATFORM_READ_SERVICES.stage, ...PLATFORM_READ_SERVICES.deployment }).sort());
    for (const [service, prefixes] of [...Object.entries(PLATFORM_READ_SERVICES.stage), ...Object.entries(PLATFORM_READ_SERVICES.deployment)]) {
      expect(scope.services[service]).toEqual(expect.arrayContaining([...prefixes]));
    }
    expect(scope.itemTables).toEqual([`arn:aws:dynamodb:${shared.region}:${shared.deploymentAccount.accountId}:table/accessos-dev-tenants`]);
    const ciIdentity = synthPlatform(shared).json.get("ci-identity")!;
    const readPolicy = Object.values(ciIdentity.resource!.aws_iam_policy as Record<string, { name: string; policy: string }>).find((p) => p.name === "apps-platform-read-1")!;
    expect(parsePolicy(readPolicy.policy).Statement.find((s) => s.Sid === "NoGetItemButTerraformWrittenItems")?.NotResource).toEqual(scope.itemTables);
    expect(accountReadScope(shared, "aws", dev)).toEqual({ services: {}, itemTables: [] });
  });

  it("make a read policy of known actions only", async () => {
    for (const account of ["deployment", "stage"] as const) {
      const policy = { Version: "2012-10-17", Statement: platformReadRoleStatements({ services: PLATFORM_READ_SERVICES[account], itemTables: ["arn:aws:dynamodb:eu-central-1:222222222222:table/t"] }) as any[] };
      expect(await lintPolicy(account, policy, [])).toEqual([]);
    }
  });
});
