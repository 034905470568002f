import { Construct } from "constructs";
import { Aspects, TerraformOutput } from "cdktf";
import { DynamodbTableItem } from "@cdktf/provider-aws/lib/dynamodb-table-item";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { skipCheck } from "@acme/apps-platform-constructs/checks";
import { PlatformConfig } from "../src/config/schema";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { AccountProvider } from "@acme/apps-platform-constructs/core";
import { FargateService } from "@acme/apps-platform-constructs/fleet";
import { SecureBucket } from "@acme/apps-platform-constructs/fleet";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";
import { POSTGRES_PORT } from "../src/constructs/onboarding/tenant-network";
import { AuroraDatabase } from "@acme/apps-platform-constructs/service";
import { FleetContractReader } from "../src/fleet/contract";
import { FleetStage, TenantInStage, webServices } from "../src/fleet/model";
import { PROVISIONING_SCHEMA_VERSION, ProvisioningInput, ProvisioningOutput } from "../src/fleet/provisioning";
import { IAM_PATHS, fleetNames, fleetTargetGroupName, fleetTenantNames, fleetTenantServiceNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { FleetTenantScope, evidenceLocation, fleetExecutionStatements, fleetTaskStatements } from "@acme/apps-platform-constructs/policy";
import { serviceAssumesRole } from "@acme/apps-platform-constructs/policy";
import { MandatoryTagsAspect } from "@acme/apps-platform-constructs/tagging";
import { PlatformStack } from "./platform-stack";
import { fleetScope, imageUri, tenantRepositories } from "./fleet-common";

/** The tag that names a fleet tenant on every resource of its stack. */
export const TENANT_TAG = "tenant";

/**
 * One fleet tenant's service set in one stage: its roles, security group, storage scope (a prefix of
 * the pool bucket and a user of the pool database, or a bucket and database of its own), secrets,
 * ECS services with their target groups and listener rules, its host name, and its registry item.
 */
export class TenantStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig, fleetStage: FleetStage, t: TenantInStage) {
    const fleet = config.fleet!;
    const stage = fleetStage.stage;
    const id = t.tenant.id;
    super(scope, stackNames.tenant(id, stage), { config, kind: "tenant", unit: `${fleet.product}-${id}`, stage, app: fleet.product });
    Aspects.of(this).add(new MandatoryTagsAspect({ [TENANT_TAG]: id }));
    const stageConfig = config.stages[stage];
    const s: FleetTenantScope = { ...fleetScope(config, this.partition, stage), id, tier: t.tenant.tier };
    const f = fleetNames(config.organisation, fleet.product, stage);
    const n = fleetTenantNames(config.organisation, fleet.product, id, stage);
    const protect = !t.tenant.allowDestroy;
    const host = `${id}.${fleetStage.domain}`;

    new AccountProvider(this, "platform-account", { region: config.region, partition: this.partition, accountId: stageConfig.accountId, roleName: config.platformRoleName });
    const env = new ContractReader(this, "contract", { stage });
    const fc = new FleetContractReader(this, "fleet-contract", f.parameterPrefix.name);
    const vpcId = env.value("vpcId");
    const privateSubnetIds = env.list("privateSubnetIds");
    const keyArn = fc.value("keyArn");

    const trust = [serviceAssumesRole("ecs-tasks.amazonaws.com", stageConfig.accountId)];
    const taskRole = new PolicyRole(this, "task-role", { roleName: n.taskRole.name, path: IAM_PATHS.fleetTask, trust, statements: fleetTaskStatements(s) });
    const executionRole = new PolicyRole(this, "execution-role", {
      roleName: n.executionRole.name,
      path: IAM_PATHS.fleetExecution,
      trust,
      statements: fleetExecutionStatements(s, tenantRepositories(fleet)),
    });

    // The tenant's network identity: reached only from the shared ingress (or the router), out to AWS APIs and its database.
    const web = webServices(fleet.services);
    const tasks = new SecurityGroup(this, "tasks-sg", { name: n.securityGroup.name, description: `${fleet.product} ${id} ${stage}: the tenant's tasks`, vpcId });
    const from = fleet.routing === "router" ? fc.value("controlPlaneSecurityGroupId") : fc.value("loadBalancerSecurityGroupId");
    for (const port of [...new Set(web.map((w) => w.spec.port!))].sort((a, b) => a - b)) {
      new VpcSecurityGroupIngressRule(this, `tasks-from-ingress-${port}`, {
        securityGroupId: tasks.id,
        referencedSecurityGroupId: from,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description: fleet.routing === "router" ? `Port ${port} from the router` : `Port ${port} from the shared load balancers`,
      });
    }
    new VpcSecurityGroupEgressRule(this, "tasks-https", { securityGroupId: tasks.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS to AWS APIs" });

    // Storage scope.
    const evidence = evidenceLocation(s);
    let databaseHost: string;
    let databaseName: string;
    const securityGroupIds = [tasks.id];
    if (t.tenant.tier === "silo") {
      new SecureBucket(this, "evidence", {
        bucketName: n.siloBucket.name,
        purpose: `${id}'s evidence`,
        kmsKeyArn: keyArn,
        partition: this.partition,
        accessLogBucket: f.accessLogBucket.name,
        protect,
      });
      const dbSg = new SecurityGroup(this, "database-sg", { name: n.siloDatabaseSecurityGroup.name, description: `${fleet.product} ${id} ${stage}: PostgreSQL from the tenant's tasks only`, vpcId });
      new VpcSecurityGroupIngressRule(this, "database-from-tasks", { securityGroupId: dbSg.id, referencedSecurityGroupId: tasks.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, description: "PostgreSQL from the tenant's tasks" });
      new VpcSecurityGroupEgressRule(this, "tasks-to-database", { securityGroupId: tasks.id, referencedSecurityGroupId: dbSg.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, description: "PostgreSQL to the tenant's own database" });
      const db = new AuroraDatabase(this, "database", {
        names: { cluster: n.siloCluster, instance: n.siloInstance, subnetGroup: n.siloSubnetGroup, parameterGroup: n.siloParameterGroup, finalSnapshot: n.siloFinalSnapshot },
        subnetIds: privateSubnetIds,
        securityGroupId: dbSg.id,
        kmsKeyArn: keyArn,
        minCapacity: fleet.siloDatabase.minCapacity,
        maxCapacity: fleet.siloDatabase.maxCapacity,
        ephemeral: !protect,
        preventDestroy: protect,
      });
      databaseHost = db.endpoint;
      databaseName = "postgres";
    } else {
      databaseHost = fc.value("poolDatabaseEndpoint");
      databaseName = "postgres";
      securityGroupIds.push(fc.value("poolClientsSecurityGroupId"));
    }

    // Secrets: created empty under the tenant's path; values are put out of band and injected by ECS.
    const secrets = new Map<string, SecretsmanagerSecret>();
    for (const secret of fleet.secrets) {
      const resource = new SecretsmanagerSecret(this, `secret-${secret.name}`, {
          name: `${n.secretPrefix.name}${secret.name}`,
          description: secret.description ?? `${fleet.product} ${id} ${stage}: ${secret.environmentVariable}`,
          kmsKeyId: keyArn,
        recoveryWindowInDays: protect ? 30 : 7,
        lifecycle: { preventDestroy: protect },
      });
      skipCheck(resource, "CKV2_AWS_57", "a credential issued by a third party to the tenant, put in and rotated out of band; no rotation function can renew it");
      secrets.set(secret.name, resource);
    }

    // The service set.
    const albIndex = t.place.loadBalancer;
    const serviceUrls: Record<string, string> = {};
    const baseEnvironment = {
      PRODUCT: fleet.product,
      STAGE: stage,
      TENANT_ID: id,
      TENANT_TIER: t.tenant.tier,
      EVIDENCE_BUCKET: evidence.bucket,
      EVIDENCE_PREFIX: evidence.prefix,
      DB_HOST: databaseHost,
      DB_PORT: String(POSTGRES_PORT),
      DB_NAME: databaseName,
      DB_USER: n.databaseUser.name,
    };
    for (const [name, svc] of Object.entries(fleet.services)) {
      const sn = fleetTenantServiceNames(fleet.product, id, stage, name);
      const w = web.find((x) => x.name === name);
      const priority = t.priorities.get(name);
      new FargateService(this, name, {
        // By name: the fleet's cluster in this account, which the provider keeps as a name in state.
        cluster: f.cluster.name,
        clusterName: f.cluster.name,
        serviceName: sn.ecsService.name,
        family: sn.taskFamily.name,
        image: imageUri(s, svc.repository ?? `${fleet.product}/${name}`, t.image),
        cpu: svc.cpu,
        memory: svc.memory,
        desiredCount: svc.desiredCount,
        maxCount: svc.maxCount,
        paused: t.paused,
        port: svc.port,
        environment: { ...svc.environment, ...baseEnvironment },
        secrets: Object.fromEntries(fleet.secrets.filter((x) => x.services.includes(name)).map((x) => [x.environmentVariable, secrets.get(x.name)!.arn])),
        taskRoleArn: taskRole.role.arn,
        executionRoleArn: executionRole.role.arn,
        subnetIds: privateSubnetIds,
        securityGroupIds,
        logGroupName: sn.logGroup.name,
        logKmsKeyArn: keyArn,
        region: config.region,
        alarmTopicArn: `arn:${this.partition}:sns:${config.region}:${stageConfig.accountId}:${f.alarmTopic.name}`,
        alarmPrefix: sn.alarm.name,
        routing:
          w && priority !== undefined
            ? {
                listenerArn: fc.loadBalancer("listenerArn", albIndex),
                loadBalancerArnSuffix: fc.loadBalancer("arnSuffix", albIndex),
                vpcId,
                targetGroupName: fleetTargetGroupName(fleet.product, id, stage, name),
                hosts: [host],
                path: w.path,
                priority,
                healthCheckPath: svc.healthCheckPath,
              }
            : undefined,
        discovery: w && fleet.routing === "router" ? { namespaceId: fc.value("namespaceId"), name: sn.discoveryService.name } : undefined,
      });
      if (w) serviceUrls[name] = fleet.routing === "router" ? `http://${sn.discoveryService.name}.${f.namespace.name}:${svc.port}` : `https://${host}${w.path ?? "/"}`;
    }
    if (fleet.routing === "hostHeader" && web.length > 0) {
      new Route53Record(this, "host-record", {
        zoneId: env.value("zoneId"),
        name: host,
        type: "A",
        alias: { name: fc.loadBalancer("dnsName", albIndex), zoneId: fc.loadBalancer("zoneId", albIndex), evaluateTargetHealth: true },
      });
    }

    const storage = { bucket: evidence.bucket, prefix: evidence.prefix };
    const database = { host: databaseHost, port: POSTGRES_PORT as 5432, name: databaseName, user: n.databaseUser.name, schema: n.databaseUser.name, authentication: "iam" as const };
    const input: ProvisioningInput = {
      schemaVersion: PROVISIONING_SCHEMA_VERSION,
      tenantId: id,
      product: fleet.product,
      stage,
      tier: t.tenant.tier,
      wave: t.tenant.wave,
      image: t.image,
      paused: t.paused,
      allowDestroy: t.tenant.allowDestroy,
      host,
      services: Object.keys(fleet.services),
      storage,
      database,
      secretsPath: n.secretPrefix.name,
    };
    new DynamodbTableItem(this, "registry-item", {
      tableName: f.registryTable.name,
      hashKey: "tenantId",
      // Plain JSON text (the endpoint is the one reference in it): reviewers read the item as DynamoDB gets it.
      item: JSON.stringify({
        tenantId: { S: id },
        tier: { S: t.tenant.tier },
        wave: { S: t.tenant.wave },
        paused: { BOOL: t.paused },
        parameters: { S: JSON.stringify(input) },
      }),
    });
    const output: ProvisioningOutput = {
      schemaVersion: PROVISIONING_SCHEMA_VERSION,
      tenantId: id,
      stage,
      tier: t.tenant.tier,
      url: `https://${host}`,
      serviceUrls,
      storage,
      database,
      secrets: { path: n.secretPrefix.name, names: fleet.secrets.map((x) => x.name) },
      roles: { task: taskRole.role.arn, execution: executionRole.role.arn },
      loadBalancer: albIndex + 1,
    };
    new TerraformOutput(this, "provisioning", { value: output, description: "The tenant's provisioning result (docs/fleet-provisioning.schema.json, $defs.output)." });
  }
}
