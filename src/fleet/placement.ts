/**
 * Where each fleet tenant sits on the shared load balancers, and the listener rule priorities that
 * follow from it.
 *
 * An ALB holds at most 100 target groups (a hard quota) and, by default, 100 listener rules, so a
 * stage with many tenants needs several ALBs. A tenant's place (load balancer, position) is kept in
 * the placement lock, `fleet-placement.json` beside the generated stacks, which synth reads and
 * rewrites: a tenant keeps its place for as long as it is in the config, a new tenant takes the
 * lowest free place, and a removed one frees its place. So adding or removing a tenant never moves
 * another, whatever the order of `tenants:`, and two tenants never share a place, so their rule
 * priorities (derived from the place) never collide.
 */

/** Target groups per Application Load Balancer: a quota AWS does not raise. */
export const TARGET_GROUPS_PER_LOAD_BALANCER = 100;
/** Listener rule priorities run from 1 to 50,000. */
export const MAX_PRIORITY = 50000;
/** Rules of one tenant occupy a block of this many priorities. */
export const PRIORITY_BLOCK = 10;
/** Priorities below this belong to the control plane's rules on the fleet's apex domain. */
export const FIRST_TENANT_PRIORITY = 100;
/** Positions on one load balancer, as far as priorities go. */
export const MAX_POSITION = Math.floor((MAX_PRIORITY - FIRST_TENANT_PRIORITY) / PRIORITY_BLOCK) - 1;

export interface TenantPlace {
  /** 0-based index of the load balancer. */
  readonly loadBalancer: number;
  /** 0-based position on it: the tenant's block of rule priorities. */
  readonly position: number;
}

/** What the lock keeps per tenant and stage. */
export interface LockedTenant extends TenantPlace {
  /** The tenant's allowDestroy when last synthesized: a protected tenant may not silently leave the config. */
  readonly allowDestroy: boolean;
}

/** The placement lock's content: per stage, per tenant id. */
export interface PlacementLock {
  readonly version: 1;
  readonly product: string;
  readonly stages: Record<string, Record<string, LockedTenant>>;
}

/** How many tenants fit on each load balancer of a stage. */
export interface LoadBalancerCapacity {
  /** Target groups (and rules) one tenant needs: its web services. */
  readonly perTenant: number;
  /** Target groups and rules the control plane takes on load balancer 0. */
  readonly reservedOnFirst: number;
  /** Listener rules per load balancer (the account's quota). */
  readonly rulesPerLoadBalancer: number;
}

/** Tenants that fit on load balancer `index`; Infinity when tenants need no rules (router mode, no web services). */
export function tenantsPerLoadBalancer(c: LoadBalancerCapacity, index: number): number {
  if (c.perTenant === 0) return Infinity;
  const reserved = index === 0 ? c.reservedOnFirst : 0;
  const room = Math.min(TARGET_GROUPS_PER_LOAD_BALANCER - reserved, c.rulesPerLoadBalancer - reserved);
  return Math.max(0, Math.min(Math.floor(room / c.perTenant), MAX_POSITION + 1));
}

export interface StagePlacement {
  /** Every tenant of the stage, by id. */
  readonly places: ReadonlyMap<string, TenantPlace>;
  /** Load balancers the stage needs (at least one). */
  readonly loadBalancers: number;
  /** Tenants the lock placed that are gone from the stage, with what the lock knew of them. */
  readonly removed: ReadonlyMap<string, LockedTenant>;
  /** Tenants whose locked place no longer fits (the service set grew) and were placed again. */
  readonly moved: readonly string[];
}

/**
 * Places the tenants of one stage: locked tenants keep their place, the others (in config order)
 * take the lowest free ones. Pure: the same tenants and lock give the same placement.
 */
export function placeStage(tenantIds: readonly string[], capacity: LoadBalancerCapacity, locked: Record<string, LockedTenant> = {}): StagePlacement {
  const places = new Map<string, TenantPlace>();
  const taken = new Set<string>();
  const key = (p: TenantPlace) => `${p.loadBalancer}/${p.position}`;
  const present = new Set(tenantIds);
  const moved: string[] = [];
  // Locked places first, in id order so that a corrupt lock (two tenants in one place) resolves the same way every time.
  for (const id of [...tenantIds].filter((t) => locked[t]).sort()) {
    const p = locked[id];
    const fits = Number.isInteger(p.loadBalancer) && Number.isInteger(p.position) && p.loadBalancer >= 0 && p.position >= 0 && p.position < tenantsPerLoadBalancer(capacity, p.loadBalancer);
    if (fits && !taken.has(key(p))) {
      places.set(id, { loadBalancer: p.loadBalancer, position: p.position });
      taken.add(key(p));
    } else moved.push(id);
  }
  // Load balancers after the first all hold the same number of tenants: none means no tenant fits anywhere.
  if (tenantIds.some((id) => !places.has(id)) && tenantsPerLoadBalancer(capacity, 1) === 0) {
    throw new Error(`a tenant needs ${capacity.perTenant} listener rules and target groups on one load balancer, more than one holds (${capacity.rulesPerLoadBalancer} rules, ${TARGET_GROUPS_PER_LOAD_BALANCER} target groups)`);
  }
  let alb = 0;
  let position = 0;
  for (const id of tenantIds) {
    if (places.has(id)) continue;
    for (;;) {
      const room = tenantsPerLoadBalancer(capacity, alb);
      if (position >= room) {
        alb += 1;
        position = 0;
        continue;
      }
      if (!taken.has(`${alb}/${position}`)) break;
      position += 1;
    }
    places.set(id, { loadBalancer: alb, position });
    taken.add(`${alb}/${position}`);
  }
  const removed = new Map(Object.entries(locked).filter(([id]) => !present.has(id)));
  const loadBalancers = Math.max(1, ...[...places.values()].map((p) => p.loadBalancer + 1));
  return { places, loadBalancers, removed, moved };
}

/**
 * The listener rule priority of a tenant's k-th web service (0-based, path rules first, the
 * catch-all last). Places are unique, so priorities are: position p owns 100 + 10p .. 109 + 10p.
 */
export function rulePriority(place: TenantPlace, k: number): number {
  if (k < 0 || k >= PRIORITY_BLOCK) throw new Error(`a tenant has at most ${PRIORITY_BLOCK} web services, got index ${k}`);
  return FIRST_TENANT_PRIORITY + place.position * PRIORITY_BLOCK + k;
}

/** Reads a lock's text; anything that is not a lock of this product is no lock. */
export function parsePlacementLock(text: string | undefined, product: string): PlacementLock | undefined {
  if (!text) return undefined;
  try {
    const lock = JSON.parse(text) as PlacementLock;
    if (lock.version !== 1 || lock.product !== product || typeof lock.stages !== "object" || lock.stages === null) return undefined;
    return lock;
  } catch {
    return undefined;
  }
}

/** The lock's text for a placement, sorted so that it diffs well in review. */
export function placementLockText(product: string, stages: Record<string, { places: ReadonlyMap<string, TenantPlace>; allowDestroy: (id: string) => boolean }>): string {
  const out: PlacementLock = {
    version: 1,
    product,
    stages: Object.fromEntries(
      Object.keys(stages)
        .sort()
        .map((stage) => {
          const s = stages[stage];
          const ids = [...s.places.keys()].sort();
          return [stage, Object.fromEntries(ids.map((id) => [id, { ...s.places.get(id)!, allowDestroy: s.allowDestroy(id) }]))];
        }),
    ),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
