import { FleetConfig } from "../config/fleet-schema";
import { isObject } from "../config/raw";
import { FleetStage, apexServices, controlPlaneServices, loadBalancerCapacity } from "./model";
import { TARGET_GROUPS_PER_LOAD_BALANCER, tenantsPerLoadBalancer } from "./placement";

/**
 * A fleet stage's use of the quotas that bind in its account, and which tenants should move to an
 * account of their own when a quota is close. The thresholds are in docs/fleet.md.
 */

export interface CapacityRow {
  readonly what: string;
  readonly used: number;
  readonly quota: number;
  /** The fleet.quotas field that holds the quota, when it is adjustable. */
  readonly field?: keyof FleetConfig["quotas"];
  /** What to do when usage is over the quota. */
  readonly remedy: string;
  /** Usage one tenant adds (to size how many must move). */
  readonly perTenant: number;
  /** Which tenants add to it: every tenant, or silo tenants only. */
  readonly tiers: "all" | "silo";
  /** Of `used`, what the platform's own services and stacks in the account take. @default 0 */
  readonly platform?: number;
}

export interface CapacityReport {
  readonly stage: string;
  readonly rows: readonly CapacityRow[];
  /** Rows above the move threshold. */
  readonly pressing: readonly CapacityRow[];
  /** Tenants to move to an account of their own (newest in the config first), so every row is back under the threshold. */
  readonly tenantsToMove: readonly string[];
}


/** Roles, databases and secrets of the platform's services in a stage's account, from the raw config. */
export function platformUsage(raw: Record<string, unknown>, stage: string): { roles: number; databases: number; secrets: number } {
  const stageNames = isObject(raw.stages) ? Object.keys(raw.stages) : [];
  const services = (Array.isArray(raw.services) ? raw.services : []).filter(isObject).filter((s) => (Array.isArray(s.stages) ? s.stages : stageNames).includes(stage));
  const databases = services.filter((s) => isObject(s.database)).length;
  const eph = isObject(raw.ephemeral) && raw.ephemeral.stage === stage ? Number(raw.ephemeral.maxStages ?? 10) : 0;
  return {
    // Per service: deploy, read, execution, ECR access and infrastructure roles (onboarding); per
    // ephemeral stage its authorizer's role; the stage's flow-log role and the platform's provisioner.
    roles: services.length * 5 + eph + 2,
    databases,
    // An RDS-managed master secret per database.
    secrets: databases,
  };
}

/** Usage against quotas of one fleet stage. */
export function capacityReport(raw: Record<string, unknown>, fleet: FleetConfig, stage: FleetStage): CapacityReport {
  const cap = loadBalancerCapacity(fleet);
  const q = fleet.quotas;
  const tenants = stage.tenants.length;
  const silo = stage.tenants.filter((t) => t.tenant.tier === "silo").length;
  const onAlb = new Map<number, number>();
  for (const t of stage.tenants) onAlb.set(t.place.loadBalancer, (onAlb.get(t.place.loadBalancer) ?? 0) + 1);
  // Load balancer 0 also serves the control plane's apex services, and the router in router mode.
  const reserved = (alb: number) => (alb === 0 ? apexServices(fleet).length + (fleet.routing === "router" ? 1 : 0) : 0);
  const perAlb = [...Array(stage.placement.loadBalancers).keys()].map((alb) => (onAlb.get(alb) ?? 0) * cap.perTenant + reserved(alb));
  const busiest = Math.max(0, ...perAlb);
  const usage = platformUsage(raw, stage.stage);
  const cp = Object.keys(controlPlaneServices(fleet)).length;
  const rows: CapacityRow[] = [
    {
      what: "target groups on the busiest load balancer",
      used: busiest,
      quota: TARGET_GROUPS_PER_LOAD_BALANCER,
      remedy: "tenants spill over to another load balancer; this quota cannot be raised",
      perTenant: 0,
      tiers: "all",
    },
    {
      what: "listener rules on the busiest load balancer",
      used: busiest,
      quota: q.rulesPerLoadBalancer,
      field: "rulesPerLoadBalancer",
      remedy: "tenants spill over to another load balancer",
      perTenant: 0,
      tiers: "all",
    },
    {
      what: "load balancers",
      used: stage.placement.loadBalancers,
      quota: q.loadBalancersPerRegion,
      field: "loadBalancersPerRegion",
      remedy: "raise the quota, use routing: router (one rule for every tenant), or move tenants to an account of their own",
      // A tenant is a share of the load balancer it is on: one of as many as fit (the rules quota counts too).
      perTenant: cap.perTenant === 0 ? 0 : 1 / Math.max(1, tenantsPerLoadBalancer(cap, 1)),
      tiers: "all",
    },
    {
      what: "IAM roles",
      used: tenants * 2 + cp + 1 + usage.roles,
      platform: usage.roles,
      quota: q.rolesPerAccount,
      field: "rolesPerAccount",
      remedy: "raise the quota (at most 5,000) or move tenants to an account of their own",
      perTenant: 2,
      tiers: "all",
    },
    {
      what: "Aurora DB clusters",
      used: silo + 1 + usage.databases,
      platform: usage.databases,
      quota: q.dbClustersPerRegion,
      field: "dbClustersPerRegion",
      remedy: "raise the quota, move silo tenants to the pool tier, or move them to an account of their own",
      perTenant: 1,
      tiers: "silo",
    },
    {
      what: "DB instances",
      used: silo + 1 + usage.databases,
      platform: usage.databases,
      quota: q.dbInstancesPerRegion,
      field: "dbInstancesPerRegion",
      remedy: "raise the quota, move silo tenants to the pool tier, or move them to an account of their own",
      perTenant: 1,
      tiers: "silo",
    },
    {
      what: "Secrets Manager secrets",
      used: tenants * fleet.secrets.length + silo + 1 + usage.secrets,
      platform: usage.secrets,
      quota: q.secretsPerRegion,
      field: "secretsPerRegion",
      remedy: "raise the quota or move tenants to an account of their own",
      perTenant: fleet.secrets.length,
      tiers: "all",
    },
    {
      what: "ECS services in the fleet's cluster",
      used: tenants * Object.keys(fleet.services).length + cp,
      quota: q.servicesPerCluster,
      field: "servicesPerCluster",
      remedy: "move tenants to an account of their own",
      perTenant: Object.keys(fleet.services).length,
      tiers: "all",
    },
  ];
  const threshold = q.moveThreshold;
  // Usage minus fractions of a load balancer is not exact in floating point: 21 - 12 × (1/12) > 20.
  const under = (used: number, row: CapacityRow) => used <= row.quota * threshold + 1e-9;
  const pressing = rows.filter((r) => r.perTenant > 0 && !under(r.used, r));
  const moving = new Set<string>();
  for (const row of pressing) {
    const candidates = [...stage.tenants].reverse().filter((t) => row.tiers === "all" || t.tenant.tier === "silo");
    // Tenants already moving count for this row too.
    let used = row.used - candidates.filter((t) => moving.has(t.tenant.id)).length * row.perTenant;
    for (const t of candidates) {
      if (under(used, row)) break;
      if (moving.has(t.tenant.id)) continue;
      moving.add(t.tenant.id);
      used -= row.perTenant;
    }
  }
  const order = stage.tenants.map((t) => t.tenant.id).reverse();
  return { stage: stage.stage, rows, pressing, tenantsToMove: order.filter((id) => moving.has(id)) };
}

/** The report as the `fleet capacity` command prints it. */
export function formatCapacity(fleet: FleetConfig, report: CapacityReport): string {
  const lines = [`${fleet.product} in ${report.stage}: quota use (move threshold ${Math.round(fleet.quotas.moveThreshold * 100)}%)`];
  const width = Math.max(...report.rows.map((r) => r.what.length));
  for (const r of report.rows) {
    const pct = Math.round((r.used / r.quota) * 100);
    const flag = r.used > r.quota ? "  OVER QUOTA" : report.pressing.includes(r) ? "  above threshold" : "";
    lines.push(`  ${r.what.padEnd(width)}  ${String(r.used).padStart(6)} / ${String(r.quota).padEnd(6)} ${String(pct).padStart(3)}%${flag}`);
  }
  lines.push(
    report.tenantsToMove.length === 0
      ? "  no tenant needs an account of its own"
      : `  move to an account of their own (${report.tenantsToMove.length}): ${report.tenantsToMove.join(", ")}`,
  );
  return lines.join("\n");
}
