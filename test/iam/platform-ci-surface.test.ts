import { DATA_READ_ACTIONS, ITEM_READ_ACTIONS } from "../../src/policy/platform-ci";
import { exampleConfig, synthPlatform } from "../helpers";
import { CaseResult, DATA_READS, failuresOf, platformCiRolesOf, runCases, surfaceCases, unresolvedWrites } from "./platform-ci";
import { indexAllows } from "./surface";

describe("what the platform's plan and read roles may do, by an independent IAM evaluator", () => {
  const config = exampleConfig();
  const roles = platformCiRolesOf(config, synthPlatform(config));
  let results: CaseResult[];
  beforeAll(async () => {
    results = await runCases(config, await surfaceCases(config, roles, [...DATA_READS, ...DATA_READ_ACTIONS, ...ITEM_READ_ACTIONS]));
  });

  it("decides every case as expected", () => {
    expect(failuresOf(results)).toEqual([]);
  });

  it("denies the plan role and every read role every write action of each service they are allowed on", async () => {
    const writes = results.filter((r) => r.case.category === "write");
    for (const role of [roles.plan, ...roles.reads]) {
      const mine = writes.filter((r) => r.case.roles.includes(role.arn));
      expect([role.name, mine.length > 100]).toEqual([role.name, true]);
      expect(mine.filter((r) => r.decision === "Allowed")).toEqual([]);
    }
    // The stage read roles describe the most services: EC2's writes alone are hundreds.
    expect(writes.filter((r) => r.case.request.action.startsWith("ec2:")).length).toBeGreaterThan(500);
    // The few writes the evaluator cannot be asked about (a Lambda version's ARN is also an alias's)
    // are matched by no Allow pattern of the role.
    for (const [arn, actions] of unresolvedWrites) {
      const role = [roles.plan, ...roles.reads].find((r) => r.arn === arn)!;
      const index = await indexAllows(role.policies.map((p) => p.policy));
      expect([arn, actions.size < 5, [...actions].filter((a) => index.patterns.has(a.toLowerCase()))]).toEqual([arn, true, []]);
    }
  });

  it("lets the read roles read no secret, object, plaintext, item or log event, and still read what a plan refreshes", () => {
    const data = results.filter((r) => r.case.category === "data");
    const needed = results.filter((r) => r.case.category === "needed");
    expect(data.length).toBeGreaterThan(60);
    expect(data.every((r) => r.decision !== "Allowed")).toBe(true);
    expect(needed.length).toBeGreaterThan(15);
    expect(needed.every((r) => r.decision === "Allowed")).toBe(true);
    // Explicitly denied, not just not granted: a managed policy attached later cannot open them.
    expect(data.filter((r) => r.case.request.action === "secretsmanager:GetSecretValue").map((r) => r.decision)).toContain("ExplicitlyDenied");
  });

  it("lets the plan and apply roles through the platform's state bucket, and no other CI role into it or them into a service's", () => {
    const s = results.filter((r) => r.case.category === "state");
    expect(s.filter((r) => r.decision === "Allowed").length).toBeGreaterThan(20);
    expect(s.filter((r) => r.decision !== "Allowed").length).toBeGreaterThan(30);
  });
});
