import { configWith, exampleConfig, synthPlatform } from "../helpers";
import { boundaryCases, bucketCases, ciCases, ephemeralWorld, provisionerCases, runEphemeralCases, trustCases , caseVariants } from "./ephemeral-ci-surface";

/**
 * The ephemeral CI identity, by an independent IAM evaluator: every action the four roles are
 * allowed, on every resource type it authorizes, with every other owner's resource and every
 * attacker's condition value; the state bucket's own word; and who may assume each role.
 */
jest.setTimeout(30 * 60_000);

describe("the ephemeral stages' CI roles reach their own stages only", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);
  const w = ephemeralWorld(config, synthesized);
  const report = (results: Awaited<ReturnType<typeof runEphemeralCases>>) =>
    results.filter((r) => !r.ok).map((r) => `${r.case.role} [${r.case.layer}]: ${r.case.description} (${r.case.action} ${r.case.resource}): expected ${r.case.expect}, got ${r.decision}${r.detail ? ` ${r.detail}` : ""}`);

  it("the per-PR provisioner: a pr-1 session manages pr-1's resources and nothing of pr-12, stable stages, the platform, services, the fleet or other projects", async () => {
    const cases = await provisionerCases(w.s, { role: w.provisioner, stage: "pr-1", other: "pr-12", forbidden: "dev", denyForbiddenSession: true }, ["333333333333", "999999999999"]);
    const results = await runEphemeralCases(cases);
    expect(report(results)).toEqual([]);
    const allowed = results.filter((r) => r.case.expect === "allow").length;
    const denied = results.length - allowed;
    expect(allowed).toBeGreaterThan(60);
    expect(denied).toBeGreaterThan(allowed * 10);
    console.log(`per-PR provisioner: ${results.length} evaluated, ${allowed} of its own stage allowed, ${denied} denied, wrongly allowed ${results.filter((r) => !r.ok && r.case.expect === "deny").length}`);
  });

  // The stable provisioners' statements are the same function's; dev's shares an account with the per-PR stages.
  it("the stable provisioner of dev: a dev session manages dev's resources, never a per-PR stage's or another stable stage's", async () => {
    const dev = await runEphemeralCases(await provisionerCases(w.s, { role: w.stableDev, stage: "dev", other: "stage", forbidden: "prod" }, ["333333333333"]));
    expect(report(dev)).toEqual([]);
    expect(dev.filter((r) => r.case.expect === "allow").length).toBeGreaterThan(60);
    console.log(`stable provisioner (dev): ${dev.length} evaluated, wrongly allowed ${dev.filter((r) => !r.ok && r.case.expect === "deny").length}`);
  });

  it("the CI roles: their own state objects, lock items and provisioner, with session tags of their own stages only", async () => {
    const results = await runEphemeralCases([...ciCases(w.s, w.ci, "perPr"), ...ciCases(w.s, w.stableCi, "stable")]);
    expect(report(results)).toEqual([]);
    expect(results.filter((r) => r.case.expect === "allow").length).toBeGreaterThan(20);
    console.log(`CI roles: ${results.length} evaluated`);
  });

  it("the state bucket's policy lets each CI role in to its own prefix only", async () => {
    const results = await runEphemeralCases(bucketCases(w.s, synthesized));
    expect(report(results)).toEqual([]);
    expect(results.some((r) => r.case.expect === "allow")).toBe(true);
    console.log(`bucket policy: ${results.length} evaluated`);
  });

  it("trust: merge/pull requests of the repository for the per-PR role, protected refs for the stable role, each provisioner from its CI role with its stages", async () => {
    const names = w.s.stableStages.map((st) => st.name);
    const results = await runEphemeralCases(
      trustCases(w.s, w.ci, w.stableCi, [
        { role: w.provisioner, ciArn: w.ci.arn, stages: ["pr-1", "pr-12", "mike", "demo-aug15"], refused: [...names, "default", "pr-1/../dev", ...caseVariants([...names, "default"])] },
        { role: w.stableDev, ciArn: w.stableCi.arn, stages: ["dev", "stage"], refused: ["prod", "pr-1", "mike"] },
        { role: w.stableProd, ciArn: w.stableCi.arn, stages: ["prod"], refused: ["dev", "stage", "pr-1"] },
      ]),
    );
    expect(report(results)).toEqual([]);
    console.log(`trust: ${results.length} evaluated`);
  });
});

describe("the ephemeral CI roles of a GitHub repository", () => {
  it("trust pull requests and the default branch for per-PR stages, the stable stages' environments for the stable role", async () => {
    const config = configWith((raw) => {
      delete raw.ephemeral.gitlabProjectPath;
      raw.ephemeral.githubRepository = "acme/authz-service";
    });
    const w = ephemeralWorld(config, synthPlatform(config));
    expect(w.s.provider).toBe("github");
    const results = await runEphemeralCases(
      trustCases(w.s, w.ci, w.stableCi, [{ role: w.provisioner, ciArn: w.ci.arn, stages: ["pr-1"], refused: ["dev", "stage", "prod", "default", ...caseVariants(["dev", "stage", "prod", "default"])] }]),
    );
    expect(results.filter((r) => !r.ok).map((r) => `${r.case.role}: ${r.case.description}: expected ${r.case.expect}, got ${r.decision}`)).toEqual([]);
    expect(results.filter((r) => r.case.expect === "allow").map((r) => r.case.description)).toEqual(
      expect.arrayContaining(["per-PR role from a merge/pull request of the repository", "stable role from repo:acme/authz-service:environment:prod"]),
    );
    console.log(`trust (GitHub): ${results.length} evaluated`);
  });
});

describe("the authorizer roles' permissions boundary", () => {
  const config = exampleConfig();
  const w = ephemeralWorld(config, synthPlatform(config));
  const stable = w.s.stableStages.filter((st) => st.accountId === w.s.hostAccountId).map((st) => st.name);

  it("confines a role whose inline policy allows everything to its stage's function and resources, whatever Stage tag its session carries", async () => {
    // A per-PR stage writes its role's trust, so a session of it can carry any Stage tag.
    const results = await runEphemeralCases(await boundaryCases(w.s, w.boundary, "pr-1", ["pr-1", "pr-12", ...stable, "Dev"]));
    const wrong = results.filter((r) => !r.ok).map((r) => `${r.case.description}: expected ${r.case.expect}, got ${r.decision}${r.detail ? ` ${r.detail}` : ""}`);
    expect(wrong).toEqual([]);
    const allowed = results.filter((r) => r.case.expect === "allow");
    // Every action the boundary grants, for the stage's own function, on the session's stage.
    expect(new Set(allowed.map((r) => r.case.action))).toEqual(new Set(["secretsmanager:GetSecretValue", "verifiedpermissions:IsAuthorized", "verifiedpermissions:IsAuthorizedWithToken", "logs:CreateLogStream", "logs:PutLogEvents"]));
    expect(results.filter((r) => r.case.description.includes(`Stage=${stable[0]} (a session tag), from the code of pr-1-authorizer`) && r.case.resource.includes(`/${stable[0]}`))).not.toHaveLength(0);
    console.log(`authorizer boundary: ${results.length} evaluated, ${allowed.length} allowed`);
  });
});
