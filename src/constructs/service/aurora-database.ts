import { Construct } from "constructs";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { skipCheck } from "../../checks";

export const POSTGRES_PORT = 5432;

export interface AuroraDatabaseProps {
  /** The cluster identifier; subnet group, security group and instance are named after it. */
  readonly name: string;
  readonly vpcId: string;
  /** The environment's private subnets. */
  readonly subnetIds: string[];
  /** The only security group admitted to the database port: the service's. */
  readonly clientSecurityGroupId: string;
  /** The platform key: storage, the managed master password and Performance Insights. */
  readonly kmsKeyArn: string;
  /** Capacity units when idle; 0 lets the cluster pause. @default 0 */
  readonly minCapacity?: number;
  /** Capacity units at most. @default 1 */
  readonly maxCapacity?: number;
  /** A short-lived stage: no deletion protection, no final snapshot. @default false */
  readonly ephemeral?: boolean;
}

/**
 * Aurora Serverless v2 PostgreSQL. The master password is generated and rotated by RDS in Secrets
 * Manager (encrypted with the platform key), so it never appears in Terraform state or plans.
 */
export class AuroraDatabase extends Construct {
  public readonly cluster: RdsCluster;
  public readonly securityGroup: SecurityGroup;
  /** The ARN of the RDS-managed secret with the master credentials. */
  public readonly connectionSecretArn: string;
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: AuroraDatabaseProps) {
    super(scope, id);
    const minCapacity = props.minCapacity ?? 0;
    const maxCapacity = props.maxCapacity ?? 1;
    const ephemeral = props.ephemeral ?? false;

    const subnets = new DbSubnetGroup(this, "subnets", { name: props.name, subnetIds: props.subnetIds, description: `${props.name} private subnets` });
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${props.name}-db`,
      description: `${props.name}: PostgreSQL from the service only`,
      vpcId: props.vpcId,
    });
    new VpcSecurityGroupIngressRule(this, "from-service", {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: props.clientSecurityGroupId,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: "PostgreSQL from the service",
    });

    // Slow statements and schema changes go to the exported PostgreSQL log.
    const parameters = new RdsClusterParameterGroup(this, "parameters", {
      name: props.name,
      family: "aurora-postgresql16",
      description: `${props.name}: query logging`,
      parameter: [
        { name: "log_statement", value: "ddl" },
        { name: "log_min_duration_statement", value: "1000" },
      ],
    });
    this.cluster = new RdsCluster(this, "cluster", {
      dbClusterParameterGroupName: parameters.name,
      clusterIdentifier: props.name,
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      // 16.3 and later scale to 0 capacity units.
      engineVersion: "16.6",
      serverlessv2ScalingConfiguration: { minCapacity, maxCapacity },
      masterUsername: "app",
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.kmsKeyArn,
      storageEncrypted: true,
      kmsKeyId: props.kmsKeyArn,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      iamDatabaseAuthenticationEnabled: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      backupRetentionPeriod: 7,
      copyTagsToSnapshot: true,
      deletionProtection: !ephemeral,
      skipFinalSnapshot: ephemeral,
      finalSnapshotIdentifier: ephemeral ? undefined : `${props.name}-final`,
    });
    const instance = new RdsClusterInstance(this, "instance", {
      identifier: `${props.name}-1`,
      clusterIdentifier: this.cluster.id,
      instanceClass: "db.serverless",
      engine: this.cluster.engine,
      engineVersion: this.cluster.engineVersion,
      autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: props.kmsKeyArn,
    });
    skipCheck(instance, "CKV_AWS_118", "enhanced monitoring needs a monitoring role per service; Performance Insights and the exported PostgreSQL log cover it");
    if (ephemeral) skipCheck(this.cluster, "CKV_AWS_139", "an ephemeral stage's database is destroyed with the stage");
    skipCheck(this.cluster, "CKV2_AWS_8", "backups are RDS's automated ones (7 days); an AWS Backup plan is an organisation-wide choice");
    this.connectionSecretArn = this.cluster.masterUserSecret.get(0).secretArn;
    this.endpoint = this.cluster.endpoint;
  }
}
