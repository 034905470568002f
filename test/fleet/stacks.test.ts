import { provisioningOutputSchema } from "../../src/fleet/provisioning";
import { TfJson, configWith, exampleConfig, parsePolicy, resourcesOf, synthPlatform } from "../helpers";

const example = synthPlatform(exampleConfig());
const stack = (name: string, from = example.json): TfJson => {
  const json = from.get(name);
  if (!json) throw new Error(`no stack ${name}; stacks: ${[...from.keys()].join(", ")}`);
  return json;
};
const all = (json: TfJson, type: string) => resourcesOf(json, type) as Record<string, any>[];

describe("the fleet-<stage> stack", () => {
  const prod = stack("fleet-prod");
  const dev = stack("fleet-dev");

  it("runs an ECS cluster with Container Insights on Fargate", () => {
    const [cluster] = all(prod, "aws_ecs_cluster");
    expect(cluster.name).toBe("accessos-prod");
    expect(cluster.setting).toEqual([{ name: "containerInsights", value: "enhanced" }]);
    expect(all(prod, "aws_ecs_cluster_capacity_providers")[0].capacity_providers).toEqual(["FARGATE", "FARGATE_SPOT"]);
  });

  it("serves HTTPS only with TLS 1.2+, a wildcard certificate validated in the stage zone, and redirects HTTP", () => {
    const [cert] = all(prod, "aws_acm_certificate");
    expect(cert).toMatchObject({ domain_name: "*.accessos.apps.acme.example", subject_alternative_names: ["accessos.apps.acme.example"], validation_method: "DNS" });
    expect(all(prod, "aws_acm_certificate_validation")).toHaveLength(1);
    const listeners = all(prod, "aws_lb_listener");
    const https = listeners.filter((l) => l.protocol === "HTTPS");
    const http = listeners.filter((l) => l.protocol === "HTTP");
    expect(https.length).toBeGreaterThan(0);
    for (const l of https) {
      expect(l.ssl_policy).toMatch(/^ELBSecurityPolicy-TLS13-1-2/);
      expect(l.default_action[0].type).toBe("fixed-response");
    }
    expect(http).toHaveLength(https.length);
    for (const l of http) expect(l.default_action[0]).toMatchObject({ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } });
  });

  it("drops invalid headers, logs access, and protects its load balancers outside ephemeral stages", () => {
    for (const lb of all(prod, "aws_lb")) {
      expect(lb).toMatchObject({ internal: false, load_balancer_type: "application", drop_invalid_header_fields: true, enable_deletion_protection: true });
      expect(lb.access_logs).toEqual({ enabled: true, bucket: expect.stringMatching(/^\$\{aws_s3_bucket\.access-logs_bucket_[0-9A-F]+\.bucket\}$/), prefix: lb.name });
    }
    // dev is an ephemeral stage in the example.
    for (const lb of all(dev, "aws_lb")) expect(lb.enable_deletion_protection).toBe(false);
  });

  it("keeps the pool tier's evidence versioned, KMS-encrypted per object, TLS only, not public, and guarded from destroy", () => {
    const buckets = all(prod, "aws_s3_bucket");
    const evidence = buckets.find((b) => b.bucket === "acme-accessos-prod-evidence")!;
    expect(evidence.lifecycle).toEqual({ prevent_destroy: true });
    expect(evidence.force_destroy).toBe(false);
    const sse = all(prod, "aws_s3_bucket_server_side_encryption_configuration");
    const kmsRules = sse.map((s) => s.rule[0]);
    expect(kmsRules.some((r) => r.apply_server_side_encryption_by_default.sse_algorithm === "aws:kms" && r.bucket_key_enabled === false)).toBe(true);
    for (const block of all(prod, "aws_s3_bucket_public_access_block")) {
      expect(block).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    }
    for (const v of all(prod, "aws_s3_bucket_versioning")) expect(v.versioning_configuration.status).toBe("Enabled");
    for (const p of all(prod, "aws_s3_bucket_policy")) {
      const tls = parsePolicy(p.policy).Statement.find((s) => s.Sid === "DenyInsecureTransport")!;
      expect(tls).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    }
  });

  it("keeps a tenant registry and a pool database with IAM authentication, both protected", () => {
    const [table] = all(prod, "aws_dynamodb_table");
    expect(table).toMatchObject({ name: "accessos-prod-tenants", hash_key: "tenantId", deletion_protection_enabled: true, point_in_time_recovery: { enabled: true } });
    const [cluster] = all(prod, "aws_rds_cluster");
    expect(cluster).toMatchObject({ cluster_identifier: "accessos-prod-pool", iam_database_authentication_enabled: true, storage_encrypted: true, deletion_protection: true, lifecycle: { prevent_destroy: true } });
  });

  it("runs the control plane in private subnets and an image repository per image", () => {
    const services = all(prod, "aws_ecs_service").map((s) => s.name).sort();
    expect(services).toEqual(["control-plane-licensing", "control-plane-routing-snapshot-publisher", "control-plane-tenant-registry"]);
    for (const s of all(prod, "aws_ecs_service")) expect(s.network_configuration.assign_public_ip).toBe(false);
    expect(all(prod, "aws_ecr_repository").map((r) => r.name).sort()).toEqual(
      ["audit-service", "discovery-service", "discovery-worker", "iam-service", "integrations-service", "licensing", "routing-snapshot-publisher", "tenant-registry"].map((n) => `accessos/${n}`),
    );
  });
});

describe("the tenant-<id>-<stage> stacks", () => {
  const pool = stack("tenant-acme-corp-prod");
  const silo = stack("tenant-globex-prod");
  const paused = stack("tenant-initech-dev");

  it("run the seed's five services with rollback on failed deployments, and tag every resource with the tenant", () => {
    const services = all(pool, "aws_ecs_service");
    expect(services.map((s) => s.name).sort()).toEqual(["acme-corp-audit-service", "acme-corp-discovery-service", "acme-corp-discovery-worker", "acme-corp-iam-service", "acme-corp-integrations-service"]);
    for (const s of services) {
      expect(s.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
      expect(s.cluster).toBe("accessos-prod");
      expect(s.desired_count).toBe(1);
    }
    for (const [type, resources] of Object.entries(pool.resource ?? {})) {
      for (const r of Object.values(resources) as Record<string, any>[]) {
        if ("tags" in r) expect({ type, tenant: r.tags.tenant, app: r.tags.app }).toEqual({ type, tenant: "acme-corp", app: "accessos" });
      }
    }
    const roles = all(pool, "aws_iam_role").map((r) => [r.name, r.path]);
    expect(roles.sort()).toEqual([
      ["accessos-acme-corp-prod-exec", "/apps-platform/fleet/execution/"],
      ["accessos-acme-corp-prod-task", "/apps-platform/fleet/task/"],
    ]);
  });

  it("run the wave's image and inject secrets from the tenant's path, never as plain variables", () => {
    for (const td of all(pool, "aws_ecs_task_definition")) {
      const [c] = JSON.parse(td.container_definitions);
      expect(c.image).toMatch(/^333333333333\.dkr\.ecr\.eu-central-1\.amazonaws\.com\/accessos\/[a-z-]+:1\.8\.0$/);
      for (const e of c.environment) expect(e.name).not.toMatch(/SECRET|PASSWORD|TOKEN/);
    }
    const iam = all(pool, "aws_ecs_task_definition").find((t) => t.family === "accessos-acme-corp-prod-iam-service")!;
    expect(JSON.parse(iam.container_definitions)[0].secrets).toEqual([{ name: "OAUTH_CLIENT_SECRET", valueFrom: expect.stringMatching(/^\$\{aws_secretsmanager_secret\./) }]);
    const [secret] = all(pool, "aws_secretsmanager_secret");
    expect(secret).toMatchObject({ name: "/accessos/prod/acme-corp/oauth-client-secret", recovery_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(all(pool, "aws_secretsmanager_secret_version")).toEqual([]);
  });

  it("route <id>.<domain> by path to the web services, with priorities unique on each listener across tenants", () => {
    const rules = ["tenant-acme-corp-prod", "tenant-globex-prod"].flatMap((n) => all(stack(n), "aws_lb_listener_rule").map((r): Record<string, any> => ({ stack: n, ...r })));
    expect(rules).toHaveLength(8);
    const byListener = new Map<string, number[]>();
    for (const r of rules) byListener.set(r.listener_arn, [...(byListener.get(r.listener_arn) ?? []), r.priority]);
    for (const priorities of byListener.values()) expect(new Set(priorities).size).toBe(priorities.length);
    const acme = rules.filter((r) => r.stack === "tenant-acme-corp-prod");
    for (const r of acme) expect(r.condition[0].host_header.values).toEqual(["acme-corp.accessos.apps.acme.example"]);
    expect(acme.map((r) => r.condition[1]?.path_pattern.values ?? "catch-all")).toEqual(expect.arrayContaining([["/integrations", "/integrations/*"], "catch-all"]));
    // The catch-all (iam-service) comes after the path rules of its tenant.
    const catchAll = acme.find((r) => r.condition.length === 1)!;
    for (const r of acme.filter((x) => x.condition.length === 2)) expect(r.priority).toBeLessThan(catchAll.priority);
    expect(all(pool, "aws_route53_record").map((r) => r.name)).toEqual(["acme-corp.accessos.apps.acme.example"]);
  });

  it("scope storage by tier: a prefix and database user in the pool, a bucket and database of its own in a silo", () => {
    expect(all(pool, "aws_s3_bucket")).toEqual([]);
    expect(all(pool, "aws_rds_cluster")).toEqual([]);
    const [bucket] = all(silo, "aws_s3_bucket");
    expect(bucket).toMatchObject({ bucket: "acme-accessos-globex-prod", lifecycle: { prevent_destroy: true }, force_destroy: false });
    const [db] = all(silo, "aws_rds_cluster");
    expect(db).toMatchObject({ cluster_identifier: "accessos-globex-prod", iam_database_authentication_enabled: true, deletion_protection: true, lifecycle: { prevent_destroy: true } });
  });

  it("pause a tenant to zero tasks and zero autoscaling bounds, and lift the guards with allowDestroy", () => {
    for (const s of all(paused, "aws_ecs_service")) expect(s.desired_count).toBe(0);
    for (const t of all(paused, "aws_appautoscaling_target")) expect([t.min_capacity, t.max_capacity]).toEqual([0, 0]);
    const [secret] = all(paused, "aws_secretsmanager_secret");
    expect(secret.lifecycle).toEqual({ prevent_destroy: false });
    expect(secret.recovery_window_in_days).toBe(7);
  });

  it("write the tenant's provisioning parameters to the registry and output its result, both in the documented shapes", () => {
    const [item] = all(pool, "aws_dynamodb_table_item");
    expect(item.table_name).toBe("accessos-prod-tenants");
    // The item is jsonencode()d with references resolved at apply; its static shape is checked here.
    const output = pool.output!.provisioning.value as Record<string, any>;
    const withoutRefs = JSON.parse(JSON.stringify(output).replace(/\$\{[^}]+\}/g, "ref"));
    expect(provisioningOutputSchema.parse(withoutRefs)).toMatchObject({
      tenantId: "acme-corp",
      url: "https://acme-corp.accessos.apps.acme.example",
      storage: { bucket: "acme-accessos-prod-evidence", prefix: "tenants/acme-corp/" },
      database: { user: "tenant_acme_corp", authentication: "iam" },
      secrets: { path: "/accessos/prod/acme-corp/", names: ["oauth-client-secret"] },
    });
    expect(JSON.stringify(pool.output)).not.toMatch(/secret_string|password/i);
  });
});

describe("waves and pause", () => {
  it("promoting a wave changes only that wave's tenant stacks", () => {
    const promoted = synthPlatform(configWith((raw) => (raw.fleet.waves[0].image = "1.9.0")));
    const changed = [...example.json.keys()].filter((name) => JSON.stringify(example.json.get(name)) !== JSON.stringify(promoted.json.get(name)));
    expect(changed.sort()).toEqual(["tenant-acme-corp-dev", "tenant-acme-corp-prod"]);
  });

  it("pausing a stage pauses every tenant in it and changes no fleet or data resource", () => {
    const pausedStage = synthPlatform(configWith((raw) => (raw.fleet.stages.prod.paused = true)));
    const changed = [...example.json.keys()].filter((name) => JSON.stringify(example.json.get(name)) !== JSON.stringify(pausedStage.json.get(name)));
    expect(changed.sort()).toEqual(["tenant-acme-corp-prod", "tenant-globex-prod"]);
    const globex = pausedStage.json.get("tenant-globex-prod")!;
    for (const s of all(globex, "aws_ecs_service")) expect(s.desired_count).toBe(0);
    const before = stack("tenant-globex-prod");
    for (const type of ["aws_s3_bucket", "aws_rds_cluster", "aws_secretsmanager_secret", "aws_iam_role"]) expect(all(globex, type)).toEqual(all(before, type));
  });
});

describe("routing: router", () => {
  const router = synthPlatform(configWith((raw) => (raw.fleet.routing = "router")));
  const fleet = router.json.get("fleet-prod")!;
  const tenant = router.json.get("tenant-acme-corp-prod")!;

  it("sends every tenant host to one router service through one rule, whatever the number of tenants", () => {
    const rules = all(fleet, "aws_lb_listener_rule");
    const wildcard = rules.filter((r) => r.condition[0].host_header.values[0] === "*.accessos.apps.acme.example");
    expect(wildcard).toHaveLength(1);
    expect(wildcard[0].priority).toBe(99);
    expect(all(fleet, "aws_ecs_service").map((s) => s.name)).toContain("control-plane-router");
    // Besides the certificate's validation record: the wildcard for tenants, the apex for the control plane.
    const records = all(fleet, "aws_route53_record").filter((r) => !String(r.name).startsWith("${"));
    expect(records.map((r) => r.name).sort()).toEqual(["*.accessos.apps.acme.example", "accessos.apps.acme.example"]);
    expect(all(fleet, "aws_service_discovery_private_dns_namespace")[0].name).toBe("prod.accessos.internal");
    expect(all(fleet, "aws_lb")).toHaveLength(1);
  });

  it("registers tenants' web services by name for the router, with no target group, rule or record of their own", () => {
    expect(all(tenant, "aws_lb_target_group")).toEqual([]);
    expect(all(tenant, "aws_lb_listener_rule")).toEqual([]);
    expect(all(tenant, "aws_route53_record")).toEqual([]);
    expect(all(tenant, "aws_service_discovery_service").map((s) => s.name).sort()).toEqual(["acme-corp-audit-service", "acme-corp-discovery-service", "acme-corp-iam-service", "acme-corp-integrations-service"]);
    const ingress = all(tenant, "aws_vpc_security_group_ingress_rule");
    for (const r of ingress) expect(r.referenced_security_group_id).toMatch(/control-plane-security-group-id/);
  });
});

describe("a fleet's first phase", () => {
  it("makes the repositories and the ingress but starts no control-plane service until controlPlaneImage is set", () => {
    const first = synthPlatform(configWith((raw) => delete raw.fleet.controlPlaneImage)).json.get("fleet-prod")!;
    expect(all(first, "aws_ecs_service")).toEqual([]);
    expect(all(first, "aws_ecr_repository")).toHaveLength(8);
    expect(all(first, "aws_lb")).toHaveLength(1);
    expect(all(first, "aws_route53_record").filter((r) => !String(r.name).startsWith("${"))).toEqual([]);
    // The roles exist already, so the second phase adds services only.
    expect(all(first, "aws_iam_role").map((r) => r.name).sort()).toEqual(all(stack("fleet-prod"), "aws_iam_role").map((r) => r.name).sort());
  });
});
