import { PlatformConfig } from "../../src/config/schema";
import { GITHUB_ISSUER_HOST, issuerHost } from "../../src/policy/ci";
import { Synthesized } from "../helpers";
import { extendIamDataWithOidcClaims } from "./simulator";
import { Principal, RoleKind, SurfaceResult, searchSurface, tenantPrincipals, universe } from "./surface";

/** Runs the surface search for the principals of a config that `pick` selects. */
export async function runSurface(config: PlatformConfig, synthesized: Synthesized, pick: (p: Principal) => boolean = () => true): Promise<SurfaceResult[]> {
  await extendIamDataWithOidcClaims([GITHUB_ISSUER_HOST, ...(config.ciIdentity.gitlab ? [issuerHost(config.ciIdentity.gitlab.url)] : [])]);
  const u = universe(config, synthesized);
  const results: SurfaceResult[] = [];
  for (const p of tenantPrincipals(config, synthesized).filter(pick)) results.push(await searchSurface(p, u));
  return results;
}

/** The failures of a run, one line each, as a test prints them. */
export function failureLines(results: SurfaceResult[], limit = 40): string[] {
  return results.flatMap((r) => r.failures.map((f) => `${f.decision}: ${f.case.description}`)).slice(0, limit);
}

export interface SurfaceTotals {
  readonly kind: RoleKind;
  readonly roles: number;
  readonly candidates: number;
  readonly evaluated: number;
  readonly pruned: number;
  readonly sampled: number;
  readonly failures: number;
}

/** Counts per kind of role, for the report. */
export function totalsByKind(results: SurfaceResult[]): SurfaceTotals[] {
  const kinds: RoleKind[] = ["deploy", "read", "execution", "ecrAccess", "ciPlan", "ciApply"];
  return kinds
    .map((kind) => {
      const of = results.filter((r) => r.principal.kind === kind);
      const sum = (f: (r: SurfaceResult) => number) => of.reduce((n, r) => n + f(r), 0);
      return { kind, roles: of.length, candidates: sum((r) => r.candidates), evaluated: sum((r) => r.evaluated), pruned: sum((r) => r.pruned), sampled: sum((r) => r.sampled), failures: sum((r) => r.failures.length) };
    })
    .filter((t) => t.roles > 0);
}
