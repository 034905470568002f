import { fleetTenantsConfig } from "../fixtures/fleet-configs";
import { PlatformConfig } from "../../src/config/schema";
import { Synthesized, synthPlatform } from "../helpers";
import { FleetRoleKind, FleetSurfaceResult, fleetFailureLines, runFleetSurface } from "./fleet-surface";
import { tenantOwner } from "./fleet-universe";

let fixture: { config: PlatformConfig; synthesized: Synthesized } | undefined;

/** The fleet fixture, synthesized once per test file. */
export function fleetFixture(): { config: PlatformConfig; synthesized: Synthesized } {
  if (!fixture) {
    const config = fleetTenantsConfig();
    fixture = { config, synthesized: synthPlatform(config) };
  }
  return fixture;
}

/**
 * What every fleet surface test asserts of its kind of role: nothing wrongly allowed, every allowed
 * action with an allowed request of the role's own (else the cases would start from a denied one),
 * every role of the kind searched, and the search not trivially small.
 */
export async function expectFleetSurfaceHolds(kind: FleetRoleKind, minimumCandidates: number): Promise<FleetSurfaceResult[]> {
  const { config, synthesized } = fleetFixture();
  const results = await runFleetSurface(config, synthesized, (p) => p.kind === kind);
  expect(fleetFailureLines(results)).toEqual([]);
  expect(results.filter((r) => r.missingBaselines.length > 0).map((r) => `${r.principal.role.name}: ${r.missingBaselines.join(", ")}`)).toEqual([]);
  for (const r of results) {
    expect([r.principal.role.name, r.candidates > minimumCandidates, r.sampled > 0, r.evaluated > r.sampled]).toEqual([r.principal.role.name, true, true, true]);
  }
  return results;
}

/** The (tenant, stage) pairs of the config that no candidate of a result named. */
export function unnamedTenants(r: FleetSurfaceResult, ids: readonly string[], stages: readonly string[]): string[] {
  return ids.flatMap((id) => stages.map((st) => `${tenantOwner(id)}|${st}`)).filter((t) => t !== `${r.principal.owner}|${r.principal.stage}` && !r.targets.has(t));
}
