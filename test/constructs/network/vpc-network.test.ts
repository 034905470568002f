import { VpcNetwork, VpcNetworkProps, natGatewayCount } from "@acme/apps-platform-constructs/network";
import { byId, emptyStack, one, synthWith, validationError } from "../helpers";

const base: VpcNetworkProps = { name: "apps-platform-dev", cidr: "10.20.0.0/16", region: "eu-central-1" };
const synth = (props: Partial<VpcNetworkProps> = {}) => synthWith((stack) => new VpcNetwork(stack, "network", { ...base, ...props }));
const subnets = (json: ReturnType<typeof synth>, tier: string) => Object.values(byId(json, "aws_subnet")).filter((s) => s.tags.tier === tier);

describe("VpcNetwork", () => {
  it("spans two AZs with a public and a private subnet each, named after the VPC, and one shared NAT gateway by default", () => {
    const json = synth();
    expect(one(json, "aws_vpc")).toMatchObject({ cidr_block: "10.20.0.0/16", enable_dns_hostnames: true, enable_dns_support: true, tags: { Name: "apps-platform-dev" } });
    expect(subnets(json, "public").map((s) => [s.cidr_block, s.tags.Name])).toEqual([
      ["10.20.0.0/18", "apps-platform-dev-public-1"],
      ["10.20.64.0/18", "apps-platform-dev-public-2"],
    ]);
    expect(subnets(json, "private").map((s) => [s.cidr_block, s.tags.Name])).toEqual([
      ["10.20.128.0/18", "apps-platform-dev-private-1"],
      ["10.20.192.0/18", "apps-platform-dev-private-2"],
    ]);
    expect(one(json, "aws_nat_gateway").tags.Name).toBe("apps-platform-dev-nat-1");
    expect(one(json, "aws_eip").domain).toBe("vpc");
  });

  it("gives no public IPs on launch, even in the public subnets", () => {
    for (const s of subnets(synth(), "public")) expect(s.map_public_ip_on_launch).toBe(false);
  });

  it("closes the default security group: no rules at all", () => {
    const group = one(synth(), "aws_default_security_group");
    expect(group.ingress).toBeUndefined();
    expect(group.egress).toBeUndefined();
    expect(group.tags.Name).toBe("apps-platform-dev-default-closed");
  });

  it("names its AZs rather than taking whatever is available, and stops the plan when one is missing", () => {
    const zones = Object.values(synth().data!.aws_availability_zones)[0] as Record<string, any>;
    expect(zones.filter).toEqual([{ name: "zone-name", values: ["eu-central-1a", "eu-central-1b"] }]);
    expect(zones.lifecycle.postcondition[0].condition).toBe("${length(self.names) == 2}");
  });

  it.each([
    ["single", 3, 1],
    ["per-az", 3, 3],
    ["none", 3, 0],
  ] as const)("with natMode %s over %i AZs makes %i NAT gateways and routes private subnets through them", (natMode, azCount, nats) => {
    const json = synth({ natMode, azCount, cidr: "10.30.0.0/16" });
    expect(Object.keys(byId(json, "aws_nat_gateway"))).toHaveLength(nats);
    expect(natGatewayCount(natMode, azCount)).toBe(nats);
    const privateRoutes = Object.entries(byId(json, "aws_route_table")).filter(([id]) => id.includes("private"));
    expect(privateRoutes).toHaveLength(azCount);
    for (const [, table] of privateRoutes) expect(table.route.length).toBe(nats === 0 ? 0 : 1);
    if (natMode === "per-az") expect(new Set(privateRoutes.map(([, t]) => t.route[0].nat_gateway_id)).size).toBe(3);
  });

  it("routes the public tier to the internet gateway", () => {
    const publicRoutes = Object.entries(byId(synth(), "aws_route_table")).find(([id]) => id.includes("public"))![1];
    expect(publicRoutes.route).toEqual([expect.objectContaining({ cidr_block: "0.0.0.0/0", gateway_id: expect.stringMatching(/aws_internet_gateway/) })]);
    expect(publicRoutes.tags.Name).toBe("apps-platform-dev-public");
  });

  it("attaches the private subnets to a Transit Gateway when given one, and to none otherwise", () => {
    expect(byId(synth(), "aws_ec2_transit_gateway_vpc_attachment")).toEqual({});
    const attachment = one(synth({ transitGatewayId: "tgw-0123456789abcdef0" }), "aws_ec2_transit_gateway_vpc_attachment");
    expect(attachment.transit_gateway_id).toBe("tgw-0123456789abcdef0");
    expect(attachment.subnet_ids).toHaveLength(2);
    expect(attachment.subnet_ids.every((id: string) => /aws_subnet\.network_private-/.test(id))).toBe(true);
  });

  it("uses the AZs it is given", () => {
    const zones = Object.values(synth({ availabilityZones: ["eu-central-1b", "eu-central-1c"] }).data!.aws_availability_zones)[0] as Record<string, any>;
    expect(zones.filter[0].values).toEqual(["eu-central-1b", "eu-central-1c"]);
  });

  it.each([
    ["a block too small for its subnets", { cidr: "10.20.0.0/27", azCount: 3 }, ['cidr must be an IPv4 block that holds a public and a private subnet in each of the 3 AZs (2 × 3 subnets), got "10.20.0.0/27"']],
    ["a block that is no CIDR", { cidr: "10.20.0.0" }, ['cidr must be an IPv4 block that holds a public and a private subnet in each of the 2 AZs (2 × 2 subnets), got "10.20.0.0"']],
    ["seven AZs", { azCount: 7 }, ["azCount must be an integer from 1 to 6 (a public and a private subnet in each AZ), got 7"]],
    [
      "AZs that do not match azCount, with a name too long for its Name tags",
      { availabilityZones: ["eu-central-1a"], name: "n".repeat(250) },
      [
        'availabilityZones must name one zone per AZ (azCount 2), got ["eu-central-1a"]',
        `name makes the default security group name "${"n".repeat(250)}-default-closed" is 265 characters long; AWS allows at most 256`,
        `name makes the public route table name "${"n".repeat(250)}-public" is 257 characters long; AWS allows at most 256`,
        `name makes the public subnet name "${"n".repeat(250)}-public-2" is 259 characters long; AWS allows at most 256`,
        `name makes the private subnet name "${"n".repeat(250)}-private-2" is 260 characters long; AWS allows at most 256`,
        `name makes the private route table name "${"n".repeat(250)}-private-2" is 260 characters long; AWS allows at most 256`,
      ],
    ],
  ])("refuses %s", (_, props, problems) => {
    const error = validationError(() => new VpcNetwork(emptyStack(), "network", { ...base, ...props }));
    expect(error.problems).toEqual(problems);
    expect(error.constructPath).toBe("test/network");
  });
});
