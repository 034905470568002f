import { EQUIVALENT_FLEET_MUTANTS, FLEET_MUTATION_ROLES, runFleetMutations } from "./fleet-mutation";
import { fleetFixture } from "./fleet-surface-run";

describe("the fleet's surface search notices every weakened statement", () => {
  it("for every Deny of the fleet key's policy, every condition and every narrowed Resource of the tenants' and the control plane's roles", async () => {
    const { config, synthesized } = fleetFixture();
    const { outcomes, roles } = await runFleetMutations(config, synthesized, (p) => FLEET_MUTATION_ROLES.has(p.role.name));
    expect(new Set(roles.map((p) => p.role.name))).toEqual(FLEET_MUTATION_ROLES);
    const unnoticed = outcomes.filter((o) => !o.noticedBy && !o.noticedWithoutTheBackingBy).map((o) => o.label);
    expect(unnoticed).toEqual(Object.keys(EQUIVALENT_FLEET_MUTANTS));
    // Every kind of weakening was tried, the key policy's Deny among them, and every chosen role was weakened.
    for (const kind of ["the Deny removed", "condition", "Resource widened"]) expect([kind, outcomes.some((o) => o.label.includes(kind))]).toEqual([kind, true]);
    expect(outcomes.some((o) => o.label.startsWith("alias/apps-platform/dev/fleet/accessos FleetRolesUseKeyOnlyThroughServices"))).toBe(true);
    for (const role of FLEET_MUTATION_ROLES) expect([role, outcomes.some((o) => o.label.startsWith(`${role}: `))]).toEqual([role, true]);
  });
});
