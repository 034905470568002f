import { PlatformConfig } from "../../src/config/schema";
import { fleetNames } from "@acme/apps-platform-constructs/naming";
import { Synthesized } from "../helpers";
import { FleetPrincipal, FleetSearch, decide, fleetSearch, searchFleetSurface } from "./fleet-surface";
import { mutants } from "./mutation";
import { expand } from "./policy-lint";
import { Policy } from "./synthesized-policies";

/** The fleet roles the mutation check weakens: a pool and a silo tenant's roles, and every control-plane role, in one stage. */
export const FLEET_MUTATION_ROLES = new Set([
  "accessos-acme-dev-task",
  "accessos-acme-dev-exec",
  "accessos-globex-dev-task",
  "accessos-globex-dev-exec",
  "accessos-dev-tenant-registry",
  "accessos-dev-licensing",
  "accessos-dev-routing-snapshot-publisher",
  "accessos-dev-router",
  "accessos-dev-cp-exec",
]);

/**
 * Weakenings no request AWS can make tells from the policy as it is, each with the reason. Listed
 * here, not skipped: each must still be unnoticed (else the entry is stale and goes), and nothing
 * else may be.
 */
export const EQUIVALENT_FLEET_MUTANTS: Record<string, string> = {
  "accessos-dev-tenant-registry: accessos-dev-tenant-registry-1 ReadDatabaseMasterSecrets: Resource widened to *":
    "the tag aws:rds:primaryDBClusterArn decides: only RDS sets it (aws: tags are AWS's), and only on the master secrets it names rds!cluster-…, so secret:rds!cluster-* and secret:* grant the same secrets",
};

/** One weakening of a fleet role's policies or of the fleet key's policy, and what the search made of it. */
export interface FleetMutationOutcome {
  /** `<role>: <policy> <Sid>: <what>` or `<key alias> <Sid>: the Deny removed`. */
  readonly label: string;
  /** The first case the weakened policies decide wrongly. */
  readonly noticedBy?: string;
  /**
   * Not noticed as is, because another layer backs the weakened statement up (a key or bucket
   * policy's Deny behind an identity condition, or the identity conditions behind the key policy's
   * Deny), and noticed once that layer is weakened too: two layers, each tested.
   */
  readonly backedBy?: string;
  readonly noticedWithoutTheBackingBy?: string;
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);

/** The role's policies with every condition on `keys` taken out of its Allow statements. */
function withoutConditionsOn(policies: Policy[], keys: string[]): Policy[] {
  const lower = keys.map((k) => k.toLowerCase());
  return policies.map((policy) => ({
    ...policy,
    Statement: policy.Statement.map((st) => {
      if (st.Effect !== "Allow" || !st.Condition) return st;
      const condition = Object.fromEntries(
        Object.entries(st.Condition as Record<string, Record<string, unknown>>)
          .map(([op, block]) => [op, Object.fromEntries(Object.entries(block).filter(([k]) => !lower.includes(k.toLowerCase())))] as const)
          .filter(([, block]) => Object.keys(block).length > 0),
      );
      const { Condition: _, ...rest } = st;
      return Object.keys(condition).length > 0 ? { ...rest, Condition: condition } : rest;
    }),
  }));
}

async function firstWrong(principals: FleetPrincipal[], s: FleetSearch, options: Parameters<typeof searchFleetSurface>[2], policiesOf?: (p: FleetPrincipal) => Policy[]): Promise<string | undefined> {
  for (const p of principals) {
    const result = await searchFleetSurface(p, s, { ...options, stopAtFirstFailure: true, ...(policiesOf ? { policies: policiesOf(p) } : {}) });
    if (result.failures.length > 0) return result.failures[0].case.description;
  }
  return undefined;
}

/**
 * Weakens, one step at a time, every chosen fleet role's policies (each Deny removed, each condition
 * key of an Allow removed, each narrowed Resource widened to `*`) and the fleet key's policy of the
 * chosen roles' stages (each Deny removed), and searches again (the weakened statement's actions,
 * until the first wrong decision).
 */
export async function runFleetMutations(config: PlatformConfig, synthesized: Synthesized, pick: (p: FleetPrincipal) => boolean): Promise<{ outcomes: FleetMutationOutcome[]; roles: FleetPrincipal[] }> {
  const s = await fleetSearch(config, synthesized);
  const roles = s.principals.filter(pick);
  const outcomes: FleetMutationOutcome[] = [];
  for (const p of roles) {
    for (const mutant of await mutants(p.role.policies)) {
      const label = `${p.role.name}: ${mutant.label}`;
      const noticedBy = await firstWrong([p], s, { policies: mutant.policies, actions: mutant.actions });
      if (noticedBy) {
        outcomes.push({ label, noticedBy });
        continue;
      }
      const layered = await firstWrong([p], s, { policies: mutant.policies, actions: mutant.actions, dropResourceDenies: true });
      outcomes.push({ label, ...(layered ? { backedBy: "a Deny of the resource's policy", noticedWithoutTheBackingBy: layered } : {}) });
    }
  }
  for (const stage of [...new Set(roles.map((p) => p.stage))]) {
    const alias = fleetNames(config.organisation, config.fleet!.product, stage).keyAlias.name;
    const policy = s.resourcePolicies.keys.get(alias);
    if (!policy) throw new Error(`no key policy for ${alias}`);
    const inStage = roles.filter((p) => p.stage === stage);
    for (let j = 0; j < policy.Statement.length; j++) {
      const deny = policy.Statement[j];
      if (deny.Effect !== "Deny") continue;
      const weakened: Policy = { ...policy, Statement: policy.Statement.filter((_, k) => k !== j) };
      const keyPolicies = new Map([[alias, weakened]]);
      const actions = new Set((await Promise.all(asList(deny.Action).map(expand))).flat().map((a) => a.toLowerCase()));
      const label = `${alias} ${deny.Sid}: the Deny removed`;
      const noticedBy = await firstWrong(inStage, s, { keyPolicies, actions });
      if (noticedBy) {
        outcomes.push({ label, noticedBy });
        continue;
      }
      // The keys the Deny tests, but who asks: the identity conditions it stands behind. Noticed once
      // those are gone too, by a case that the Deny, put back, denies: the Deny's own work.
      const keys = Object.values((deny.Condition ?? {}) as Record<string, Record<string, unknown>>)
        .flatMap((block) => Object.keys(block))
        .filter((k) => k.toLowerCase() !== "aws:principalarn");
      let layered: string | undefined;
      for (const p of inStage) {
        const weakIdentity = withoutConditionsOn(p.role.policies.map((x) => x.policy), keys);
        const result = await searchFleetSurface(p, s, { policies: weakIdentity, keyPolicies, actions });
        for (const f of result.failures) {
          if ((await decide(p, s, weakIdentity, f.case)) !== "Allowed") {
            layered = f.case.description;
            break;
          }
        }
        if (layered) break;
      }
      outcomes.push({ label, ...(layered ? { backedBy: `the roles' own ${keys.join(", ")} conditions`, noticedWithoutTheBackingBy: layered } : {}) });
    }
  }
  return { outcomes, roles };
}
