import { PlatformConfig } from "../../src/config/schema";
import { DATA_READ_ACTIONS, ITEM_READ_ACTIONS } from "../../src/policy/platform-ci";
import { exampleConfig, synthPlatform } from "../helpers";
import { CaseResult, PlatformCiCase, failuresOf, platformCiRolesOf, platformState, readRoleCases, resourceFor, runCases, stateCases, unresolvedWrites, writeCases } from "./platform-ci";
import { indexAllows } from "./surface";

/** Every case of the plan role and the read roles beyond trust: writes, data, state, and what a plan needs. */
export async function surfaceCases(config: PlatformConfig, roles: ReturnType<typeof platformCiRolesOf>): Promise<PlatformCiCase[]> {
  const { region } = config;
  const state = platformState(config);
  const deployment = config.deploymentAccount.accountId;
  // The plan role's writes on the very bucket, keys and table it reads, so that only the action denies them.
  const planResource = async (action: string) => {
    const [service] = action.split(":");
    const name = service === "s3" ? state.bucket : service === "dynamodb" ? state.lockTable : "x";
    return (await resourceFor(action, region, deployment, name))?.replace(`arn:aws:s3:::${state.bucket}/${state.bucket}`, `arn:aws:s3:::${state.bucket}/ci-identity/apps-platform/terraform.tfstate`);
  };
  const writes = [
    ...(await writeCases(roles.plan, planResource, ["sts:assumerole"])),
    ...(await Promise.all(roles.reads.map((read) => writeCases(read, (a) => resourceFor(a, region, read.accountId))))).flat(),
  ];
  return [...writes, ...stateCases(config, roles), ...(await readRoleCases(config, roles, [...DATA_READ_ACTIONS, ...ITEM_READ_ACTIONS]))];
}

describe("what the platform's plan and read roles may do, by an independent IAM evaluator", () => {
  const config = exampleConfig();
  const roles = platformCiRolesOf(config, synthPlatform(config));
  let results: CaseResult[];
  beforeAll(async () => {
    results = await runCases(config, await surfaceCases(config, roles));
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
      expect([arn, actions.length < 5, actions.filter((a) => index.patterns.has(a.toLowerCase()))]).toEqual([arn, true, []]);
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
