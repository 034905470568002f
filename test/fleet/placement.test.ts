import fc from "fast-check";
import { FleetConfig, fleetSchema } from "../../src/config/fleet-schema";
import { FleetStage, apexServices, fleetStage, loadBalancerCapacity } from "../../src/fleet/model";
import {
  FIRST_TENANT_PRIORITY,
  LoadBalancerCapacity,
  LockedTenant,
  MAX_PRIORITY,
  PlacementLock,
  TARGET_GROUPS_PER_LOAD_BALANCER,
  TenantPlace,
  parsePlacementLock,
  placeStage,
  placementLockText,
  rulePriority,
  tenantsPerLoadBalancer,
} from "../../src/fleet/placement";
import { ROUTER_PRIORITY } from "../../stacks/fleet";
import { configWith } from "../helpers";
import { tenantIds } from "../fixtures/fleet-configs";

/**
 * The placement of fleet tenants on the shared load balancers: within AWS's quotas, with priorities
 * that never collide on a listener, and stable: with the lock of the previous synth, adding, removing
 * or reordering tenants never moves another or changes its priorities.
 */

/** The seed's service set: three path services and the catch-all iam-service, and a worker. */
const SEED_WEB = 4;

/** A fleet section, parsed by its schema (the platform's cross-checks need a whole config; these tests need the model only). */
function fleetWith(tenants: readonly string[], extra: Record<string, unknown> = {}): FleetConfig {
  return fleetSchema.parse({
    product: "accessos",
    controlPlaneImage: "0.9.0",
    stages: { dev: { domain: "accessos.dev.apps.acme.example" } },
    waves: [{ name: "general", image: "1.0.0" }],
    tenants: tenants.map((id) => ({ id, wave: "general" })),
    ...extra,
  });
}

/** The lock synth writes after placing a stage, read back as synth reads it. */
function lockAfter(fleet: FleetConfig, stage: FleetStage): PlacementLock {
  const text = placementLockText(fleet.product, { [stage.stage]: { places: stage.placement.places, allowDestroy: () => false } });
  const lock = parsePlacementLock(text, fleet.product);
  if (!lock) throw new Error(`the lock synth writes does not read back:\n${text}`);
  return lock;
}

/** A stage's lock entries from a placement (what placeStage takes as `locked`). */
function locked(places: ReadonlyMap<string, TenantPlace>): Record<string, LockedTenant> {
  return Object.fromEntries([...places].map(([id, p]) => [id, { ...p, allowDestroy: false }]));
}

const key = (p: TenantPlace) => `${p.loadBalancer}/${p.position}`;

/** Every quota and uniqueness rule a stage's placement must keep. */
function expectWithinQuotas(stage: FleetStage, fleet: FleetConfig): void {
  const capacity = loadBalancerCapacity(fleet);
  const cpPriorities = fleet.routing === "router" ? [ROUTER_PRIORITY, ...apexServices(fleet).map((w) => w.ruleIndex + 1)] : apexServices(fleet).map((w) => w.ruleIndex + 1);
  expect(new Set(stage.tenants.map((t) => key(t.place))).size).toBe(stage.tenants.length);
  for (let alb = 0; alb < stage.placement.loadBalancers; alb++) {
    const here = stage.tenants.filter((t) => t.place.loadBalancer === alb);
    const reserved = alb === 0 ? capacity.reservedOnFirst : 0;
    const used = here.length * capacity.perTenant + reserved;
    expect(used).toBeLessThanOrEqual(TARGET_GROUPS_PER_LOAD_BALANCER);
    expect(used).toBeLessThanOrEqual(fleet.quotas.rulesPerLoadBalancer);
    // Priorities are unique on the listener, the control plane's included on the first.
    const priorities = [...here.flatMap((t) => [...t.priorities.values()]), ...(alb === 0 ? cpPriorities : [])];
    expect(new Set(priorities).size).toBe(priorities.length);
    for (const p of priorities) {
      expect(p).toBeGreaterThanOrEqual(1);
      expect(p).toBeLessThanOrEqual(MAX_PRIORITY);
    }
    for (const t of here) for (const p of t.priorities.values()) expect(p).toBeGreaterThanOrEqual(FIRST_TENANT_PRIORITY);
  }
}

describe("250 tenants", () => {
  // Through the whole config loader, as synth reads it: 250 tenants in both stages.
  const config = configWith((raw) => {
    raw.fleet.tenants = tenantIds(250).map((id, i) => ({ id, wave: i < 10 ? "canary" : "general", tier: i % 10 === 0 ? "silo" : "pool" }));
  });
  const fleet = config.fleet!;

  it("fill 11 load balancers: 24 on the first (the control plane's rule), 25 on each other", () => {
    expect(loadBalancerCapacity(fleet)).toEqual({ perTenant: SEED_WEB, reservedOnFirst: 1, rulesPerLoadBalancer: 100 });
    for (const stage of ["dev", "prod"]) {
      const s = fleetStage(fleet, stage);
      expect(s.placement.loadBalancers).toBe(11);
      const counts = [...Array(11).keys()].map((alb) => s.tenants.filter((t) => t.place.loadBalancer === alb).length);
      expect(counts).toEqual([24, 25, 25, 25, 25, 25, 25, 25, 25, 25, 1]);
      // Without a lock, in config order: t-001..t-024 on the first, t-025 first on the second.
      expect(s.placement.places.get("t-024")).toEqual({ loadBalancer: 0, position: 23 });
      expect(s.placement.places.get("t-025")).toEqual({ loadBalancer: 1, position: 0 });
      expect(s.placement.places.get("t-250")).toEqual({ loadBalancer: 10, position: 0 });
      expectWithinQuotas(s, fleet);
    }
  });

  it("give every tenant the block of priorities of its position: 100 + 10p + its rule's index", () => {
    const s = fleetStage(fleet, "dev");
    const t = s.tenants.find((x) => x.tenant.id === "t-030")!;
    // t-030 is the sixth on the second load balancer: position 5.
    expect(t.place).toEqual({ loadBalancer: 1, position: 5 });
    expect(Object.fromEntries(t.priorities)).toEqual({ "integrations-service": 150, "discovery-service": 151, "audit-service": 152, "iam-service": 159 });
    // The same priorities on another load balancer do not collide: a rule's priority is unique per listener.
    const first = s.tenants.find((x) => x.tenant.id === "t-006")!;
    expect(first.place).toEqual({ loadBalancer: 0, position: 5 });
    expect([...first.priorities.values()]).toEqual([...t.priorities.values()]);
  });

  it("spread further when the account's rules quota is lower than the target groups quota", () => {
    // 50 rules: 49 / 4 = 12 on the first, 50 / 4 = 12 on the others: 250 / 12 → 21 load balancers.
    const tight = fleetWith(tenantIds(250), { quotas: { rulesPerLoadBalancer: 50 } });
    const s = fleetStage(tight, "dev");
    expect(s.placement.loadBalancers).toBe(21);
    expectWithinQuotas(s, tight);
    // 200 rules: the target groups quota (100) binds, as with the default.
    expect(fleetStage(fleetWith(tenantIds(250), { quotas: { rulesPerLoadBalancer: 200 } }), "dev").placement.loadBalancers).toBe(11);
  });
});

/** Tenant ids: DNS labels, unique. */
const ids = (max: number) => fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/), { minLength: 0, maxLength: max });
/** A capacity: 1 to 10 web services per tenant, 0 to 10 control-plane rules, any rules quota that holds a tenant. */
const capacities = fc
  .record({ perTenant: fc.integer({ min: 1, max: 10 }), reservedOnFirst: fc.integer({ min: 0, max: 10 }), rules: fc.integer({ min: 10, max: 1000 }) })
  .map((c): LoadBalancerCapacity => ({ perTenant: c.perTenant, reservedOnFirst: c.reservedOnFirst, rulesPerLoadBalancer: c.rules }));

describe("placeStage, for any tenants and capacity", () => {
  it("stays within the quotas, gives unique places and uses as few load balancers as the order allows", () => {
    fc.assert(
      fc.property(ids(300), capacities, (tenants, capacity) => {
        const p = placeStage(tenants, capacity);
        expect(p.places.size).toBe(tenants.length);
        expect(new Set([...p.places.values()].map(key)).size).toBe(tenants.length);
        for (let alb = 0; alb < p.loadBalancers; alb++) {
          const n = [...p.places.values()].filter((x) => x.loadBalancer === alb).length;
          const used = n * capacity.perTenant + (alb === 0 ? capacity.reservedOnFirst : 0);
          expect(used).toBeLessThanOrEqual(Math.min(TARGET_GROUPS_PER_LOAD_BALANCER, capacity.rulesPerLoadBalancer));
        }
        // Filled in order without a lock: the fewest load balancers whose places add up to the tenants.
        let fit = 0;
        let needed = 1;
        while (fit + tenantsPerLoadBalancer(capacity, needed - 1) < tenants.length) fit += tenantsPerLoadBalancer(capacity, needed++ - 1);
        expect(p.loadBalancers).toBe(needed);
      }),
      { numRuns: 200 },
    );
  });

  it("never loops when no load balancer can hold a tenant: it says why", () => {
    expect(() => placeStage(["a1"], { perTenant: 5, reservedOnFirst: 1, rulesPerLoadBalancer: 4 })).toThrow(
      "a tenant needs 5 listener rules and target groups on one load balancer, more than one holds (4 rules, 100 target groups)",
    );
    // Nothing to place: no load balancer is needed beyond the first.
    expect(placeStage([], { perTenant: 5, reservedOnFirst: 1, rulesPerLoadBalancer: 4 }).loadBalancers).toBe(1);
  });
});

describe("with the lock of the previous placement", () => {
  const tenantsAndCapacity = fc.tuple(ids(120), capacities);

  it("adding any tenant anywhere in the list moves no other tenant and changes no other's priorities", () => {
    fc.assert(
      // A hyphen the generated ids never have: the new tenant is new.
      fc.property(ids(60), fc.stringMatching(/^new-[a-z0-9]{1,5}$/), fc.nat(), (tenants, added, at) => {
        const before = fleetStage(fleetWith(tenants), "dev");
        const list = [...tenants];
        list.splice(at % (list.length + 1), 0, added);
        const fleet = fleetWith(list);
        const after = fleetStage(fleet, "dev", lockAfter(fleetWith(tenants), before));
        for (const t of before.tenants) {
          const now = after.tenants.find((x) => x.tenant.id === t.tenant.id)!;
          expect(now.place).toEqual(t.place);
          expect(now.priorities).toEqual(t.priorities);
        }
        expect(after.placement.moved).toEqual([]);
        expectWithinQuotas(after, fleet);
      }),
      { numRuns: 100 },
    );
  });

  it("removing any tenant moves no other tenant and changes no other's priorities; its place is the next new tenant's", () => {
    fc.assert(
      fc.property(ids(60).filter((t) => t.length > 0), fc.nat(), (tenants, which) => {
        const fleet = fleetWith(tenants);
        const before = fleetStage(fleet, "dev");
        const lock = lockAfter(fleet, before);
        const gone = tenants[which % tenants.length];
        const rest = tenants.filter((t) => t !== gone);
        const after = fleetStage(fleetWith(rest), "dev", lock);
        for (const t of after.tenants) {
          const was = before.tenants.find((x) => x.tenant.id === t.tenant.id)!;
          expect(t.place).toEqual(was.place);
          expect(t.priorities).toEqual(was.priorities);
        }
        expect([...after.placement.removed.keys()]).toEqual([gone]);
        // Without a lock all places were filled in order, so the freed one is the lowest free place.
        const next = fleetStage(fleetWith([...rest, "zz-newcomer"]), "dev", lockAfter(fleetWith(rest), after));
        expect(next.placement.places.get("zz-newcomer")).toEqual(before.placement.places.get(gone));
      }),
      { numRuns: 100 },
    );
  });

  it("any sequence of additions and removals never moves a tenant that stays", () => {
    const step = fc.oneof(fc.record({ add: fc.stringMatching(/^[a-z][a-z0-9]{1,6}$/), at: fc.nat() }), fc.record({ remove: fc.nat() }));
    fc.assert(
      fc.property(tenantsAndCapacity, fc.array(step, { maxLength: 25 }), ([start, capacity], steps) => {
        let tenants = start;
        let placement = placeStage(tenants, capacity);
        for (const s of steps) {
          const next = [...tenants];
          if ("add" in s) {
            if (next.includes(s.add)) continue;
            next.splice(s.at % (next.length + 1), 0, s.add);
          } else if (next.length > 0) next.splice(s.remove % next.length, 1);
          const after = placeStage(next, capacity, locked(placement.places));
          for (const id of next) if (placement.places.has(id)) expect(after.places.get(id)).toEqual(placement.places.get(id));
          expect(new Set([...after.places.values()].map(key)).size).toBe(next.length);
          expect(after.moved).toEqual([]);
          tenants = next;
          placement = after;
        }
      }),
      { numRuns: 100 },
    );
  });

  it("a reordered tenant list keeps every place; without the lock it would not", () => {
    fc.assert(
      fc.property(
        ids(80).filter((t) => t.length > 1),
        capacities,
        fc.infiniteStream(fc.nat()),
        (tenants, capacity, randomness) => {
          const before = placeStage(tenants, capacity);
          // A Fisher-Yates shuffle driven by fast-check, so that a failure shrinks and replays.
          const shuffled = [...tenants];
          const it = randomness[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = it.next().value % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
          }
          const after = placeStage(shuffled, capacity, locked(before.places));
          expect(after.places).toEqual(before.places);
          // The lock is what keeps them: the reversed list placed afresh swaps the first and the last.
          const fresh = placeStage([...tenants].reverse(), capacity);
          expect(fresh.places.get(tenants[0])).toEqual(before.places.get(tenants[tenants.length - 1]));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("capacity that grows moves nobody: new tenants fill the holes first", () => {
    fc.assert(
      fc.property(tenantsAndCapacity, fc.integer({ min: 0, max: 9 }), ([tenants, capacity], fewer) => {
        const before = placeStage(tenants, capacity);
        // Fewer web services per tenant, or a raised rules quota: every locked place still fits.
        const grown: LoadBalancerCapacity = { ...capacity, perTenant: Math.max(1, capacity.perTenant - fewer), rulesPerLoadBalancer: capacity.rulesPerLoadBalancer + 100 };
        const after = placeStage([...tenants, "zz-new"], grown, locked(before.places));
        for (const id of tenants) expect(after.places.get(id)).toEqual(before.places.get(id));
        expect(after.moved).toEqual([]);
        // The newcomer takes the lowest free place, on the first load balancer that has room.
        const p = after.places.get("zz-new")!;
        const firstWithRoom = [...Array(after.loadBalancers).keys()].find((alb) => [...before.places.values()].filter((x) => x.loadBalancer === alb).length < tenantsPerLoadBalancer(grown, alb));
        expect(p.loadBalancer).toBe(firstWithRoom);
      }),
      { numRuns: 150 },
    );
  });

  it("capacity that shrinks moves exactly the tenants whose place no longer fits, to free places within the quotas", () => {
    fc.assert(
      fc.property(tenantsAndCapacity, fc.integer({ min: 1, max: 5 }), ([tenants, capacity], more) => {
        const before = placeStage(tenants, capacity);
        // More web services per tenant (a service added to the set): fewer tenants fit on each load balancer.
        const shrunk: LoadBalancerCapacity = { ...capacity, perTenant: Math.min(10, capacity.perTenant + more) };
        const after = placeStage(tenants, shrunk, locked(before.places));
        const outOfRoom = tenants.filter((id) => before.places.get(id)!.position >= tenantsPerLoadBalancer(shrunk, before.places.get(id)!.loadBalancer));
        expect([...after.moved].sort()).toEqual([...outOfRoom].sort());
        for (const id of tenants.filter((t) => !outOfRoom.includes(t))) expect(after.places.get(id)).toEqual(before.places.get(id));
        for (const id of outOfRoom) expect(after.places.get(id)!.position).toBeLessThan(tenantsPerLoadBalancer(shrunk, after.places.get(id)!.loadBalancer));
        expect(new Set([...after.places.values()].map(key)).size).toBe(tenants.length);
      }),
      { numRuns: 150 },
    );
  });

  it("resolves a corrupt lock the same way every time: a shared place goes to the first id, a place that does not fit is given up", () => {
    const capacity: LoadBalancerCapacity = { perTenant: SEED_WEB, reservedOnFirst: 1, rulesPerLoadBalancer: 100 };
    const lock: Record<string, LockedTenant> = {
      bravo: { loadBalancer: 0, position: 3, allowDestroy: false },
      alpha: { loadBalancer: 0, position: 3, allowDestroy: false },
      charlie: { loadBalancer: 0, position: 24, allowDestroy: false }, // the first holds positions 0..23
      delta: { loadBalancer: -1, position: 0.5, allowDestroy: false },
    };
    for (const order of [["alpha", "bravo", "charlie", "delta"], ["delta", "charlie", "bravo", "alpha"]]) {
      const p = placeStage(order, capacity, lock);
      expect(p.places.get("alpha")).toEqual({ loadBalancer: 0, position: 3 });
      expect([...p.moved].sort()).toEqual(["bravo", "charlie", "delta"]);
      expect(new Set([...p.places.values()].map(key)).size).toBe(4);
    }
  });
});

describe("the control plane's rules on the first load balancer", () => {
  it("take places from the first load balancer only, and never share a priority with a tenant", () => {
    // Four path services and the catch-all on the apex domain: 5 rules, priorities 1..4 and 10.
    const controlPlane = {
      "tenant-registry": { port: 8080 },
      login: { port: 8080, path: "/login" },
      discovery: { port: 8080, path: "/discover" },
      docs: { port: 8080, path: "/docs" },
      status: { port: 8080, path: "/status" },
      licensing: {},
    };
    const fleet = fleetWith(tenantIds(60), { controlPlane });
    expect(apexServices(fleet).map((w) => w.ruleIndex + 1)).toEqual([1, 2, 3, 4, 10]);
    const s = fleetStage(fleet, "dev");
    // (100 - 5) / 4 = 23 on the first; 25 on each other.
    expect(s.tenants.filter((t) => t.place.loadBalancer === 0)).toHaveLength(23);
    expect(s.placement.places.get("t-024")).toEqual({ loadBalancer: 1, position: 0 });
    expectWithinQuotas(s, fleet);
    // With the seed's control plane (one apex rule) the first holds 24.
    expect(fleetStage(fleetWith(tenantIds(60)), "dev").tenants.filter((t) => t.place.loadBalancer === 0)).toHaveLength(24);
  });

  it("are all there is in router mode: one rule for the router, none per tenant, so one load balancer for any number", () => {
    const fleet = fleetWith(tenantIds(250), { routing: "router" });
    expect(loadBalancerCapacity(fleet)).toEqual({ perTenant: 0, reservedOnFirst: 0, rulesPerLoadBalancer: 100 });
    const s = fleetStage(fleet, "dev");
    expect(s.placement.loadBalancers).toBe(1);
    for (const t of s.tenants) expect(t.priorities.size).toBe(0);
    expectWithinQuotas(s, fleet);
  });

  it("leave tenants' priorities above them, up to the listener's maximum", () => {
    expect(rulePriority({ loadBalancer: 0, position: 0 }, 0)).toBe(FIRST_TENANT_PRIORITY);
    expect(ROUTER_PRIORITY).toBeLessThan(FIRST_TENANT_PRIORITY);
    // The last position the priorities allow: its catch-all is the highest priority a listener takes.
    const last = Math.floor((MAX_PRIORITY - FIRST_TENANT_PRIORITY) / 10) - 1;
    expect(rulePriority({ loadBalancer: 0, position: last }, 9)).toBeLessThanOrEqual(MAX_PRIORITY);
    expect(() => rulePriority({ loadBalancer: 0, position: 0 }, 10)).toThrow("a tenant has at most 10 web services");
  });
});
