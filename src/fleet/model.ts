import { DEFAULT_ROUTER, FleetConfig, FleetServiceConfig, FleetTenantConfig } from "../config/fleet-schema";
import { LoadBalancerCapacity, PlacementLock, StagePlacement, TenantPlace, placeStage, rulePriority } from "./placement";

/**
 * The fleet as the stacks and the `fleet` command see it: per stage, which tenants run there, on
 * which load balancer and with which rule priorities, with which image, paused or not. Derived from
 * the config (and the placement lock) only; every stack of the fleet reads it from here.
 */

/** A web service of the tenant set: its routing order decides its rule's priority. */
export interface WebService {
  readonly name: string;
  readonly spec: FleetServiceConfig;
  /** The path prefix, or undefined for the catch-all. */
  readonly path?: string;
  /** Index in the tenant's block of rule priorities. */
  readonly ruleIndex: number;
}

/** The tenant services that take traffic, path rules first (in config order), the catch-all last. */
export function webServices(services: Record<string, FleetServiceConfig>): WebService[] {
  const web = Object.entries(services).filter(([, s]) => s.port !== undefined);
  const withPath = web.filter(([, s]) => s.path !== undefined);
  const catchAll = web.filter(([, s]) => s.path === undefined);
  return [...withPath, ...catchAll].map(([name, spec], i) => ({ name, spec, path: spec.path, ruleIndex: spec.path === undefined ? 9 : i }));
}

/** The control-plane services, with the router when routing: router. */
export function controlPlaneServices(fleet: FleetConfig): Record<string, FleetServiceConfig> {
  return fleet.routing === "router" ? { ...fleet.controlPlane, router: fleet.router ?? DEFAULT_ROUTER } : { ...fleet.controlPlane };
}

/** The control-plane services on the apex domain (tenant discovery, login bootstrap): those with a port, the router excepted. */
export function apexServices(fleet: FleetConfig): WebService[] {
  return webServices(fleet.controlPlane);
}

/** The stages a tenant runs in. */
export function tenantStages(fleet: FleetConfig, tenant: FleetTenantConfig): string[] {
  return tenant.stages ?? Object.keys(fleet.stages);
}

export function tenantsIn(fleet: FleetConfig, stage: string): FleetTenantConfig[] {
  return fleet.tenants.filter((t) => tenantStages(fleet, t).includes(stage));
}

export function loadBalancerCapacity(fleet: FleetConfig): LoadBalancerCapacity {
  if (fleet.routing === "router") return { perTenant: 0, reservedOnFirst: 0, rulesPerLoadBalancer: fleet.quotas.rulesPerLoadBalancer };
  return {
    perTenant: webServices(fleet.services).length,
    reservedOnFirst: apexServices(fleet).length,
    rulesPerLoadBalancer: fleet.quotas.rulesPerLoadBalancer,
  };
}

/** One tenant in one stage. */
export interface TenantInStage {
  readonly tenant: FleetTenantConfig;
  readonly stage: string;
  readonly image: string;
  readonly waveIndex: number;
  /** Paused itself or by its stage. */
  readonly paused: boolean;
  readonly place: TenantPlace;
  /** Rule priority per web service name (hostHeader routing only). */
  readonly priorities: ReadonlyMap<string, number>;
}

export interface FleetStage {
  readonly stage: string;
  readonly domain: string;
  readonly paused: boolean;
  readonly placement: StagePlacement;
  readonly tenants: readonly TenantInStage[];
}

/** The fleet in one stage, placed with the lock when there is one. */
export function fleetStage(fleet: FleetConfig, stage: string, lock?: PlacementLock): FleetStage {
  const s = fleet.stages[stage];
  if (!s) throw new Error(`the fleet does not run in stage ${stage}`);
  const tenants = tenantsIn(fleet, stage);
  const placement = placeStage(
    tenants.map((t) => t.id),
    loadBalancerCapacity(fleet),
    lock?.stages[stage] ?? {},
  );
  const web = fleet.routing === "hostHeader" ? webServices(fleet.services) : [];
  return {
    stage,
    domain: s.domain,
    paused: s.paused,
    placement,
    tenants: tenants.map((tenant) => {
      const waveIndex = fleet.waves.findIndex((w) => w.name === tenant.wave);
      const place = placement.places.get(tenant.id)!;
      return {
        tenant,
        stage,
        image: fleet.waves[waveIndex].image,
        waveIndex,
        paused: tenant.paused || s.paused,
        place,
        priorities: new Map(web.map((w) => [w.name, rulePriority(place, w.ruleIndex)])),
      };
    }),
  };
}

/** Every stage of the fleet. */
export function fleetStages(fleet: FleetConfig, lock?: PlacementLock): FleetStage[] {
  return Object.keys(fleet.stages).map((stage) => fleetStage(fleet, stage, lock));
}
