import { Construct } from "constructs";
import { Fn } from "cdktf";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Ec2TransitGatewayVpcAttachment } from "@cdktf/provider-aws/lib/ec2-transit-gateway-vpc-attachment";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Problems, integerBetween } from "../errors";
import { limitProblem, overLimit, vpcNames } from "../naming";
import { subnetLayout } from "./cidr";

export type NatMode = "single" | "per-az" | "none";

export interface VpcNetworkProps {
  /** The VPC's name; subnets, gateways and route tables are named after it. */
  readonly name: string;
  /** The VPC's IPv4 CIDR block; it is split into one public and one private subnet per AZ. */
  readonly cidr: string;
  /** How many Availability Zones the subnets span. @default 2 */
  readonly azCount?: number;
  /** NAT gateways: one shared, one per AZ, or none (private subnets without internet egress). @default "single" */
  readonly natMode?: NatMode;
  /** The region, for the default AZ names. */
  readonly region: string;
  /** The AZs by name, one per AZ. @default the region's first ones: `<region>a`, `<region>b`, ... */
  readonly availabilityZones?: string[];
  /** A Transit Gateway to attach the private subnets to. @default no attachment */
  readonly transitGatewayId?: string;
}

/** How many NAT gateways a mode creates for a number of AZs. */
export function natGatewayCount(mode: NatMode, azCount: number): number {
  return mode === "none" ? 0 : mode === "single" ? 1 : azCount;
}

/**
 * A VPC with a public and a private subnet in each AZ, an internet gateway for the public tier, NAT for
 * the private tier as the mode says, a default security group with no rules (so nothing lands in an
 * open group by accident), and an optional Transit Gateway attachment of the private subnets.
 */
export class VpcNetwork extends Construct {
  public readonly vpc: Vpc;
  public readonly vpcId: string;
  public readonly publicSubnetIds: string[];
  public readonly privateSubnetIds: string[];
  public readonly natGateways: NatGateway[];

  constructor(scope: Construct, id: string, props: VpcNetworkProps) {
    super(scope, id);
    const azCount = props.azCount ?? 2;
    const natMode = props.natMode ?? "single";
    const problems = new Problems();
    problems.check("azCount", azCount, integerBetween(1, 6), "must be an integer from 1 to 6 (a public and a private subnet in each AZ)");
    // The subnets' blocks are computed at synth, so the VPC's block cannot be a token.
    const layout = problems.all.length === 0 ? subnetLayout(props.cidr, azCount) : undefined;
    if (problems.all.length === 0 && !layout) {
      problems.add(`cidr must be an IPv4 block that holds a public and a private subnet in each of the ${azCount} AZs (2 × ${azCount} subnets), got ${JSON.stringify(props.cidr)}`);
    }
    if (props.availabilityZones && props.availabilityZones.length !== azCount) {
      problems.add(`availabilityZones must name one zone per AZ (azCount ${azCount}), got ${JSON.stringify(props.availabilityZones)}`);
    }
    const names = vpcNames(props.name);
    const last = Math.max(0, azCount - 1);
    problems.addAll(
      overLimit([names.vpc, names.defaultSecurityGroup, names.publicRoutes, names.subnet("public", last), names.subnet("private", last), names.natGateway(last), names.privateRoutes(last)]).map(
        (n) => `name makes ${limitProblem(n)}`,
      ),
    );
    problems.throwIfAny(this);

    const zoneNames = props.availabilityZones ?? Array.from({ length: azCount }, (_, i) => `${props.region}${"abcdef"[i]}`);
    // The zones are named, not "whatever is available": a zone AWS adds later must not move subnets.
    // The postcondition stops a plan when a named zone does not exist or is not available, rather
    // than letting element() wrap around and put two subnets of a tier in one zone.
    const zones = new DataAwsAvailabilityZones(this, "zones", {
      state: "available",
      filter: [{ name: "zone-name", values: zoneNames }],
      lifecycle: {
        postcondition: [
          {
            condition: `\${length(self.names) == ${zoneNames.length}}`,
            errorMessage: `Not all of the Availability Zones ${zoneNames.join(", ")} are available in this region; name existing ones in the stage's network.availabilityZones.`,
          },
        ],
      },
    });
    const az = (i: number) => Fn.element(zones.names, i);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: names.vpc.name },
    });
    this.vpcId = this.vpc.id;
    new DefaultSecurityGroup(this, "default-security-group", { vpcId: this.vpc.id, tags: { Name: names.defaultSecurityGroup.name } });

    const igw = new InternetGateway(this, "internet-gateway", { vpcId: this.vpc.id, tags: { Name: names.vpc.name } });
    const publicRoutes = new RouteTable(this, "public-routes", {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: { Name: names.publicRoutes.name },
    });

    const publicSubnets = layout!.public.map(
      (cidrBlock, i) =>
        new Subnet(this, `public-${i + 1}`, {
          vpcId: this.vpc.id,
          cidrBlock,
          availabilityZone: az(i),
          // Public subnets hold load balancers and NAT gateways, never instances with public IPs.
          mapPublicIpOnLaunch: false,
          tags: { Name: names.subnet("public", i).name, tier: "public" },
        }),
    );
    publicSubnets.forEach(
      (subnet, i) => new RouteTableAssociation(this, `public-${i + 1}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id }),
    );

    this.natGateways = Array.from({ length: natGatewayCount(natMode, azCount) }, (_, i) => {
      const eip = new Eip(this, `nat-${i + 1}-address`, { domain: "vpc", tags: { Name: names.natGateway(i).name } });
      return new NatGateway(this, `nat-${i + 1}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i].id,
        tags: { Name: names.natGateway(i).name },
        dependsOn: [igw],
      });
    });

    const privateSubnets = layout!.private.map((cidrBlock, i) => {
      const subnet = new Subnet(this, `private-${i + 1}`, {
        vpcId: this.vpc.id,
        cidrBlock,
        availabilityZone: az(i),
        tags: { Name: names.subnet("private", i).name, tier: "private" },
      });
      const nat = this.natGateways.length === 0 ? undefined : this.natGateways[natMode === "per-az" ? i : 0];
      const routes = new RouteTable(this, `private-${i + 1}-routes`, {
        vpcId: this.vpc.id,
        route: nat ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] : [],
        tags: { Name: names.privateRoutes(i).name },
      });
      new RouteTableAssociation(this, `private-${i + 1}-association`, { subnetId: subnet.id, routeTableId: routes.id });
      return subnet;
    });

    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);

    if (props.transitGatewayId) {
      new Ec2TransitGatewayVpcAttachment(this, "transit-gateway", {
        transitGatewayId: props.transitGatewayId,
        vpcId: this.vpc.id,
        subnetIds: this.privateSubnetIds,
        tags: { Name: names.vpc.name },
      });
    }
  }
}
