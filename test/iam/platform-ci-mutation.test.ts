import { PlatformConfig } from "../../src/config/schema";
import { DATA_READ_ACTIONS, ITEM_READ_ACTIONS } from "../../src/policy/platform-ci";
import { exampleConfig, synthPlatform } from "../helpers";
import { Mutant, mutants } from "./mutation";
import { expand } from "./policy-lint";
import { DATA_READS, PlatformCiRoles, allCases, failuresOf, platformCiRolesOf, platformState, runCases } from "./platform-ci";
import { Policy, SynthesizedRole } from "./synthesized-policies";

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * Weakenings of a resource policy (the platform's state bucket policy): each statement dropped, and
 * each condition key of each statement dropped, Deny or Allow. A Deny without one of its conditions
 * denies more; the proof must notice that too, or it does not test that the condition lets the right
 * principals through.
 */
async function resourcePolicyMutants(name: string, policy: Policy): Promise<Mutant[]> {
  const out: Mutant[] = [];
  for (let j = 0; j < policy.Statement.length; j++) {
    const statement = policy.Statement[j];
    const actions = new Set((await Promise.all([statement.Action].flat().map((a) => expand(String(a))))).flat().map((a) => a.toLowerCase()));
    const dropped = clone(policy);
    dropped.Statement.splice(j, 1);
    out.push({ label: `${name} ${statement.Sid}: the statement removed`, policies: [dropped], actions });
    for (const [operator, block] of Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const key of Object.keys(block)) {
        const weakened = clone(policy);
        const s = weakened.Statement[j];
        delete s.Condition[operator][key];
        if (Object.keys(s.Condition[operator]).length === 0) delete s.Condition[operator];
        if (Object.keys(s.Condition).length === 0) delete s.Condition;
        out.push({ label: `${name} ${statement.Sid}: condition ${operator} ${key} removed`, policies: [weakened], actions });
      }
    }
  }
  return out;
}

interface Target {
  readonly label: string;
  readonly mutant: Mutant;
  /** The roles with the weakened policy in place. */
  readonly roles: PlatformCiRoles;
  /** Which cases can change: those of the weakened role, or those the bucket policy decides. */
  readonly relevant: (c: { roles: readonly string[]; request: { resourcePolicy?: Policy } }) => boolean;
}

async function targets(config: PlatformConfig, roles: PlatformCiRoles): Promise<Target[]> {
  const out: Target[] = [];
  const all = [roles.plan, roles.apply, ...roles.reads];
  const replace = (role: SynthesizedRole, change: Partial<SynthesizedRole>): PlatformCiRoles => {
    const swap = (r: SynthesizedRole) => (r.arn === role.arn ? { ...r, ...change } : r);
    return { ...roles, plan: swap(roles.plan), apply: swap(roles.apply), reads: roles.reads.map(swap) };
  };
  for (const role of all) {
    for (const mutant of await mutants(role.policies)) {
      const policies = role.policies.map((p, i) => ({ name: p.name, policy: mutant.policies[i] }));
      out.push({ label: `${role.arn}: ${mutant.label}`, mutant, roles: replace(role, { policies }), relevant: (c) => c.roles.includes(role.arn) });
    }
    for (const mutant of await mutants([{ name: "trust", policy: role.trust }])) {
      out.push({ label: `${role.arn}: ${mutant.label}`, mutant, roles: replace(role, { trust: mutant.policies[0] }), relevant: (c) => c.roles.includes(role.arn) });
    }
  }
  const bucket = platformState(config).bucket;
  const policy = roles.buckets.get(bucket)!;
  for (const mutant of await resourcePolicyMutants(`${bucket} bucket policy`, policy)) {
    // The authorizer CI roles' own statements are mutated by their proof (test/iam/ephemeral-ci-mutation.test.ts).
    if (/ (PerPr|Stable)CiRole\w*:/.test(mutant.label)) continue;
    const buckets = new Map(roles.buckets).set(bucket, mutant.policies[0]);
    out.push({ label: mutant.label, mutant, roles: { ...roles, buckets }, relevant: (c) => c.request.resourcePolicy === mutant.policies[0] });
  }
  return out;
}

/**
 * The proof of the proof: every Deny and every condition of the platform CI roles' policies (trust
 * and permissions, the plan, apply and read roles) and of the platform's state bucket policy removed
 * one at a time, and every narrowed Allow Resource widened to *: some case must then be decided wrongly.
 */
describe("the platform CI proof notices every weakened statement", () => {
  const config = exampleConfig();
  const roles = platformCiRolesOf(config, synthPlatform(config));
  const data = [...DATA_READS, ...DATA_READ_ACTIONS, ...ITEM_READ_ACTIONS];

  it("for every Deny, condition and narrowed Resource of the plan, apply and read roles and the state bucket", async () => {
    expect(failuresOf(await runCases(config, (await allCases(config, roles, data)).filter((c) => c.category !== "write")))).toEqual([]);
    const unnoticed: string[] = [];
    const noticed: string[] = [];
    const list = await targets(config, roles);
    for (const t of list) {
      const cases = (await allCases(config, t.roles, data)).filter((c) => t.relevant(c) && t.mutant.actions.has(c.request.action.toLowerCase()));
      const failures = failuresOf(await runCases(config, cases, true));
      (failures.length > 0 ? noticed : unnoticed).push(failures.length > 0 ? `${t.label} ← ${failures[0]}` : t.label);
    }
    expect(unnoticed).toEqual([]);
    // Every kind of weakening was tried, on every role and on the bucket policy.
    for (const kind of ["the Deny removed", "condition", "Resource widened", "the statement removed"]) expect(list.some((t) => t.label.includes(kind))).toBe(true);
    for (const role of [roles.plan, roles.apply, ...roles.reads]) expect([role.arn, list.some((t) => t.label.startsWith(role.arn))]).toEqual([role.arn, true]);
    expect(noticed.length).toBeGreaterThan(25);
  });
});
