import { CPU_MEMORY } from "@acme/apps-platform-constructs/service";
import { isObject, str } from "./raw";
import { FleetConfig, fleetSchema } from "./fleet-schema";
import {
  PLATFORM,
  controlPlaneNames,
  controlPlaneTargetGroupName,
  fleetNames,
  fleetTargetGroupName,
  fleetTenantNames,
  fleetTenantServiceNames,
  LimitedName,
  normaliseDnsName,
  stackNames,
} from "@acme/apps-platform-constructs/naming";
import { fleetStage, loadBalancerCapacity, tenantsIn, webServices } from "../fleet/model";
import { tenantsPerLoadBalancer } from "../fleet/placement";
import { capacityReport } from "../fleet/capacity";

type Issue = (path: (string | number)[], message: string, input: unknown) => void;


/** Environment variables the platform sets in every tenant container. */
export const FLEET_RESERVED_ENVIRONMENT = ["TENANT_ID", "TENANT_TIER", "PRODUCT", "STAGE", "EVIDENCE_BUCKET", "EVIDENCE_PREFIX", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER"] as const;

const inZone = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

/**
 * The checks of `fleet:` that span fields and sections: stages, domains and host names against the
 * platform's zones and services, waves, service sets, secrets, name lengths and quotas.
 */
export function fleetChecks(raw: Record<string, unknown>, issue: Issue): void {
  const fleet = isObject(raw.fleet) ? raw.fleet : undefined;
  if (!fleet) return;
  const stages = isObject(raw.stages) ? raw.stages : {};
  const organisation = str(raw.organisation) ?? "";
  const product = str(fleet.product);
  const services = Array.isArray(raw.services) ? raw.services.filter(isObject) : [];
  const fleetStages = isObject(fleet.stages) ? fleet.stages : {};

  if (product === PLATFORM) issue(["fleet", "product"], `must not be ${JSON.stringify(PLATFORM)}: it names the platform's own resources`, product);
  if (product !== undefined) {
    services.forEach((svc) => {
      const slug = str(svc.slug);
      if (slug === undefined) return;
      const index = (raw.services as unknown[]).indexOf(svc);
      const inStages = Array.isArray(svc.stages) ? svc.stages.filter((s): s is string => typeof s === "string") : Object.keys(stages);
      // A slug equal to the product is refused as a reserved app tag (schema.ts reservedAppTags).
      if (slug === product) return;
      for (const st of inStages) {
        if (`${slug}-${st}`.startsWith(`${product}-`)) {
          issue(["services", index, "slug"], `names its resources in stage ${st} "${slug}-${st}…", inside the fleet's name space "${product}-…" (fleet.product)`, slug);
          break;
        }
      }
    });
    const eph = isObject(raw.ephemeral) ? str(raw.ephemeral.project) : undefined;
    if (eph === product) issue(["fleet", "product"], `must differ from ephemeral.project (${eph}): both name their stacks' resources and tags with it`, product);
  }

  // Stages and domains.
  const zoneOf = (st: string) => (isObject(stages[st]) ? str(stages[st].zoneName)?.toLowerCase() : undefined);
  for (const [st, value] of Object.entries(fleetStages)) {
    if (!isObject(stages[st])) {
      issue(["fleet", "stages", st], `must be one of the stages defined in stages (${Object.keys(stages).join(", ")})`, st);
      continue;
    }
    const domain = isObject(value) ? str(value.domain)?.toLowerCase() : undefined;
    const zone = zoneOf(st);
    if (!domain || !zone) continue;
    if (!inZone(domain, zone)) {
      issue(["fleet", "stages", st, "domain"], `must be the stage's zone ${zone} or a name below it: the certificate is validated and the tenants' records are written there`, domain);
      continue;
    }
    for (const other of Object.keys(stages)) {
      const otherZone = zoneOf(other);
      // A zone below the stage's own (another stage's, delegated from it) owns the names under it.
      if (other === st || !otherZone || otherZone === zone || !inZone(otherZone, zone) || !inZone(domain, otherZone)) continue;
      issue(["fleet", "stages", st, "domain"], `is in stages.${other}.zoneName "${otherZone}", another stage's zone delegated from this stage's`, domain);
    }
    for (const svc of services) {
      const slug = str(svc.slug);
      const inStages = Array.isArray(svc.stages) ? svc.stages : Object.keys(stages);
      if (!slug || !inStages.includes(st)) continue;
      const apex = normaliseDnsName(`${slug}.${zone}`);
      if (inZone(domain, apex)) issue(["fleet", "stages", st, "domain"], `is at or below "${apex}", which service ${slug} manages in stage ${st}`, domain);
    }
  }

  // Waves.
  const waves = Array.isArray(fleet.waves) ? fleet.waves : [];
  const waveNames = new Map<string, number>();
  waves.forEach((w: unknown, i: number) => {
    const name = isObject(w) ? str(w.name) : undefined;
    if (name === undefined) return;
    if (waveNames.has(name)) issue(["fleet", "waves", i, "name"], `must be unique, already used by fleet.waves[${waveNames.get(name)}]`, name);
    else waveNames.set(name, i);
  });

  // Service sets.
  // An absent set is the schema's default (the seed's services).
  const serviceSet = (key: "services" | "controlPlane"): Record<string, unknown> | undefined =>
    fleet[key] === undefined ? (fleetSchema.shape[key].parse(undefined) as Record<string, unknown>) : isObject(fleet[key]) ? (fleet[key] as Record<string, unknown>) : undefined;
  for (const key of ["services", "controlPlane"] as const) {
    const set = serviceSet(key);
    if (!set) continue;
    const paths = new Map<string, string>();
    let catchAll: string | undefined;
    let withPath = 0;
    if (Object.keys(set).length === 0 && key === "services") issue(["fleet", key], "must name at least one service", set);
    for (const [name, spec] of Object.entries(set)) {
      if (!/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$/.test(name)) {
        issue(["fleet", key, name], "must be a service name of 2 to 32 lowercase letters, digits and single hyphens, starting with a letter", name);
      }
      if (key === "controlPlane" && name === "router") issue(["fleet", key, name], "must not be named router: set fleet.routing: router and configure it in fleet.router", name);
      if (!isObject(spec)) continue;
      const cpu = spec.cpu ?? 256;
      const memory = spec.memory ?? 512;
      const allowed = CPU_MEMORY.ecsExpress[cpu as number];
      if (!allowed) {
        issue(["fleet", key, name, "cpu"], `must be one of the Fargate CPU sizes (${Object.keys(CPU_MEMORY.ecsExpress).join(", ")})`, cpu);
        // Both mistakes at once: the memory against every Fargate size when the CPU is no size.
        const anyMemory = [...new Set(Object.values(CPU_MEMORY.ecsExpress).flat())].sort((a, b) => a - b);
        if (!anyMemory.includes(memory as number)) issue(["fleet", key, name, "memory"], `must be one of the Fargate memory sizes (${anyMemory.join(", ")} MiB; which of them depends on cpu)`, memory);
      } else if (!allowed.includes(memory as number)) issue(["fleet", key, name, "memory"], `must be one of ${allowed.join(", ")} MiB with ${String(cpu)} CPU units on Fargate`, memory);
      const desired = typeof spec.desiredCount === "number" ? spec.desiredCount : 1;
      if (typeof spec.maxCount === "number" && spec.maxCount < desired) issue(["fleet", key, name, "maxCount"], `must be at least desiredCount (${desired})`, spec.maxCount);
      if (spec.path !== undefined && spec.port === undefined) issue(["fleet", key, name, "path"], "needs a port: only a web service takes requests", spec.path);
      if (spec.port === undefined) continue;
      const path = str(spec.path);
      if (path === undefined) {
        if (catchAll) issue(["fleet", key, name], `is a second web service without a path (${catchAll} takes every other request): give one of them a path`, undefined);
        catchAll = name;
      } else {
        withPath += 1;
        const first = paths.get(path.toLowerCase());
        if (first) issue(["fleet", key, name, "path"], `must differ from ${first}'s`, path);
        paths.set(path.toLowerCase(), name);
      }
      const env = isObject(spec.environment) ? Object.keys(spec.environment) : [];
      for (const e of env.filter((e) => (FLEET_RESERVED_ENVIRONMENT as readonly string[]).includes(e))) {
        issue(["fleet", key, name, "environment", e], `is set by the platform (${FLEET_RESERVED_ENVIRONMENT.join(", ")})`, e);
      }
    }
    if (withPath > 9) issue(["fleet", key], `has ${withPath} web services with a path; a tenant's rules take a block of 10 priorities, so at most 9 have a path`, withPath);
  }

  // Repositories: the fleet makes them and its tenants run their images, so they are the product's.
  if (product !== undefined) {
    const outside = (spec: unknown) => (isObject(spec) && typeof spec.repository === "string" && !spec.repository.startsWith(`${product}/`) ? spec.repository : undefined);
    const refuse = (path: (string | number)[], repository: string) =>
      issue(path, `must be under "${product}/", the product's namespace: the fleet makes its repositories and its tenants run their images`, repository);
    for (const key of ["services", "controlPlane"] as const) {
      for (const [name, spec] of Object.entries(serviceSet(key) ?? {})) {
        const repository = outside(spec);
        if (repository !== undefined) refuse(["fleet", key, name, "repository"], repository);
      }
    }
    const router = outside(fleet.router);
    if (router !== undefined) refuse(["fleet", "router", "repository"], router);
  }

  // Secrets.
  const tenantServices = serviceSet("services") ?? {};
  const secrets = Array.isArray(fleet.secrets) ? fleet.secrets : [];
  const secretNames = new Map<string, number>();
  const envOf = new Map<string, string>();
  secrets.forEach((s: unknown, i: number) => {
    if (!isObject(s)) return;
    const name = str(s.name);
    if (name !== undefined) {
      if (secretNames.has(name)) issue(["fleet", "secrets", i, "name"], `must be unique, already used by fleet.secrets[${secretNames.get(name)}]`, name);
      else secretNames.set(name, i);
    }
    const env = str(s.environmentVariable);
    (Array.isArray(s.services) ? s.services : []).forEach((svc: unknown, j: number) => {
      if (typeof svc !== "string") return;
      if (!(svc in tenantServices)) {
        issue(["fleet", "secrets", i, "services", j], `must be one of the tenant services (${Object.keys(tenantServices).join(", ")})`, svc);
        return;
      }
      if (!env) return;
      const spec = tenantServices[svc];
      if (isObject(spec) && isObject(spec.environment) && env in spec.environment) {
        issue(["fleet", "secrets", i, "environmentVariable"], `is also a plain environment variable of ${svc}`, env);
      }
      const first = envOf.get(`${svc}/${env}`);
      if (first) issue(["fleet", "secrets", i, "environmentVariable"], `is already ${svc}'s secret ${first}`, env);
      else envOf.set(`${svc}/${env}`, name ?? String(i));
    });
    if (env && (FLEET_RESERVED_ENVIRONMENT as readonly string[]).includes(env)) issue(["fleet", "secrets", i, "environmentVariable"], `is set by the platform (${FLEET_RESERVED_ENVIRONMENT.join(", ")})`, env);
  });

  // Tenants.
  const tenants = Array.isArray(fleet.tenants) ? fleet.tenants : [];
  const ids = new Map<string, number>();
  const fleetStageNames = Object.keys(fleetStages);
  // Ids and stages both hold hyphens: tenant acme-corp in stage dev and acme in stage corp-dev would
  // both be the stack tenant-acme-corp-dev (its folder, its workspace, its pipeline jobs).
  const stackOwners = new Map<string, string>();
  tenants.forEach((t: unknown, i: number) => {
    if (!isObject(t)) return;
    const id = str(t.id);
    if (id !== undefined) {
      if (ids.has(id)) issue(["fleet", "tenants", i, "id"], `must be unique, already used by fleet.tenants[${ids.get(id)}]`, id);
      else ids.set(id, i);
    }
    const wave = str(t.wave);
    if (wave !== undefined && waveNames.size > 0 && !waveNames.has(wave)) issue(["fleet", "tenants", i, "wave"], `must be one of the waves in fleet.waves (${[...waveNames.keys()].join(", ")})`, wave);
    const own = Array.isArray(t.stages) ? t.stages : undefined;
    (own ?? []).forEach((s: unknown, j: number) => {
      if (typeof s === "string" && !fleetStageNames.includes(s)) issue(["fleet", "tenants", i, "stages", j], `must be one of the fleet's stages in fleet.stages (${fleetStageNames.join(", ")})`, s);
      else if (typeof s === "string" && own!.indexOf(s) !== j) issue(["fleet", "tenants", i, "stages", j], `must be listed once, already at stages[${own!.indexOf(s)}]`, s);
    });
    if (id === undefined || !/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$/.test(id) || product === undefined) return;
    const inStages = (own ?? fleetStageNames).filter((s): s is string => typeof s === "string" && fleetStageNames.includes(s));
    for (const st of inStages) {
      const stack = stackNames.tenant(id, st);
      const other = stackOwners.get(stack);
      if (other !== undefined && ids.get(id) === i) issue(["fleet", "tenants", i, "id"], `makes the stack ${stack} in stage ${st}, as ${other} does`, id);
      else stackOwners.set(stack, `fleet.tenants[${i}] (${id}) in stage ${st}`);
    }
    const long: LimitedName[] = [];
    for (const st of inStages) {
      const names = fleetTenantNames(organisation, product, id, st);
      for (const n of Object.values(names)) if (typeof n !== "string" && n.name.length > n.limit) long.push(n);
      for (const svc of Object.keys(tenantServices)) for (const n of Object.values(fleetTenantServiceNames(product, id, st, svc))) if (n.name.length > n.limit) long.push(n);
      const domain = isObject(fleetStages[st]) ? str(fleetStages[st].domain)?.toLowerCase() : undefined;
      if (domain && `${id}.${domain}`.length > 253) long.push({ what: "host name", name: `${id}.${domain}`, limit: 253 });
      // The tenant's host must not be a name a service of the platform manages.
      const zone = zoneOf(st);
      if (domain && zone) {
        const host = `${id}.${domain}`;
        for (const svc of services) {
          const slug = str(svc.slug);
          const svcStages = Array.isArray(svc.stages) ? svc.stages : Object.keys(stages);
          if (slug && svcStages.includes(st) && inZone(host, normaliseDnsName(`${slug}.${zone}`))) {
            issue(["fleet", "tenants", i, "id"], `makes the host name ${host} in stage ${st}, which service ${slug} manages (${slug}.${zone})`, id);
          }
        }
        for (const other of Object.keys(stages)) {
          const otherZone = zoneOf(other);
          if (other !== st && otherZone && inZone(otherZone, host)) issue(["fleet", "tenants", i, "id"], `makes the host name ${host} in stage ${st}, which holds stages.${other}.zoneName "${otherZone}"`, id);
        }
      }
    }
    const unique = [...new Map(long.map((n) => [n.name, n])).values()];
    if (unique.length > 0) {
      issue(["fleet", "tenants", i, "id"], `makes ${unique.map((n) => `the ${n.what} "${n.name}" ${n.name.length} characters long (AWS allows ${n.limit})`).join("; ")}`, id);
    }
  });

  // Names AWS keeps unique (an account's roles, the cluster's services, the namespace's names, the
  // VPC's security groups, a Region's target groups, every account's buckets): no two of the fleet's
  // may meet, whatever the ids and service names. acme's service billing-worker and acme-billing's
  // worker would both be the ECS service and discovery name acme-billing-worker.
  if (product !== undefined) {
    const router = fleet.routing === "router";
    const controlPlane = [...Object.keys(serviceSet("controlPlane") ?? {}), ...(router ? ["router"] : [])];
    const web = Object.entries(tenantServices).filter(([, spec]) => isObject(spec) && spec.port !== undefined).map(([name]) => name);
    const taken = new Map<string, string>();
    // The first owner of a name keeps it; a later one is told whose it is. Buckets are global, the
    // rest per account: two stages may share one, and acme-corp's names in stage dev are acme's in
    // stage corp-dev.
    const accountOf = (stage: string) => (isObject(stages[stage]) ? str(stages[stage].accountId) : undefined) ?? `stage ${stage}`;
    const claim = (stage: string, kind: string, name: string, owner: string): string | undefined => {
      const key = `${kind === "S3 bucket name" ? "" : accountOf(stage)}|${kind}|${name}`;
      const first = taken.get(key);
      if (first === undefined) taken.set(key, owner);
      return first !== undefined && first !== owner ? first : undefined;
    };
    for (const st of fleetStageNames) {
      const f = fleetNames(organisation, product, st);
      claim(st, "IAM role name", f.controlPlaneExecutionRole.name, "the control plane's execution role");
      claim(st, "Aurora cluster identifier", f.poolCluster.name, "the pool database");
      for (const n of [f.loadBalancerSecurityGroup, f.controlPlaneSecurityGroup, f.poolClientsSecurityGroup, f.poolDatabaseSecurityGroup]) claim(st, "security group name", n.name, `the fleet's ${n.what}`);
      for (const n of [f.evidenceBucket, f.routingBucket, f.accessLogBucket]) claim(st, "S3 bucket name", n.name, `the fleet's ${n.what} in stage ${st}`);
      for (const svc of controlPlane) {
        const n = controlPlaneNames(product, st, svc);
        const owner = `the control plane's ${svc}`;
        claim(st, "IAM role name", n.taskRole.name, owner);
        claim(st, "ECS service name", n.ecsService.name, owner);
        claim(st, "task definition family", n.taskFamily.name, owner);
        claim(st, "log group name", n.logGroup.name, owner);
        claim(st, "target group name", controlPlaneTargetGroupName(product, st, svc), owner);
      }
    }
    tenants.forEach((t: unknown, i: number) => {
      const id = isObject(t) ? str(t.id) : undefined;
      if (id === undefined || !/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$/.test(id) || ids.get(id) !== i) return;
      const silo = isObject(t) && t.tier === "silo";
      const own = isObject(t) && Array.isArray(t.stages) ? t.stages.filter((x): x is string => typeof x === "string" && fleetStageNames.includes(x)) : fleetStageNames;
      const owner = `fleet.tenants[${i}] (${id})`;
      const met: string[] = [];
      for (const st of own) {
        const n = fleetTenantNames(organisation, product, id, st);
        const names: [string, string][] = [
          ["IAM role name", n.taskRole.name],
          ["IAM role name", n.executionRole.name],
          ["security group name", n.securityGroup.name],
          ...(silo ? ([["Aurora cluster identifier", n.siloCluster.name], ["security group name", n.siloDatabaseSecurityGroup.name], ["S3 bucket name", n.siloBucket.name]] as [string, string][]) : []),
        ];
        for (const svc of Object.keys(tenantServices)) {
          const sn = fleetTenantServiceNames(product, id, st, svc);
          names.push(["ECS service name", sn.ecsService.name], ["task definition family", sn.taskFamily.name], ["log group name", sn.logGroup.name]);
          if (web.includes(svc)) names.push(router ? ["service discovery name", sn.discoveryService.name] : ["target group name", fleetTargetGroupName(product, id, st, svc)]);
        }
        for (const [kind, name] of names) {
          const other = claim(st, kind, name, owner);
          if (other) met.push(`in stage ${st} the ${kind} "${name}", which ${other} has too`);
        }
      }
      if (met.length > 0) issue(["fleet", "tenants", i, "id"], `makes ${met.join("; ")}`, id);
    });
  }

  // The fleet's own names, per stage and control-plane service.
  if (product !== undefined) {
    for (const st of fleetStageNames) {
      const long = Object.values(fleetNames(organisation, product, st)).filter((n) => n.name.length > n.limit);
      for (const svc of Object.keys(serviceSet("controlPlane") ?? {})) long.push(...Object.values(controlPlaneNames(product, st, svc)).filter((n) => n.name.length > n.limit));
      if (long.length > 0) issue(["fleet", "product"], `makes in stage ${st} ${long.map((n) => `the ${n.what} "${n.name}" ${n.name.length} characters long (AWS allows ${n.limit})`).join("; ")}`, product);
    }
  }

  // Quotas: only when the section is otherwise valid, so that a count is not built on a broken config.
  const parsed = fleetSchema.safeParse(fleet);
  if (!parsed.success || ids.size !== tenants.length || tenants.some((t) => isObject(t) && !waveNames.has(str(t.wave) ?? ""))) return;
  const config: FleetConfig = parsed.data;
  // A tenant's rules must fit on one load balancer, or no number of load balancers holds it.
  const capacity = loadBalancerCapacity(config);
  if (capacity.perTenant > 0 && tenantsPerLoadBalancer(capacity, 1) === 0) {
    const web = webServices(config.services).map((w) => w.name);
    issue(
      ["fleet", "quotas", "rulesPerLoadBalancer"],
      `must be at least ${capacity.perTenant}: a tenant takes one listener rule per web service (${web.join(", ")}) on the load balancer it is placed on`,
      config.quotas.rulesPerLoadBalancer,
    );
    return;
  }
  for (const st of fleetStageNames) {
    if (!isObject(stages[st])) continue;
    const report = capacityReport(raw, config, fleetStage(config, st));
    for (const row of report.rows.filter((r) => r.used > r.quota)) {
      issue(
        ["fleet", "tenants"],
        `stage ${st} needs ${row.used} ${row.what} for ${tenantsIn(config, st).length} tenants` +
          (row.platform ? ` (${row.used - row.platform} for the fleet, ${row.platform} for the platform's services and stacks in the same account)` : "") +
          `, over the quota of ${row.quota}${row.field ? ` (fleet.quotas.${row.field})` : ""}: ${row.remedy}`,
        row.used,
      );
    }
  }
}
