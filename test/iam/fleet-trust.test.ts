import { Decision, evaluate } from "./simulator";
import { fleetFixture } from "./fleet-surface-run";
import { rolesOf } from "./synthesized-policies";
import { fleetTrustCases, runCases } from "./trust";

describe("who may assume, or hand to ECS, the fleet's roles, by an independent IAM evaluator", () => {
  const { config, synthesized } = fleetFixture();

  it("only ECS tasks of the role's own account assume a fleet role", async () => {
    const cases = fleetTrustCases(config, synthesized);
    const results = await runCases(config, cases);
    expect(results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}`)).toEqual([]);
    // Every fleet role of every stage, each with its one allowed case.
    const fleetRoles = [...synthesized.json].filter(([s]) => /^(fleet|tenant)-/.test(s)).flatMap(([s, json]) => rolesOf(s, json));
    expect(cases.filter((c) => c.expect === "allow")).toHaveLength(fleetRoles.length);
    expect(fleetRoles.length).toBe(2 * 11 + 2 * 5);
  });

  it("no role the platform synthesizes may pass a fleet role, to ECS or anything else", async () => {
    const all = [...synthesized.json].flatMap(([stack, json]) => rolesOf(stack, json));
    const fleetRoles = all.filter((r) => r.arn.includes(":role/apps-platform/fleet/"));
    const passed: string[] = [];
    for (const holder of all) {
      for (const target of fleetRoles.filter((r) => r.accountId === holder.accountId)) {
        for (const service of ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]) {
          const decision: Decision = await evaluate({ principal: holder.arn, action: "iam:PassRole", resource: target.arn, resourceAccount: target.accountId, context: { "iam:PassedToService": service }, identityPolicies: holder.policies.map((p) => p.policy) });
          if (decision === "Allowed") passed.push(`${holder.name} passes ${target.name} to ${service}`);
        }
      }
    }
    expect(passed).toEqual([]);
  });
});
