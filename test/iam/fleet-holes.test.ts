import { ATTACHED_POLICY_LIMIT, chunkStatements } from "@acme/apps-platform-constructs/iam";
import { controlPlaneTaskStatements } from "@acme/apps-platform-constructs/policy";
import { synthPlatform } from "../helpers";
import { fleetTenantsConfig } from "../fixtures/fleet-configs";
import { FOREIGN_ACCOUNT, FOREIGN_BUCKET_POLICY, FleetSearch, fleetDecision, fleetSearch } from "./fleet-surface";

/**
 * The holes the fleet's surface search found, one exact request each, so that each stays closed
 * whatever the search becomes. Each failed on the policies as the fleet landed.
 */
describe("the fleet holes found by the surface search stay closed", () => {
  const config = fleetTenantsConfig();
  const synthesized = synthPlatform(config);
  const R = "eu-central-1";
  const DEV = "222222222222";
  let s: FleetSearch;
  beforeAll(async () => {
    s = await fleetSearch(config, synthesized);
  });
  const decide = (role: string, action: string, resource: string, context: Record<string, string | string[]> = {}, more: { resourceAccount?: string; resourcePolicy?: typeof FOREIGN_BUCKET_POLICY } = {}) => {
    const p = s.principals.find((x) => x.role.name === role);
    if (!p) throw new Error(`no fleet role ${role}`);
    return fleetDecision(p, s, { action, resource, context, ...more });
  };
  const elsewhere = { resourceAccount: FOREIGN_ACCOUNT, resourcePolicy: FOREIGN_BUCKET_POLICY };

  it.each([
    ["accessos-acme-dev-task", "s3:PutObject", "arn:aws:s3:::acme-accessos-dev-evidence/tenants/acme/report.json", {}],
    ["accessos-acme-dev-task", "s3:ListBucket", "arn:aws:s3:::acme-accessos-dev-evidence", { "s3:prefix": "tenants/acme/" }],
    ["accessos-globex-dev-task", "s3:GetObject", "arn:aws:s3:::acme-accessos-globex-dev/report.json", {}],
    ["accessos-dev-routing-snapshot-publisher", "s3:PutObject", "arn:aws:s3:::acme-accessos-dev-routing/snapshots/current.json", {}],
    ["accessos-dev-router", "s3:GetObject", "arn:aws:s3:::acme-accessos-dev-routing/snapshots/current.json", {}],
  ] as [string, string, string, Record<string, string>][])("1. %s %s reaches its own %s only in its own account, not a bucket of that name someone else holds", async (role, action, resource, context) => {
    expect(await decide(role, action, resource, context)).toBe("Allowed");
    expect(await decide(role, action, resource, context, elsewhere)).not.toBe("Allowed");
  });

  const masterSecret = `arn:aws:secretsmanager:${R}:${DEV}:secret:rds!cluster-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-AbCdEf`;
  const ofCluster = (name: string) => ({ "aws:ResourceTag/aws:rds:primaryDBClusterArn": `arn:aws:rds:${R}:${DEV}:cluster:${name}` });

  it.each([
    ["a pool tenant's name, had it a cluster", "accessos-acme-dev"],
    ["a look-alike of a silo tenant's", "accessos-globex-x-dev"],
    ["an id that is the stage", "accessos-dev-dev"],
    ["a cluster made outside the platform", "accessos-reporting-dev"],
  ])("2. the tenant registry cannot read the master secret of %s (%s), which <product>-*-<stage> matched", async (_, cluster) => {
    expect(await decide("accessos-dev-tenant-registry", "secretsmanager:GetSecretValue", masterSecret, ofCluster(cluster))).not.toBe("Allowed");
  });

  it.each(["accessos-dev-pool", "accessos-globex-dev", "accessos-globex-prod-dev", "accessos-initech-dev"])("2. the tenant registry reads the master secret of the stage's pool or silo cluster %s", async (cluster) => {
    expect(await decide("accessos-dev-tenant-registry", "secretsmanager:GetSecretValue", masterSecret, ofCluster(cluster))).toBe("Allowed");
  });

  it("2. names every silo cluster of a stage, in statements that fit the registry role's managed policies for 400 silo tenants", () => {
    const ids = Array.from({ length: 400 }, (_, i) => `tenant-with-a-long-id-${String(i).padStart(4, "0")}`);
    const statements = controlPlaneTaskStatements({ partition: "aws", region: R, accountId: DEV, organisation: "acme", product: "accessos", stage: "dev" }, "tenant-registry", ids);
    const named = statements.filter((st) => st.Sid?.startsWith("ReadDatabaseMasterSecrets")).flatMap((st) => (st.Condition as Record<string, Record<string, string[]>>).StringEquals["aws:ResourceTag/aws:rds:primaryDBClusterArn"]);
    expect(named).toHaveLength(401);
    expect(new Set(named).size).toBe(401);
    expect(chunkStatements(statements).length).toBeLessThanOrEqual(ATTACHED_POLICY_LIMIT);
  });

  const fleetKey = `arn:aws:kms:${R}:${DEV}:key/0a1b2c3d4e5f6a7b`;
  const throughService = (service: string, context: Record<string, string>) => ({ "kms:ResourceAliases": ["alias/apps-platform/dev/fleet/accessos"], "kms:ViaService": `${service}.${R}.amazonaws.com`, ...context });

  it.each([
    ["acme's secret", `arn:aws:secretsmanager:${R}:${DEV}:secret:/accessos/dev/acme/oauth-client-secret-AbCdEf`],
    ["globex's secret", `arn:aws:secretsmanager:${R}:${DEV}:secret:/accessos/dev/globex/oauth-client-secret-AbCdEf`],
    ["a platform service's secret", `arn:aws:secretsmanager:${R}:${DEV}:secret:apps-platform/services/dev/payments-api/x-AbCdEf`],
  ])("3. the tenant registry decrypts through Secrets Manager the master secrets only, not %s", async (_, secret) => {
    const decrypt = (arn: string) => decide("accessos-dev-tenant-registry", "kms:Decrypt", fleetKey, throughService("secretsmanager", { "kms:EncryptionContext:SecretARN": arn }));
    expect(await decrypt(secret)).not.toBe("Allowed");
    expect(await decrypt(masterSecret)).toBe("Allowed");
  });

  it.each([
    ["accessos-dev-tenant-registry", "accessos-prod-tenants"],
    ["accessos-dev-licensing", "acme-payments-api-tflock"],
    ["accessos-dev-routing-snapshot-publisher", "accessos-dev-tenants-x"],
  ])("4. %s decrypts through DynamoDB the registry only, not the table %s", async (role, table) => {
    const decrypt = (name: string) => decide(role, "kms:Decrypt", fleetKey, throughService("dynamodb", { "kms:EncryptionContext:aws:dynamodb:tableName": name, "kms:EncryptionContext:aws:dynamodb:subscriberId": DEV }));
    expect(await decrypt(table)).not.toBe("Allowed");
    expect(await decrypt("accessos-dev-tenants")).toBe("Allowed");
  });
});

/**
 * What IAM cannot express in the fleet, pinned as it is so that docs/isolation.md ("Tenant fleets")
 * stays true: if one of these changes, the residual it documents has changed too.
 */
describe("the fleet's residuals, as documented", () => {
  const config = fleetTenantsConfig();
  const synthesized = synthPlatform(config);
  let s: FleetSearch;
  beforeAll(async () => {
    s = await fleetSearch(config, synthesized);
  });
  const task = (id: string) => s.principals.find((p) => p.role.name === `accessos-${id}-dev-task`)!;
  const connect = (id: string, cluster: string, user: string) => fleetDecision(task(id), s, { action: "rds-db:connect", resource: `arn:aws:rds-db:eu-central-1:222222222222:dbuser:${cluster}/${user}` });

  it("names the database user only: a tenant's own user is granted on every cluster of the stage account, whose resource id IAM cannot know before it exists", async () => {
    for (const cluster of ["cluster-POOL0000000000000000000000", "cluster-GLOBEXSILO000000000000000", "cluster-PAYMENTSAPI0000000000000"]) {
      expect(await connect("acme", cluster, "tenant_acme")).toBe("Allowed");
      expect(await connect("globex", cluster, "tenant_globex")).toBe("Allowed");
    }
    // Never as another's user or the master user, on any cluster.
    for (const user of ["tenant_acme_corp", "tenant_globex", "app", "postgres"]) expect(await connect("acme", "cluster-POOL0000000000000000000000", user)).not.toBe("Allowed");
  });
});
