import { controlPlaneServices } from "../../src/fleet/model";
import { CONTROL_PLANE_EXECUTION } from "./fleet-surface";
import { fleetFixture, expectFleetSurfaceHolds } from "./fleet-surface-run";

describe("the attack surface of the fleet's control-plane roles", () => {
  it("denies every cluster's master secret but the stage's pool and silo ones, every table but the registry, every key use but its own", async () => {
    const { config } = fleetFixture();
    const results = await expectFleetSurfaceHolds("controlPlane", 5000);
    const services = [...Object.keys(controlPlaneServices(config.fleet!)), CONTROL_PLANE_EXECUTION].sort();
    for (const stage of Object.keys(config.fleet!.stages)) {
      expect(results.filter((r) => r.principal.stage === stage).map((r) => r.principal.service).sort()).toEqual(services);
    }
    // The registry's master-secret cases named the platform's services' clusters and clusters made outside the platform too.
    const registry = results.find((r) => r.principal.service === "tenant-registry")!;
    for (const owner of [...config.services.map((s) => s.slug), "untagged", "tenant:acme"]) expect([owner, registry.targets.has(`${owner}|`)]).toEqual([owner, true]);
  });
});
