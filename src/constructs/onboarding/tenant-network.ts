import { Construct } from "constructs";
import { TerraformProvider } from "cdktf";
import { ApprunnerVpcConnector } from "@cdktf/provider-aws/lib/apprunner-vpc-connector";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { skipCheck } from "@acme/apps-platform-constructs/checks";
import { SERVICE_CONTRACT, ServiceContractEntry, serviceParameterName } from "@acme/apps-platform-constructs/contract";

/** PostgreSQL's port, the only one a service's database group admits. */
export const POSTGRES_PORT = 5432;

export interface TenantNetworkProps {
  /** The provider of the stage's platform account. */
  readonly provider: TerraformProvider;
  /** Who the objects are for, in descriptions: `<slug> <stage>`. */
  readonly label: string;
  readonly vpcId: string;
  /** The stage's private subnets, for the VPC connector. */
  readonly privateSubnetIds: string[];
  readonly serviceSecurityGroupName: string;
  readonly databaseSecurityGroupName: string;
  /** The App Runner VPC connector's name, for App Runner services. @default no connector */
  readonly vpcConnectorName?: string;
  /** Where the ids are published for the service stack to read: `/apps-platform/<stage>/services/<slug>/`. */
  readonly parameterPrefix: string;
}

/**
 * A service's network identity in a stage, owned by the platform: the security group its compute runs
 * in, the one its database admits that group through, and (App Runner) the VPC connector its egress
 * uses. Onboarding makes them, so a tenant's deploy role never creates or changes a security group or
 * connector; it may only name its own connector (`apprunner:VpcConnectorArn`).
 */
export class TenantNetwork extends Construct {
  public readonly serviceSecurityGroup: SecurityGroup;
  public readonly databaseSecurityGroup: SecurityGroup;
  public readonly vpcConnector?: ApprunnerVpcConnector;

  constructor(scope: Construct, id: string, props: TenantNetworkProps) {
    super(scope, id);
    const { provider } = props;
    this.serviceSecurityGroup = new SecurityGroup(this, "service", {
      provider,
      name: props.serviceSecurityGroupName,
      description: `${props.label}: the service's compute`,
      vpcId: props.vpcId,
    });
    this.databaseSecurityGroup = new SecurityGroup(this, "database", {
      provider,
      name: props.databaseSecurityGroupName,
      description: `${props.label}: PostgreSQL from the service only`,
      vpcId: props.vpcId,
    });
    new VpcSecurityGroupEgressRule(this, "service-https", {
      provider,
      securityGroupId: this.serviceSecurityGroup.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      description: "HTTPS to AWS APIs and the internet",
    });
    new VpcSecurityGroupEgressRule(this, "service-to-database", {
      provider,
      securityGroupId: this.serviceSecurityGroup.id,
      referencedSecurityGroupId: this.databaseSecurityGroup.id,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: "PostgreSQL to the service's own database",
    });
    new VpcSecurityGroupIngressRule(this, "database-from-service", {
      provider,
      securityGroupId: this.databaseSecurityGroup.id,
      referencedSecurityGroupId: this.serviceSecurityGroup.id,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: "PostgreSQL from the service",
    });
    skipCheck(this.serviceSecurityGroup, "CKV2_AWS_5", "attached by the service stack (App Runner VPC connector or ECS service), which reads its id from the contract");
    skipCheck(this.databaseSecurityGroup, "CKV2_AWS_5", "attached to the service's Aurora cluster by the service stack");

    const values: Partial<Record<ServiceContractEntry, string>> = {
      serviceSecurityGroupId: this.serviceSecurityGroup.id,
      databaseSecurityGroupId: this.databaseSecurityGroup.id,
    };
    if (props.vpcConnectorName) {
      this.vpcConnector = new ApprunnerVpcConnector(this, "vpc-connector", {
        provider,
        vpcConnectorName: props.vpcConnectorName,
        subnets: props.privateSubnetIds,
        securityGroups: [this.serviceSecurityGroup.id],
      });
      values.vpcConnectorArn = this.vpcConnector.arn;
    }
    for (const [entry, value] of Object.entries(values) as [ServiceContractEntry, string][]) {
      const parameter = new SsmParameter(this, SERVICE_CONTRACT[entry].key, {
        provider,
        name: serviceParameterName(props.parameterPrefix, entry),
        type: "String",
        value,
        description: SERVICE_CONTRACT[entry].description,
      });
      skipCheck(parameter, "CKV2_AWS_34", "resource identifiers, not secrets; SecureString would make the service need the platform key to read its own ids");
    }
  }
}
