import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { skipCheck } from "@acme/apps-platform-constructs/checks";
import { PlatformConfig } from "../src/config/schema";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { AccountProvider } from "@acme/apps-platform-constructs/core";
import { FargateService } from "@acme/apps-platform-constructs/fleet";
import { FleetIngress } from "@acme/apps-platform-constructs/fleet";
import { ACCESS_LOG_PREFIX, SecureBucket } from "@acme/apps-platform-constructs/fleet";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";
import { EncryptionKey } from "@acme/apps-platform-constructs/kms";
import { POSTGRES_PORT } from "../src/constructs/onboarding/tenant-network";
import { AuroraDatabase } from "@acme/apps-platform-constructs/service";
import { EcrRepository } from "@acme/apps-platform-constructs/service";
import { FLEET_CONTRACT, FLEET_LB_CONTRACT, FleetContractEntry, FleetLbContractEntry, fleetLbParameterName, fleetParameterName, publishFleetValue } from "../src/fleet/contract";
import { FleetStage, apexServices, controlPlaneServices } from "../src/fleet/model";
import { IAM_PATHS, controlPlaneNames, fleetLoadBalancerName, controlPlaneTargetGroupName, fleetNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { FleetScope, controlPlaneExecutionStatements, controlPlaneTaskStatements, fleetKeyPolicy } from "@acme/apps-platform-constructs/policy";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { serviceAssumesRole } from "@acme/apps-platform-constructs/policy";
import { PlatformStack } from "./platform-stack";
import { fleetRepositories, fleetScope, imageUri } from "./fleet-common";

/** The router's rule comes after the control plane's apex rules (priorities 1 to 10). */
export const ROUTER_PRIORITY = 99;

/**
 * A tenant fleet's shared part in one stage (seed 001): the ECS cluster, the shared ingress, the
 * control plane, the tenant registry, the routing snapshot, the product's image repositories and the
 * pool tier's shared database and evidence bucket. Tenants' service sets are in tenant-<id>-<stage>.
 */
export class FleetStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig, fleetStage: FleetStage) {
    const fleet = config.fleet!;
    const stage = fleetStage.stage;
    super(scope, stackNames.fleet(stage), { config, kind: "fleet", unit: fleet.product, stage, app: fleet.product });
    const stageConfig = config.stages[stage];
    const s: FleetScope = fleetScope(config, this.partition, stage);
    const names = fleetNames(config.organisation, fleet.product, stage);
    const protect = !stageConfig.ephemeral;

    new AccountProvider(this, "platform-account", { region: config.region, partition: this.partition, accountId: stageConfig.accountId, roleName: config.platformRoleName });
    const env = new ContractReader(this, "contract", { stage });
    const vpcId = env.value("vpcId");
    const privateSubnetIds = env.list("privateSubnetIds");

    const key = new EncryptionKey(this, "key", {
      alias: names.keyAlias.name,
      description: `${fleet.product} ${stage}: tenant evidence, secrets, registry, logs`,
      policy: fleetKeyPolicy(s),
    });

    // Access logs of the load balancers and of the other buckets. SSE-S3: ALB log delivery takes no customer key.
    const elb = new DataAwsElbServiceAccount(this, "elb-account", {});
    const logs = new SecureBucket(this, "access-logs", {
      bucketName: names.accessLogBucket.name,
      purpose: "load balancer and bucket access logs",
      partition: this.partition,
      expireAfterDays: 365,
      protect,
      policyStatements: (arn): PolicyStatement[] => [
        { Sid: "LoadBalancersWriteAccessLogs", Effect: "Allow", Principal: { AWS: elb.arn }, Action: "s3:PutObject", Resource: `${arn}/*` },
        {
          Sid: "S3WritesServerAccessLogs",
          Effect: "Allow",
          Principal: { Service: "logging.s3.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${arn}/${ACCESS_LOG_PREFIX}*`,
          Condition: { StringEquals: { "aws:SourceAccount": stageConfig.accountId } },
        },
      ],
    });
    const evidence = new SecureBucket(this, "evidence", {
      bucketName: names.evidenceBucket.name,
      purpose: "pool tenants' evidence",
      kmsKeyArn: key.arn,
      // Each object is encrypted under its own ARN, which the tenants' key grants are confined to.
      bucketKey: false,
      partition: this.partition,
      accessLogBucket: logs.name,
      accessLogDependsOn: [logs.policy],
      protect,
    });
    const routing = new SecureBucket(this, "routing", {
      bucketName: names.routingBucket.name,
      purpose: "routing snapshots, rebuilt from the registry",
      kmsKeyArn: key.arn,
      partition: this.partition,
      accessLogBucket: logs.name,
      accessLogDependsOn: [logs.policy],
      noncurrentVersionDays: 30,
      protect: false,
    });

    const registry = new DynamodbTable(this, "registry", {
      name: names.registryTable.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "tenantId",
      attribute: [{ name: "tenantId", type: "S" }],
      serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: protect,
    });

    const repositories = fleetRepositories(fleet);
    const repos = repositories.map((name) => new EcrRepository(this, `repository-${name.replace(/\//g, "-")}`, { name, kmsKeyArn: key.arn, forceDelete: !protect }));

    const cluster = new EcsCluster(this, "cluster", { name: names.cluster.name, setting: [{ name: "containerInsights", value: "enhanced" }] });
    new EcsClusterCapacityProviders(this, "capacity-providers", {
      clusterName: cluster.name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    });
    const topic = new SnsTopic(this, "alarms", { name: names.alarmTopic.name, kmsMasterKeyId: key.arn });

    // Security groups: the control plane, the pool database, and the group pool tenants join to reach it.
    const sg = (id: string, name: string, description: string) => {
      const group = new SecurityGroup(this, id, { name, description, vpcId });
      return group;
    };
    const controlPlaneSg = sg("control-plane-sg", names.controlPlaneSecurityGroup.name, `${fleet.product} ${stage}: control plane tasks`);
    const poolClients = sg("pool-clients-sg", names.poolClientsSecurityGroup.name, `${fleet.product} ${stage}: pool tenants' tasks, to the pool database only`);
    const poolDbSg = sg("pool-db-sg", names.poolDatabaseSecurityGroup.name, `${fleet.product} ${stage}: PostgreSQL from pool tenants and the control plane`);
    skipCheck(poolClients, "CKV2_AWS_5", "attached to pool tenants' ECS services by their tenant stacks, which read its id from the fleet contract");
    new VpcSecurityGroupEgressRule(this, "control-plane-https", { securityGroupId: controlPlaneSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS to AWS APIs" });
    for (const [id, group] of [["control-plane", controlPlaneSg], ["pool-clients", poolClients]] as const) {
      new VpcSecurityGroupEgressRule(this, `${id}-to-pool-db`, { securityGroupId: group.id, referencedSecurityGroupId: poolDbSg.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, description: "PostgreSQL to the pool database" });
      new VpcSecurityGroupIngressRule(this, `pool-db-from-${id}`, { securityGroupId: poolDbSg.id, referencedSecurityGroupId: group.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, description: `PostgreSQL from ${id}` });
    }
    const pool = new AuroraDatabase(this, "pool-database", {
      names: { cluster: names.poolCluster, instance: names.poolInstance, subnetGroup: names.poolSubnetGroup, parameterGroup: names.poolParameterGroup, finalSnapshot: names.poolFinalSnapshot },
      subnetIds: privateSubnetIds,
      securityGroupId: poolDbSg.id,
      kmsKeyArn: key.arn,
      minCapacity: fleet.poolDatabase.minCapacity,
      maxCapacity: fleet.poolDatabase.maxCapacity,
      ephemeral: !protect,
      preventDestroy: protect,
    });

    // The shared ingress: as many load balancers as the placement needs (one in router mode).
    const cp = controlPlaneServices(fleet);
    const webPorts = [...Object.values(fleet.services), ...Object.values(cp)].flatMap((svc) => (svc.port ? [svc.port] : []));
    const ingress = new FleetIngress(this, "ingress", {
      loadBalancerNames: [...Array(fleetStage.placement.loadBalancers).keys()].map((i) => fleetLoadBalancerName(fleet.product, stage, i)),
      securityGroupName: names.loadBalancerSecurityGroup.name,
      vpcId,
      vpcCidr: stageConfig.network.cidr,
      publicSubnetIds: env.list("publicSubnetIds"),
      domain: fleetStage.domain,
      zoneId: env.value("zoneId"),
      accessLogBucket: logs.name,
      targetPorts: webPorts,
      deletionProtection: protect,
      // ELB checks that it may write to the bucket when access logs are turned on.
      dependsOn: [logs.policy],
    });
    for (const port of [...new Set(Object.values(cp).flatMap((svc) => (svc.port ? [svc.port] : [])))].sort((a, b) => a - b)) {
      new VpcSecurityGroupIngressRule(this, `control-plane-from-lb-${port}`, { securityGroupId: controlPlaneSg.id, referencedSecurityGroupId: ingress.securityGroup.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: `Port ${port} from the load balancers` });
    }
    const namespace = fleet.routing === "router" ? new ServiceDiscoveryPrivateDnsNamespace(this, "namespace", { name: names.namespace.name, vpc: vpcId, description: `${fleet.product} ${stage}: tenants' services, for the router` }) : undefined;
    if (namespace) {
      new VpcSecurityGroupEgressRule(this, "router-to-tenants", { securityGroupId: controlPlaneSg.id, cidrIpv4: stageConfig.network.cidr, ipProtocol: "tcp", fromPort: 1, toPort: 65535, description: "The router to tenants' services in the VPC" });
    }

    // The control plane.
    const executionRole = new PolicyRole(this, "control-plane-execution", {
      roleName: names.controlPlaneExecutionRole.name,
      path: IAM_PATHS.fleetControlPlane,
      trust: [serviceAssumesRole("ecs-tasks.amazonaws.com", stageConfig.accountId)],
      statements: controlPlaneExecutionStatements(s, [...new Set(Object.entries(cp).map(([n, svc]) => svc.repository ?? `${fleet.product}/${n}`))]),
    });
    const apex = new Map(apexServices(fleet).map((w) => [w.name, w]));
    const first = ingress.loadBalancers[0];
    for (const [name, svc] of Object.entries(cp)) {
      const n = controlPlaneNames(fleet.product, stage, name);
      const role = new PolicyRole(this, `control-plane-${name}-role`, {
        roleName: n.taskRole.name,
        path: IAM_PATHS.fleetControlPlane,
        trust: [serviceAssumesRole("ecs-tasks.amazonaws.com", stageConfig.accountId)],
        statements: controlPlaneTaskStatements(
          s,
          name,
          fleetStage.tenants.filter((t) => t.tenant.tier === "silo").map((t) => t.tenant.id),
        ),
      });
      // First phase: the repositories exist, the services wait until there is an image to run.
      if (!fleet.controlPlaneImage) continue;
      const web = apex.get(name);
      const isRouter = fleet.routing === "router" && name === "router";
      new FargateService(this, `control-plane-${name}`, {
        cluster: cluster.arn,
        clusterName: cluster.name,
        serviceName: n.ecsService.name,
        family: n.taskFamily.name,
        image: imageUri(s, svc.repository ?? `${fleet.product}/${name}`, fleet.controlPlaneImage),
        cpu: svc.cpu,
        memory: svc.memory,
        desiredCount: svc.desiredCount,
        maxCount: svc.maxCount,
        port: svc.port,
        environment: {
          ...svc.environment,
          PRODUCT: fleet.product,
          STAGE: stage,
          REGISTRY_TABLE: names.registryTable.name,
          ROUTING_BUCKET: names.routingBucket.name,
          ...(namespace ? { TENANT_NAMESPACE: names.namespace.name } : {}),
          ...(name === "tenant-registry" ? { POOL_DB_HOST: pool.endpoint } : {}),
        },
        taskRoleArn: role.role.arn,
        executionRoleArn: executionRole.role.arn,
        subnetIds: privateSubnetIds,
        securityGroupIds: [controlPlaneSg.id],
        logGroupName: n.logGroup.name,
        logKmsKeyArn: key.arn,
        region: config.region,
        alarmTopicArn: topic.arn,
        alarmPrefix: `${n.taskFamily.name}-`,
        routing:
          web || isRouter
            ? {
                listenerArn: first.https.arn,
                loadBalancerArnSuffix: first.lb.arnSuffix,
                vpcId,
                targetGroupName: controlPlaneTargetGroupName(fleet.product, stage, name),
                hosts: isRouter ? [`*.${fleetStage.domain}`] : [fleetStage.domain],
                path: web?.path,
                priority: isRouter ? ROUTER_PRIORITY : web!.ruleIndex + 1,
                healthCheckPath: svc.healthCheckPath,
              }
            : undefined,
      });
    }
    const alias = (id: string, name: string) =>
      new Route53Record(this, id, { zoneId: env.value("zoneId"), name, type: "A", alias: { name: first.lb.dnsName, zoneId: first.lb.zoneId, evaluateTargetHealth: true } });
    if (fleet.controlPlaneImage && apex.size > 0) alias("apex-record", fleetStage.domain);
    if (fleet.controlPlaneImage && fleet.routing === "router") alias("wildcard-record", `*.${fleetStage.domain}`);

    // The fleet contract the tenant stacks read.
    const values: Record<FleetContractEntry, string> = {
      keyArn: key.arn,
      loadBalancerSecurityGroupId: ingress.securityGroup.id,
      controlPlaneSecurityGroupId: controlPlaneSg.id,
      poolClientsSecurityGroupId: poolClients.id,
      poolDatabaseSecurityGroupId: poolDbSg.id,
      poolDatabaseEndpoint: pool.endpoint,
      namespaceId: namespace ? namespace.id : "none",
    };
    for (const [entry, value] of Object.entries(values) as [FleetContractEntry, string][]) {
      publishFleetValue(this, fleetParameterName(names.parameterPrefix.name, entry), value, FLEET_CONTRACT[entry]);
    }
    ingress.loadBalancers.forEach((lb, i) => {
      const values: Record<FleetLbContractEntry, string> = { listenerArn: lb.https.arn, arnSuffix: lb.lb.arnSuffix, dnsName: lb.lb.dnsName, zoneId: lb.lb.zoneId };
      for (const [entry, value] of Object.entries(values) as [FleetLbContractEntry, string][]) {
        publishFleetValue(this, fleetLbParameterName(names.parameterPrefix.name, entry, i), value, FLEET_LB_CONTRACT[entry]);
      }
    });

    new TerraformOutput(this, "cluster_name", { value: cluster.name, description: "The fleet's ECS cluster." });
    new TerraformOutput(this, "load_balancer_dns_names", { value: ingress.loadBalancers.map((l) => l.lb.dnsName), description: "The shared load balancers, in placement order." });
    new TerraformOutput(this, "registry_table", { value: registry.name, description: "The tenant registry (one item per tenant: its provisioning parameters)." });
    new TerraformOutput(this, "evidence_bucket", { value: evidence.name, description: "The pool tier's evidence bucket (tenants/<id>/ per tenant)." });
    new TerraformOutput(this, "routing_bucket", { value: routing.name, description: "Where the publisher writes routing snapshots." });
    new TerraformOutput(this, "repository_urls", { value: Object.fromEntries(repositories.map((r, i) => [r, repos[i].url])), description: "Push the product's images here." });
  }
}
