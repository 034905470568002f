import { configWith, exampleConfig, synthPlatform } from "../helpers";
import { assumeCases, failuresOf, platformCiRolesOf, runCases, trustCases } from "./platform-ci";

/**
 * Who may assume the platform's CI roles, by the independent evaluator over the synthesized trust
 * policies: OIDC subjects of the platform repository (merge requests, protected and unprotected
 * branches, tags), of other projects whose paths share a prefix with it, of another issuer and with
 * another audience; then who may assume the read roles, and what the plan and apply roles may assume.
 */
describe("who may assume the platform's CI roles", () => {
  it.each([
    ["a GitLab platform repository (the example)", () => exampleConfig()],
    ["a GitHub platform repository", () => configWith((raw) => (raw.ciIdentity.platformRepository = { githubRepository: "acme/apps-platform" }))],
    ["two protected branches", () => configWith((raw) => (raw.ciIdentity.gitlab.protectedBranches = ["main", "release/2026"]))],
  ])("%s: the plan role from any ref of the repository, the apply role from its protected branches only", async (_, make) => {
    const config = make();
    const roles = platformCiRolesOf(config, synthPlatform(config));
    const cases = trustCases(config, roles);
    const results = await runCases(config, cases);
    expect(failuresOf(results)).toEqual([]);
    // Both outcomes occur for both roles: the cases can tell a too-open trust from a closed one.
    for (const role of [roles.plan, roles.apply]) {
      const mine = results.filter((r) => r.case.roles.includes(role.arn));
      expect(mine.filter((r) => r.decision === "Allowed").length).toBeGreaterThan(0);
      expect(mine.filter((r) => r.decision !== "Allowed").length).toBeGreaterThan(20);
    }
    expect(cases.length).toBeGreaterThan(60);
  });

  it("the read roles only by the plan role; the apply role assumes the provisioner roles and nothing else", async () => {
    const config = exampleConfig();
    const roles = platformCiRolesOf(config, synthPlatform(config));
    expect(roles.reads.map((r) => r.arn)).toEqual([
      "arn:aws:iam::111111111111:role/apps-platform/ci/apps-platform-read",
      "arn:aws:iam::222222222222:role/apps-platform/ci/apps-platform-read",
      "arn:aws:iam::333333333333:role/apps-platform/ci/apps-platform-read",
    ]);
    const results = await runCases(config, assumeCases(config, roles));
    expect(failuresOf(results)).toEqual([]);
    const allowed = (arn: string) => results.filter((r) => r.case.request.principal === arn && r.decision === "Allowed").map((r) => r.case.request.resource).sort();
    expect(allowed(roles.apply.arn)).toEqual([
      "arn:aws:iam::111111111111:role/apps-platform-provisioner",
      "arn:aws:iam::222222222222:role/apps-platform-provisioner",
      "arn:aws:iam::333333333333:role/apps-platform-provisioner",
    ]);
    expect([...new Set(allowed(roles.plan.arn))]).toEqual(roles.reads.map((r) => r.arn).sort());
  });
});
