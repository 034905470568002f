import { fleetFixture, expectFleetSurfaceHolds, unnamedTenants } from "./fleet-surface-run";

describe("the attack surface of every fleet tenant's execution role", () => {
  it("denies every other tenant's secrets, log groups and keys, the control plane's images and the platform's", async () => {
    const { config } = fleetFixture();
    const results = await expectFleetSurfaceHolds("fleetExecution", 10000);
    expect(results).toHaveLength(config.fleet!.tenants.reduce((n, t) => n + (t.stages ?? Object.keys(config.fleet!.stages)).length, 0));
    const ids = config.fleet!.tenants.map((t) => t.id);
    for (const r of results) expect([r.principal.role.name, unnamedTenants(r, ids, Object.keys(config.stages))]).toEqual([r.principal.role.name, []]);
  });
});
