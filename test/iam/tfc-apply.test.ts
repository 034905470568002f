import { unnoticedMutants } from "./mutation";
import { Decision, evaluate } from "./simulator";
import { Policy, SynthesizedRole } from "./synthesized-policies";
import { RUN_IDENTITY_WRITE_ACTIONS } from "../../src/policy/tfc";
import { allRoles, cloudFixture, prepareEvaluator } from "./tfc-trust";
import { lintPolicy } from "./policy-lint";
import { allPolicyDocuments } from "./synthesized-policies";
import { GITHUB_ISSUER_HOST, issuerHost } from "../../src/policy/ci";

/**
 * A platform workspace's apply role holds AdministratorAccess in its account (modelled here as its
 * one statement, Allow * on *), less the tfc stack's own work: no apply may change a run role (its own
 * or another workspace's), their policies, or the host's OIDC provider. Evaluated with the synthesized
 * Deny policy, and with each of its statements removed in turn.
 */
describe("an apply run cannot change the run identities", () => {
  const { config, synthesized } = cloudFixture();
  const roles = allRoles(synthesized);
  const applyRoles = roles.filter((r) => /:role\/apps-platform\/tfc\/tfc-.*-apply$/.test(r.arn));
  const admin: Policy = { Version: "2012-10-17", Statement: [{ Sid: "AdministratorAccess", Effect: "Allow", Action: "*", Resource: "*" }] };
  const host = (config.backend as { hostname: string }).hostname;

  /** The writes to run identities in the role's account, each with whether the role may make it. */
  function requests(holder: SynthesizedRole) {
    const iam = `arn:aws:iam::${holder.accountId}`;
    const runRoles = roles.filter((r) => r.accountId === holder.accountId && r.arn.includes(":role/apps-platform/tfc/"));
    const out: { action: string; resource: string }[] = [];
    for (const target of [...runRoles.map((r) => r.arn), `${iam}:role/apps-platform/tfc/tfc-new-apply`]) for (const action of RUN_IDENTITY_WRITE_ACTIONS.roles) out.push({ action, resource: target });
    for (const action of RUN_IDENTITY_WRITE_ACTIONS.policies) out.push({ action, resource: `${iam}:policy/apps-platform/tfc/${holder.name}-1` });
    for (const action of RUN_IDENTITY_WRITE_ACTIONS.provider) out.push({ action, resource: `${iam}:oidc-provider/${host}` });
    return out;
  }
  const decide = (holder: SynthesizedRole, policies: Policy[], r: { action: string; resource: string }): Promise<Decision> =>
    evaluate({ principal: holder.arn, action: r.action, resource: r.resource, resourceAccount: holder.accountId, identityPolicies: [admin, ...policies] });

  it("is denied every write to a run role, its policies and the OIDC provider, in every account, for every apply role", async () => {
    const allowed: string[] = [];
    let evaluated = 0;
    for (const holder of applyRoles) {
      for (const r of requests(holder)) {
        evaluated++;
        if ((await decide(holder, holder.policies.map((p) => p.policy), r)) === "Allowed") allowed.push(`${holder.name} (${holder.accountId}): ${r.action} on ${r.resource}`);
      }
    }
    expect(allowed).toEqual([]);
    console.log(`tfc apply roles: ${evaluated} writes to run identities evaluated for ${applyRoles.length} apply roles, ${allowed.length} allowed`);
    // ci-identity, 2 environments, 8 onboarding accounts, 3 stable authorizer stages, 2 fleets, 5 tenants.
    expect(applyRoles.length).toBe(1 + 2 + 8 + 3 + 2 + 5);
    expect(evaluated).toBeGreaterThan(applyRoles.length * 40);
  });

  it("still changes what its stack makes (a service's deploy role, a new role elsewhere): the Deny is no wider than the run identities", async () => {
    const onboarding = applyRoles.find((r) => r.name === "tfc-onboarding-payments-api-apply" && r.accountId === "222222222222")!;
    const deploy = roles.find((r) => r.name === "payments-api-dev-deploy")!;
    expect(await decide(onboarding, onboarding.policies.map((p) => p.policy), { action: "iam:UpdateAssumeRolePolicy", resource: deploy.arn })).toBe("Allowed");
    expect(await decide(onboarding, onboarding.policies.map((p) => p.policy), { action: "iam:CreateRole", resource: "arn:aws:iam::222222222222:role/apps-platform/deploy/x" })).toBe("Allowed");
  });

  it("names only real actions and condition keys that apply, in every policy of the tfc stack and of the onboarding stacks that trust its runs", async () => {
    await prepareEvaluator(config);
    const oidcKeys = [host, GITHUB_ISSUER_HOST, issuerHost(config.ciIdentity.gitlab!.url)].flatMap((h) => [`${h}:sub`, `${h}:aud`]);
    const documents = [...synthesized.json].filter(([stack]) => stack === "tfc" || stack.startsWith("onboarding-")).flatMap(([stack, j]) => allPolicyDocuments(stack, j));
    expect(documents.length).toBeGreaterThan(36);
    expect((await Promise.all(documents.map((d) => lintPolicy(d.where, d.policy, oidcKeys)))).flat()).toEqual([]);
  });

  it("notices each Deny statement removed in turn (the mutation check)", async () => {
    const { made, unnoticed } = await unnoticedMutants(applyRoles, requests, async (holder, policies, r) => (await decide(holder, policies, r)) === "Allowed");
    expect(unnoticed).toEqual([]);
    console.log(`tfc apply roles mutation: ${made} mutants, ${made - unnoticed.length} noticed`);
    expect(made).toBe(3 * applyRoles.length);
  });
});
