import { Testing, TerraformStack } from "cdktf";
import { CONTRACT_ENTRIES, CONTRACT, contractParameterName } from "@acme/apps-platform-constructs/contract";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { TfJson, configWith, exampleConfig, onlyResource, parsePolicy, resourcesOf, synthPlatform } from "../helpers";

describe("the environment stack", () => {
  const example = synthPlatform(exampleConfig()).json;
  const dev = example.get("environment-dev")!;
  const prod = example.get("environment-prod")!;

  it("assumes the platform role of the stage's account and refuses any other account", () => {
    expect(prod.provider!.aws).toEqual([
      {
        // The region only evaluates in workspace prod, so even a destroy elsewhere stops.
        region:
          '${terraform.workspace == "prod" || terraform.workspace == "default" ? "eu-central-1" : file("Wrong workspace for this configuration: run terraform workspace select -or-create prod")}',
        allowed_account_ids: ["333333333333"],
        // The provisioner role, or with ci_phase=plan the account's read-only role.
        assume_role: [
          {
            role_arn: '${(var.ci_phase == "plan") ? "arn:aws:iam::333333333333:role/apps-platform/ci/apps-platform-read" : "arn:aws:iam::333333333333:role/apps-platform-provisioner"}',
            session_name: "apps-platform",
          },
        ],
      },
    ]);
  });

  it("splits the VPC into a public and a private subnet per AZ, without public IPs on launch", () => {
    const subnets = resourcesOf(prod, "aws_subnet") as Record<string, any>[];
    const byName = subnets.map((s) => [s.tags.Name, s.cidr_block]).sort((a, b) => a[0].localeCompare(b[0]));
    expect(byName).toEqual([
      ["apps-platform-prod-private-1", "10.30.96.0/19"],
      ["apps-platform-prod-private-2", "10.30.128.0/19"],
      ["apps-platform-prod-private-3", "10.30.160.0/19"],
      ["apps-platform-prod-public-1", "10.30.0.0/19"],
      ["apps-platform-prod-public-2", "10.30.32.0/19"],
      ["apps-platform-prod-public-3", "10.30.64.0/19"],
    ]);
    expect(new Set(subnets.map((s) => s.availability_zone)).size).toBe(3);
    expect(subnets.filter((s) => s.map_public_ip_on_launch === true)).toEqual([]);
    expect(onlyResource(prod, "aws_vpc")).toMatchObject({ cidr_block: "10.30.0.0/16", enable_dns_hostnames: true });
  });

  it.each([
    ["single", 3, 1],
    ["per-az", 3, 3],
    ["none", 3, 0],
    ["single", 1, 1],
  ])("creates NAT gateways for natMode %s over %i AZs: %i", (natMode, azCount, expected) => {
    const json = synthPlatform(configWith((raw) => Object.assign(raw.stages.prod.network, { natMode, azCount }))).json.get("environment-prod")!;
    expect(resourcesOf(json, "aws_nat_gateway")).toHaveLength(expected);
    expect(resourcesOf(json, "aws_eip")).toHaveLength(expected);
    const privateRoutes = (resourcesOf(json, "aws_route_table") as any[]).filter((t) => /private/.test(t.tags.Name));
    expect(privateRoutes).toHaveLength(azCount);
    const natRoutes = privateRoutes.flatMap((t) => t.route.map((r: any) => r.nat_gateway_id));
    expect(natRoutes).toHaveLength(expected === 0 ? 0 : azCount);
    expect(new Set(natRoutes).size).toBe(expected);
  });

  it("rotates the platform key yearly and lets execution roles use it only through Secrets Manager", () => {
    const key = onlyResource(dev, "aws_kms_key");
    expect(key).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30 });
    const deny = parsePolicy(key.policy).Statement.find((s) => s.Effect === "Deny");
    expect(deny).toMatchObject({
      Principal: { AWS: "*" },
      Condition: {
        ArnLike: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/apps-platform/execution/*" },
        StringNotEquals: { "kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com" },
      },
    });
    expect(deny!.Action).toEqual(expect.arrayContaining(["kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"]));
    expect(onlyResource(dev, "aws_kms_alias").name).toBe("alias/apps-platform/dev/platform");
  });

  it("logs all VPC traffic to a log group encrypted with the platform key and kept a year", () => {
    expect(onlyResource(dev, "aws_flow_log")).toMatchObject({ traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
    const group = onlyResource(dev, "aws_cloudwatch_log_group");
    expect(group).toMatchObject({ name: "/apps-platform/dev/vpc-flow-logs", retention_in_days: 365 });
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\.platform-key_\w+\.arn\}$/);
    // The flow logs' role (the stage also hosts the ephemeral stages' provisioner roles).
    const role = (resourcesOf(dev, "aws_iam_role") as Record<string, any>[]).find((r) => r.name === "apps-platform-dev-flow-logs")!;
    const trust = parsePolicy(role.assume_role_policy).Statement;
    expect(trust).toEqual([
      expect.objectContaining({ Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } } }),
    ]);
  });

  it("pins the subnets to named zones and stops the plan when one is not available", () => {
    const zones = Object.values(prod.data!.aws_availability_zones)[0] as any;
    expect(zones.filter).toEqual([{ name: "zone-name", values: ["eu-central-1a", "eu-central-1b", "eu-central-1c"] }]);
    expect(zones.lifecycle.postcondition[0].condition).toBe("${length(self.names) == 3}");
  });

  it("closes the default security group and creates the stage's hosted zone", () => {
    const sg = onlyResource(dev, "aws_default_security_group");
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    expect(onlyResource(dev, "aws_route53_zone").name).toBe("dev.apps.acme.example");
  });

  it("attaches the private subnets to the transit gateway only where the config names one", () => {
    expect(resourcesOf(dev, "aws_ec2_transit_gateway_vpc_attachment")).toEqual([]);
    const attachment = onlyResource(prod, "aws_ec2_transit_gateway_vpc_attachment");
    expect(attachment.transit_gateway_id).toBe("tgw-0123456789abcdef0");
    expect(attachment.subnet_ids).toHaveLength(3);
    expect(attachment.subnet_ids.every((id: string) => /aws_subnet\.network_private-\d/.test(id))).toBe(true);
  });

  it("publishes every contract entry under /apps-platform/<stage>/ with its declared type", () => {
    const params = resourcesOf(dev, "aws_ssm_parameter") as any[];
    const sorted = (rows: string[][]) => rows.sort((a, b) => a[0].localeCompare(b[0]));
    expect(sorted(params.map((p) => [p.name, p.type]))).toEqual(
      sorted(CONTRACT_ENTRIES.map((e) => [contractParameterName("dev", e), CONTRACT[e].type])),
    );
  });

  it("publishes every name a contract reader can read", () => {
    const published = new Set((resourcesOf(dev, "aws_ssm_parameter") as any[]).map((p) => p.name));
    const stack = new TerraformStack(Testing.app(), "consumer");
    const reader = new ContractReader(stack, "contract", { stage: "dev" });
    for (const entry of CONTRACT_ENTRIES) (CONTRACT[entry].type === "String" ? reader.value(entry) : reader.list(entry));
    const read = Object.values((JSON.parse(Testing.synth(stack)) as TfJson).data!.aws_ssm_parameter).map((d: any) => d.name);
    expect(read).toHaveLength(CONTRACT_ENTRIES.length);
    expect(read.filter((name) => !published.has(name))).toEqual([]);
  });

  it("refuses to read a list entry as a single value", () => {
    const reader = new ContractReader(new TerraformStack(Testing.app(), "consumer"), "contract", { stage: "dev" });
    expect(() => reader.value("privateSubnetIds")).toThrow("Contract entry privateSubnetIds is a list: read it with list().");
  });
});

describe("AccountProvider", () => {
  it("takes exactly one of roleName or roleArn", () => {
    const { AccountProvider } = require("@acme/apps-platform-constructs/core");
    const stack = new TerraformStack(Testing.app(), "s");
    const base = { region: "eu-central-1", partition: "aws", accountId: "222222222222" };
    expect(() => new AccountProvider(stack, "none", base)).toThrow("Only one of `roleName` or `roleArn` can be given, and one is required.");
    expect(() => new AccountProvider(stack, "both", { ...base, roleName: "r", roleArn: "arn:aws:iam::222222222222:role/r" })).toThrow(
      "Only one of `roleName` or `roleArn` can be given, and one is required.",
    );
  });
});
