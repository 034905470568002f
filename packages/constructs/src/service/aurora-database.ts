import { Construct } from "constructs";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { skipCheck } from "../checks";

export interface AuroraDatabaseNames {
  readonly cluster: string;
  readonly instance: string;
  readonly subnetGroup: string;
  readonly parameterGroup: string;
  readonly finalSnapshot: string;
}

export interface AuroraDatabaseProps {
  /** Every name of the database's resources, from naming.ts, where their AWS limits are checked. */
  readonly names: AuroraDatabaseNames;
  /** The environment's private subnets. */
  readonly subnetIds: string[];
  /** The database's security group, which onboarding made to admit the service's group only. */
  readonly securityGroupId: string;
  /** The platform key: storage, the managed master password and Performance Insights. */
  readonly kmsKeyArn: string;
  /** Capacity units when idle; 0 lets the cluster pause. @default 0 */
  readonly minCapacity?: number;
  /** Capacity units at most. @default 1 */
  readonly maxCapacity?: number;
  /** A short-lived stage: no deletion protection, no final snapshot. @default false */
  readonly ephemeral?: boolean;
  /** Refuse, at plan, any plan that destroys the cluster (`prevent_destroy`). @default false */
  readonly preventDestroy?: boolean;
}

/**
 * Aurora Serverless v2 PostgreSQL. The master password is generated and rotated by RDS in Secrets
 * Manager (encrypted with the platform key), so it never appears in Terraform state or plans.
 */
export class AuroraDatabase extends Construct {
  public readonly cluster: RdsCluster;
  /** The ARN of the RDS-managed secret with the master credentials. */
  public readonly connectionSecretArn: string;
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: AuroraDatabaseProps) {
    super(scope, id);
    const minCapacity = props.minCapacity ?? 0;
    const maxCapacity = props.maxCapacity ?? 1;
    const ephemeral = props.ephemeral ?? false;

    const n = props.names;
    const subnets = new DbSubnetGroup(this, "subnets", { name: n.subnetGroup, subnetIds: props.subnetIds, description: `${n.cluster} private subnets` });

    // Slow statements and schema changes go to the exported PostgreSQL log.
    const parameters = new RdsClusterParameterGroup(this, "parameters", {
      name: n.parameterGroup,
      family: "aurora-postgresql16",
      description: `${n.cluster}: query logging`,
      parameter: [
        { name: "log_statement", value: "ddl" },
        { name: "log_min_duration_statement", value: "1000" },
      ],
    });
    this.cluster = new RdsCluster(this, "cluster", {
      dbClusterParameterGroupName: parameters.name,
      clusterIdentifier: n.cluster,
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
      vpcSecurityGroupIds: [props.securityGroupId],
      iamDatabaseAuthenticationEnabled: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      backupRetentionPeriod: 7,
      copyTagsToSnapshot: true,
      deletionProtection: !ephemeral,
      skipFinalSnapshot: ephemeral,
      finalSnapshotIdentifier: ephemeral ? undefined : n.finalSnapshot,
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    const instance = new RdsClusterInstance(this, "instance", {
      identifier: n.instance,
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
