import { AuroraDatabase, AuroraDatabaseProps, DATABASE_DEFAULTS } from "@acme/apps-platform-constructs/service";
import { serviceStageNames } from "@acme/apps-platform-constructs/naming";
import { emptyStack, one, synthWith, validationError } from "../helpers";

const n = serviceStageNames("orders", "dev");
const names = { cluster: n.databaseCluster, instance: n.databaseInstance, subnetGroup: n.databaseSubnetGroup, parameterGroup: n.databaseParameterGroup, finalSnapshot: n.finalSnapshot };
const kmsKeyArn = "arn:aws:kms:eu-central-1:222222222222:key/1111";
const base: AuroraDatabaseProps = { names, subnetIds: ["subnet-a", "subnet-b"], securityGroupId: "sg-0database", kmsKeyArn };
const synth = (props: Partial<AuroraDatabaseProps> = {}) => synthWith((stack) => new AuroraDatabase(stack, "database", { ...base, ...props }));

describe("AuroraDatabase", () => {
  it("is Aurora Serverless v2 PostgreSQL 16 at DATABASE_DEFAULTS' capacity, encrypted with the given key", () => {
    const cluster = one(synth(), "aws_rds_cluster");
    expect(DATABASE_DEFAULTS).toEqual({ minCapacity: 0, maxCapacity: 1 });
    expect(cluster).toMatchObject({
      cluster_identifier: "orders-dev",
      engine: "aurora-postgresql",
      engine_mode: "provisioned",
      engine_version: "16.6",
      serverlessv2_scaling_configuration: { min_capacity: 0, max_capacity: 1 },
      storage_encrypted: true,
      kms_key_id: kmsKeyArn,
      iam_database_authentication_enabled: true,
      enabled_cloudwatch_logs_exports: ["postgresql"],
      backup_retention_period: 7,
      copy_tags_to_snapshot: true,
    });
  });

  it("lets RDS keep the master password in Secrets Manager with the given key: never in state", () => {
    const json = synth();
    const cluster = one(json, "aws_rds_cluster");
    expect(cluster).toMatchObject({ manage_master_user_password: true, master_user_secret_kms_key_id: kmsKeyArn, master_username: "app" });
    expect(cluster.master_password).toBeUndefined();
    expect(Object.keys(json.resource ?? {})).not.toContain("random_password");
  });

  it("stays in the private subnets behind the security group it is given", () => {
    const json = synth();
    expect(one(json, "aws_db_subnet_group")).toMatchObject({ name: "orders-dev", subnet_ids: ["subnet-a", "subnet-b"] });
    expect(one(json, "aws_rds_cluster").vpc_security_group_ids).toEqual(["sg-0database"]);
  });

  it("guards against deletion outside ephemeral stages: deletion protection and a final snapshot, prevent_destroy on request", () => {
    expect(one(synth(), "aws_rds_cluster")).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, final_snapshot_identifier: "orders-dev-final" });
    expect(one(synth(), "aws_rds_cluster").lifecycle).toBeUndefined();
    expect(one(synth({ preventDestroy: true }), "aws_rds_cluster").lifecycle).toEqual({ prevent_destroy: true });
    const ephemeral = one(synth({ ephemeral: true }), "aws_rds_cluster");
    expect(ephemeral).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    expect(ephemeral.final_snapshot_identifier).toBeUndefined();
  });

  it("logs slow statements and schema changes, and watches the instance with Performance Insights under the same key", () => {
    const json = synth({ minCapacity: 0.5, maxCapacity: 4 });
    expect(one(json, "aws_rds_cluster_parameter_group")).toMatchObject({ name: "orders-dev", family: "aurora-postgresql16", parameter: [{ name: "log_statement", value: "ddl" }, { name: "log_min_duration_statement", value: "1000" }] });
    expect(one(json, "aws_rds_cluster_instance")).toMatchObject({ identifier: "orders-dev-1", instance_class: "db.serverless", performance_insights_enabled: true, performance_insights_kms_key_id: kmsKeyArn });
    expect(one(json, "aws_rds_cluster").serverlessv2_scaling_configuration).toEqual({ min_capacity: 0.5, max_capacity: 4 });
  });

  it("exposes the master secret's ARN, not its value", () => {
    synthWith((stack) => expect(new AuroraDatabase(stack, "database", base).connectionSecretArn).toMatch(/TfToken/));
  });

  it.each([
    ["capacities out of range", { minCapacity: -1, maxCapacity: 300 }, ["minCapacity must be from 0 to 256 capacity units, got -1", "maxCapacity must be from 1 to 256 capacity units, got 300"]],
    ["a maximum below the minimum", { minCapacity: 4, maxCapacity: 2 }, ["maxCapacity must be at least minCapacity (4), got 2"]],
    [
      "identifiers RDS does not take",
      { names: { ...names, cluster: { ...names.cluster, name: "1orders" }, finalSnapshot: { ...names.finalSnapshot, name: "orders--final" } } },
      [
        'names: the Aurora cluster identifier must be a letter, then letters, digits and single hyphens, not ending with a hyphen, got "1orders"',
        'names: the Aurora final snapshot identifier must be a letter, then letters, digits and single hyphens, not ending with a hyphen, got "orders--final"',
      ],
    ],
    ["a name over its limit", { names: { ...names, instance: { ...names.instance, name: `o${"-x".repeat(32)}` } } }, [`names: the Aurora instance identifier "o${"-x".repeat(32)}" is 65 characters long; AWS allows at most 63`]],
  ])("refuses %s, with every problem at once", (_, props, problems) => {
    const error = validationError(() => new AuroraDatabase(emptyStack(), "database", { ...base, ...props }));
    expect(error.problems).toEqual(problems);
    expect(error.constructPath).toBe("test/database");
  });
});
