import { PlatformConfig } from "../../src/config/schema";
import { GITHUB_ISSUER_HOST, issuerHost } from "../../src/policy/ci";
import { Synthesized } from "../helpers";
import { Mutant, mutants } from "./mutation";
import { extendIamDataWithOidcClaims } from "./simulator";
import { Principal, searchSurface, tenantPrincipals, universe } from "./surface";

export interface MutationOutcome {
  readonly principal: Principal;
  readonly mutant: Mutant;
  /** The first case the weakened policy decides wrongly, or undefined if none does. */
  readonly noticedBy?: string;
  /**
   * Not noticed as is because a resource policy's Deny backs the condition up (the platform key's
   * policy), and noticed once that Deny is gone too: two layers, each tested.
   */
  readonly backedByResourcePolicy?: string;
}

/**
 * Weakens each statement of each chosen role's policies in turn and searches that role's surface
 * again (only the weakened statement's actions, stopping at the first wrong decision).
 */
export async function runMutations(config: PlatformConfig, synthesized: Synthesized, pick: (p: Principal) => boolean): Promise<MutationOutcome[]> {
  await extendIamDataWithOidcClaims([GITHUB_ISSUER_HOST, ...(config.ciIdentity.gitlab ? [issuerHost(config.ciIdentity.gitlab.url)] : [])]);
  const u = universe(config, synthesized);
  const outcomes: MutationOutcome[] = [];
  for (const p of tenantPrincipals(config, synthesized).filter(pick)) {
    for (const mutant of await mutants(p.role.policies)) {
      const result = await searchSurface(p, u, { policies: mutant.policies, actions: mutant.actions, stopAtFirstFailure: true });
      if (result.failures.length > 0) {
        outcomes.push({ principal: p, mutant, noticedBy: result.failures[0].case.description });
        continue;
      }
      const layered = await searchSurface(p, u, { policies: mutant.policies, actions: mutant.actions, stopAtFirstFailure: true, dropResourceDenies: true });
      outcomes.push({ principal: p, mutant, backedByResourcePolicy: layered.failures[0]?.case.description });
    }
  }
  return outcomes;
}
