import { exampleConfig, synthPlatform } from "../helpers";
import { EphemeralCase, boundaryCases, bucketCases, bucketPolicy, ciCases, ephemeralWorld, provisionerCases, runEphemeralCases, trustCases , caseVariants } from "./ephemeral-ci-surface";
import { mutants } from "./mutation";
import { Policy } from "./synthesized-policies";

/**
 * The proof of the proof for the ephemeral CI identity: every Deny and every condition of the four
 * roles' policies, of their trust policies and of the state bucket's statements about them, removed
 * one at a time (and every narrowed Allow Resource widened to *), must make at least one case of the
 * surface search decide wrongly. A weakening no case notices is a statement that is dead or untested.
 */
jest.setTimeout(60 * 60_000);

describe("the ephemeral surface search notices every weakened statement", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);
  const w = ephemeralWorld(config, synthesized);
  const names = w.s.stableStages.map((st) => st.name);

  /** Runs `cases` against each mutant of `named`, placed by `place`; returns the labels no case noticed. */
  async function unnoticed(
    named: { name: string; policy: Policy }[],
    cases: EphemeralCase[],
    place: (c: EphemeralCase, policies: Policy[]) => { identityPolicies: Policy[]; resourcePolicy?: Policy; permissionsBoundary?: Policy },
  ) {
    const baseline = await runEphemeralCases(cases);
    expect(baseline.filter((r) => !r.ok).map((r) => r.case.description)).toEqual([]);
    const missed: string[] = [];
    let count = 0;
    for (const m of await mutants(named)) {
      count++;
      const relevant = cases.filter((c) => m.actions.size === 0 || m.actions.has(c.action.toLowerCase()) || c.layer !== "identity");
      const results = await runEphemeralCases(relevant, (c) => place(c, m.policies), true);
      if (results.every((r) => r.ok)) missed.push(m.label);
    }
    return { missed, count };
  }

  it("the per-PR provisioner's policies", async () => {
    const cases = await provisionerCases(w.s, { role: w.provisioner, stage: "pr-1", other: "pr-12", forbidden: "dev", denyForbiddenSession: true }, ["333333333333", "999999999999"]);
    const { missed, count } = await unnoticed(w.provisioner.policies, cases, (_, policies) => ({ identityPolicies: policies }));
    expect(missed).toEqual([]);
    expect(count).toBeGreaterThan(60);
    console.log(`per-PR provisioner: ${count} mutants, all noticed`);
  });

  it("the CI roles' policies", async () => {
    let total = 0;
    for (const [role, kind] of [[w.ci, "perPr"], [w.stableCi, "stable"]] as const) {
      const { missed, count } = await unnoticed(role.policies, ciCases(w.s, role, kind), (_, policies) => ({ identityPolicies: policies }));
      expect(missed).toEqual([]);
      total += count;
    }
    expect(total).toBeGreaterThan(15);
    console.log(`CI roles: ${total} mutants, all noticed`);
  });

  it("the trust policies of the CI roles and the provisioners", async () => {
    const provisioners = [
      { role: w.provisioner, ciArn: w.ci.arn, stages: ["pr-1", "mike"], refused: [...names, "default", "pr-1/../dev", ...caseVariants([...names, "default"])] },
      { role: w.stableDev, ciArn: w.stableCi.arn, stages: ["dev", "stage"], refused: ["prod", "pr-1"] },
      { role: w.stableProd, ciArn: w.stableCi.arn, stages: ["prod"], refused: ["dev", "stage", "pr-1"] },
    ];
    const cases = trustCases(w.s, w.ci, w.stableCi, provisioners);
    let total = 0;
    for (const role of [w.ci, w.stableCi, w.provisioner, w.stableDev, w.stableProd]) {
      const mine = cases.filter((c) => c.resource === role.arn);
      const { missed, count } = await unnoticed([{ name: `${role.name} trust`, policy: role.trust }], mine, (c, [trust]) => ({ identityPolicies: c.identityPolicies, resourcePolicy: trust }));
      expect(missed).toEqual([]);
      total += count;
    }
    expect(total).toBeGreaterThanOrEqual(8);
    console.log(`trust: ${total} mutants, all noticed`);
  });

  it("the authorizer roles' permissions boundary", async () => {
    const stable = w.s.stableStages.filter((st) => st.accountId === w.s.hostAccountId).map((st) => st.name);
    const cases = await boundaryCases(w.s, w.boundary, "pr-1", ["pr-1", "pr-12", ...stable]);
    const { missed, count } = await unnoticed([{ name: "authorizer boundary", policy: w.boundary }], cases, (c, [boundary]) => ({ identityPolicies: c.identityPolicies, permissionsBoundary: boundary }));
    expect(missed).toEqual([]);
    // Its four conditions removed, and the two Resources narrowed to a stage's names widened.
    expect(count).toBeGreaterThanOrEqual(6);
    console.log(`authorizer boundary: ${count} mutants, all noticed`);
  });

  it("the state bucket's statements about the CI roles", async () => {
    const policy = bucketPolicy(synthesized);
    const cases = bucketCases(w.s, synthesized);
    const ours = policy.Statement.filter((st) => /CiRole|NoTenantRole/.test(st.Sid));
    expect(ours.length).toBeGreaterThanOrEqual(5);
    const rest = policy.Statement.filter((st) => !ours.includes(st));
    const { missed, count } = await unnoticed([{ name: "state bucket", policy: { ...policy, Statement: ours } }], cases, (c, [mutated]) => ({
      identityPolicies: c.identityPolicies,
      resourcePolicy: { ...policy, Statement: [...rest, ...mutated.Statement] },
    }));
    expect(missed).toEqual([]);
    console.log(`bucket policy: ${count} mutants, all noticed`);
  });
});
