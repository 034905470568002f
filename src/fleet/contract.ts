import { Construct } from "constructs";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { skipCheck } from "@acme/apps-platform-constructs/checks";

/**
 * The fleet contract: what `fleet-<stage>` publishes under `/apps-platform/<stage>/fleet/<product>/`
 * and the tenant stacks read. As with the environment contract, stacks never reference each other.
 */
export const FLEET_CONTRACT = {
  keyArn: "The fleet KMS key's ARN.",
  loadBalancerSecurityGroupId: "The shared load balancers' security group.",
  controlPlaneSecurityGroupId: "The control plane's security group (the router's, in router mode).",
  poolClientsSecurityGroupId: "The group pool tenants' tasks join to reach the pool database.",
  poolDatabaseSecurityGroupId: "The pool database's security group.",
  poolDatabaseEndpoint: "The pool database's writer endpoint.",
  namespaceId: "The Cloud Map namespace tenants register in (router mode).",
} as const;
export type FleetContractEntry = keyof typeof FLEET_CONTRACT;

/** Per load balancer: `<key>-<n>`. */
export const FLEET_LB_CONTRACT = {
  listenerArn: "The HTTPS listener's ARN.",
  arnSuffix: "The load balancer's ARN suffix, for CloudWatch dimensions.",
  dnsName: "The load balancer's DNS name.",
  zoneId: "The load balancer's hosted zone id, for alias records.",
} as const;
export type FleetLbContractEntry = keyof typeof FLEET_LB_CONTRACT;

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function fleetParameterName(prefix: string, entry: FleetContractEntry): string {
  return `${prefix}${kebab(entry)}`;
}

export function fleetLbParameterName(prefix: string, entry: FleetLbContractEntry, index: number): string {
  return `${prefix}load-balancers/${index + 1}/${kebab(entry)}`;
}

/** Publishes one value of the fleet contract. */
export function publishFleetValue(scope: Construct, name: string, value: string, description: string): SsmParameter {
  const parameter = new SsmParameter(scope, `contract-${name.split("/").slice(-3).join("-")}`, { name, type: "String", value, description });
  skipCheck(parameter, "CKV2_AWS_34", "resource identifiers, not secrets; SecureString would make every reader need the fleet key");
  return parameter;
}

/** Reads the fleet contract; each parameter once, when first asked for. */
export class FleetContractReader extends Construct {
  private readonly read = new Map<string, DataAwsSsmParameter>();

  constructor(
    scope: Construct,
    id: string,
    private readonly prefix: string,
  ) {
    super(scope, id);
  }

  // Every entry is a String parameter of resource identifiers: read as insecure_value, which the
  // provider does not mark sensitive, so outputs built from them (the provisioning result) can be read.
  public value(entry: FleetContractEntry): string {
    return this.parameter(fleetParameterName(this.prefix, entry)).insecureValue;
  }

  public loadBalancer(entry: FleetLbContractEntry, index: number): string {
    return this.parameter(fleetLbParameterName(this.prefix, entry, index)).insecureValue;
  }

  private parameter(name: string): DataAwsSsmParameter {
    let p = this.read.get(name);
    if (!p) {
      p = new DataAwsSsmParameter(this, name.slice(this.prefix.length).replace(/\//g, "-"), { name });
      this.read.set(name, p);
    }
    return p;
  }
}
