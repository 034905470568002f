import { fleetFixture, expectFleetSurfaceHolds, unnamedTenants } from "./fleet-surface-run";

// Each kind of fleet role in a file of its own, so that jest searches them on both cores.
describe("the attack surface of every fleet tenant's task role", () => {
  it("denies every tenant's evidence, database users and keys to every other tenant, pool and silo, in every stage", async () => {
    const { config } = fleetFixture();
    const results = await expectFleetSurfaceHolds("fleetTask", 20000);
    const fleet = config.fleet!;
    // Every tenant of every stage was searched, both tiers among them.
    expect(results.map((r) => `${r.principal.tenant!.id}-${r.principal.stage}`).sort()).toEqual(
      fleet.tenants.flatMap((t) => (t.stages ?? Object.keys(fleet.stages)).map((st) => `${t.id}-${st}`)).sort(),
    );
    expect(new Set(results.map((r) => r.principal.tenant!.tier))).toEqual(new Set(["pool", "silo"]));
    // Every ordered pair: each role tried every other tenant's names in every stage, whether that tenant runs there or not.
    const ids = fleet.tenants.map((t) => t.id);
    for (const r of results) expect([r.principal.role.name, unnamedTenants(r, ids, Object.keys(config.stages))]).toEqual([r.principal.role.name, []]);
  });
});
