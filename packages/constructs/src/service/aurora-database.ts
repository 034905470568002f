import { Construct } from "constructs";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { skipCheck } from "../checks";
import { Problems } from "../errors";
import { LimitedName, limitProblem, overLimit } from "../naming";
import { DATABASE_DEFAULTS, databaseProblems } from "./service-options";

/** The names of a database's resources, each with its AWS limit (from naming.ts). */
export interface AuroraDatabaseNames {
  /** The cluster identifier. */
  readonly cluster: LimitedName;
  /** The writer instance's identifier. */
  readonly instance: LimitedName;
  /** The DB subnet group's name. */
  readonly subnetGroup: LimitedName;
  /** The cluster parameter group's name. */
  readonly parameterGroup: LimitedName;
  /** The identifier of the snapshot RDS takes when the cluster is destroyed (outside ephemeral stages). */
  readonly finalSnapshot: LimitedName;
}

/**
 * RDS identifiers (clusters, instances, snapshots): a letter, then letters, digits and single
 * hyphens, not ending with a hyphen.
 */
const RDS_IDENTIFIER = /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/;

export interface AuroraDatabaseProps {
  /** Every name of the database's resources, from naming.ts with their AWS limits, which the construct checks. */
  readonly names: AuroraDatabaseNames;
  /** The environment's private subnets. */
  readonly subnetIds: string[];
  /** The database's security group, which onboarding made to admit the service's group only. */
  readonly securityGroupId: string;
  /** The platform key: storage, the managed master password and Performance Insights. */
  readonly kmsKeyArn: string;
  /** Capacity units when idle, 0 to 256; 0 lets the cluster pause. @default 0 (DATABASE_DEFAULTS.minCapacity) */
  readonly minCapacity?: number;
  /** Capacity units at most, 1 to 256 and at least minCapacity. @default 1 (DATABASE_DEFAULTS.maxCapacity) */
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
    const minCapacity = props.minCapacity ?? DATABASE_DEFAULTS.minCapacity;
    const maxCapacity = props.maxCapacity ?? DATABASE_DEFAULTS.maxCapacity;
    const ephemeral = props.ephemeral ?? false;

    const problems = new Problems();
    problems.addAll(databaseProblems({ minCapacity, maxCapacity }, ""));
    problems.check("maxCapacity", maxCapacity, (max) => typeof minCapacity !== "number" || max >= minCapacity, `must be at least minCapacity (${minCapacity})`);
    const identifiers = ephemeral ? [props.names.cluster, props.names.instance] : [props.names.cluster, props.names.instance, props.names.finalSnapshot];
    for (const id of identifiers) {
      problems.check(`names: the ${id.what}`, id.name, (v) => RDS_IDENTIFIER.test(v), "must be a letter, then letters, digits and single hyphens, not ending with a hyphen");
    }
    problems.addAll(overLimit(Object.values(props.names) as LimitedName[]).map((n) => `names: ${limitProblem(n)}`));
    problems.throwIfAny(this);

    const n = {
      cluster: props.names.cluster.name,
      instance: props.names.instance.name,
      subnetGroup: props.names.subnetGroup.name,
      parameterGroup: props.names.parameterGroup.name,
      finalSnapshot: props.names.finalSnapshot.name,
    };
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
