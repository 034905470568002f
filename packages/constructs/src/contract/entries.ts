import { PLATFORM } from "../naming";

/**
 * The environment contract: what the environment stack of a stage publishes as SSM parameters and
 * what every other stack of that stage reads. Stacks never reference each other directly (cross-stack
 * references break with one workspace per stage), so these names are the only coupling between them.
 */
export const CONTRACT = {
  vpcId: { key: "vpc-id", type: "String", description: "The stage VPC's id." },
  vpcCidr: { key: "vpc-cidr", type: "String", description: "The stage VPC's IPv4 CIDR block." },
  privateSubnetIds: { key: "private-subnet-ids", type: "StringList", description: "Private subnet ids, one per AZ." },
  publicSubnetIds: { key: "public-subnet-ids", type: "StringList", description: "Public subnet ids, one per AZ." },
  zoneId: { key: "zone-id", type: "String", description: "The stage's Route 53 hosted zone id." },
  zoneName: { key: "zone-name", type: "String", description: "The stage's Route 53 hosted zone name." },
  platformKeyArn: { key: "platform-kms-key-arn", type: "String", description: "The platform KMS key's ARN." },
} as const;

export type ContractEntry = keyof typeof CONTRACT;
export const CONTRACT_ENTRIES = Object.keys(CONTRACT) as ContractEntry[];

/** The SSM parameter path under which a stage's contract lives. */
export function contractPrefix(stage: string): string {
  return `/${PLATFORM}/${stage}/`;
}

export function contractParameterName(stage: string, entry: ContractEntry): string {
  return `${contractPrefix(stage)}${CONTRACT[entry].key}`;
}

/**
 * The per-service part of a stage's contract: the network objects onboarding made for one service,
 * under `/apps-platform/<stage>/services/<slug>/`. Only that service's roles may read them.
 */
export const SERVICE_CONTRACT = {
  serviceSecurityGroupId: { key: "service-security-group-id", description: "The security group the service's compute runs in." },
  databaseSecurityGroupId: { key: "database-security-group-id", description: "The security group of the service's database, open to the service's group only." },
  vpcConnectorArn: { key: "vpc-connector-arn", description: "The App Runner VPC connector the service's egress goes through (App Runner services only)." },
} as const;

export type ServiceContractEntry = keyof typeof SERVICE_CONTRACT;

export function serviceParameterName(parameterPrefix: string, entry: ServiceContractEntry): string {
  return `${parameterPrefix}${SERVICE_CONTRACT[entry].key}`;
}
