import { mutants } from "./mutation";
import { evaluate } from "./simulator";
import { Policy, SynthesizedRole } from "./synthesized-policies";
import { RUN_PHASES } from "../../src/tfc/names";
import { tfcWorkspaces } from "../../src/tfc/workspaces";
import { Token, allRoles, assumeWithToken, cloudFixture, intended, ownTokens, perturbedTokens, prepareEvaluator } from "./tfc-trust";

/**
 * Who may assume what with an HCP Terraform run's workload identity token, by an independent IAM
 * evaluator over the synthesized trust policies of the example platform in HCP Terraform. Tokens are
 * enumerated (every workspace name and look-alike × every phase, and every one-step change of a real
 * workspace's token), and each is presented for every role the platform synthesizes: only the roles
 * the workspace's phase is configured with may be assumed.
 */
describe("HCP Terraform runs assume only their own phase's roles", () => {
  const { config, synthesized } = cloudFixture();
  const roles = allRoles(synthesized);
  const want = intended(config);
  const allowedFor = (token: Token) => {
    const m = /:workspace:(.*):run_phase:(.*)$/.exec(token.sub);
    const ok = token.host === (config.backend as { hostname: string }).hostname && token.aud === "aws.workload.identity" && m && token.sub === `organization:acme:project:apps-platform:workspace:${m[1]}:run_phase:${m[2]}`;
    return ok ? (want.get(`${m![1]}|${m![2]}`) ?? new Set<string>()) : new Set<string>();
  };
  /** Every decision that differs from the model, over `tokens` × `targets`. */
  async function wrong(tokens: Token[], targets: SynthesizedRole[], trustOf: (r: SynthesizedRole) => Policy = (r) => r.trust, stopAtFirst = false) {
    const out: { token: Token; role: SynthesizedRole; allowed: boolean }[] = [];
    let evaluated = 0;
    for (const token of tokens) {
      const expected = allowedFor(token);
      for (const role of targets) {
        evaluated++;
        const allowed = (await assumeWithToken(role, token, trustOf(role))) === "Allowed";
        if (allowed !== expected.has(role.arn)) {
          out.push({ token, role, allowed });
          if (stopAtFirst) return { out, evaluated };
        }
      }
    }
    return { out, evaluated };
  }
  const show = (w: { token: Token; role: SynthesizedRole; allowed: boolean }) => `${w.token.label} ${w.allowed ? "assumes" : "cannot assume"} ${w.role.name} (${w.role.accountId})`;

  beforeAll(() => prepareEvaluator(config));

  it("knows every role the design creates or trusts", () => {
    const arns = new Set(roles.map((r) => r.arn));
    const configured = [...want.values()].flatMap((s) => [...s]);
    // The model's roles all exist in the synthesized platform, and every role that trusts the host is one of them.
    expect(configured.filter((a) => !arns.has(a))).toEqual([]);
    const trusting = roles.filter((r) => JSON.stringify(r.trust).includes(":oidc-provider/app.terraform.io"));
    expect(new Set(trusting.map((r) => r.arn))).toEqual(new Set(configured));
    // ci-identity, 2 environments, 3 onboardings (2 + 1 + 2 stages and the deployment account), 3 stable authorizer stages, 2 fleets, 5 tenants:
    // 2 roles each per account; 5 service stacks use their read and deploy roles.
    expect(trusting.length).toBe(2 * (1 + 2 + (3 + 2 + 3) + 3 + 2 + 5) + 2 * 5);
  });

  it("every token of the platform's project, for every workspace name and look-alike and every phase, × every role", async () => {
    const tokens = ownTokens(config);
    const { out, evaluated } = await wrong(tokens, roles);
    expect(out.map(show)).toEqual([]);
    expect(evaluated).toBe(tokens.length * roles.length);
    expect(tokens.length).toBeGreaterThan(200);
    // Each real workspace's phase reached exactly its roles: one per account it works in.
    const reached = tokens.filter((t) => allowedFor(t).size > 0);
    expect(reached.length).toBe(tfcWorkspaces(config).length * RUN_PHASES.length);
    console.log(`tfc trust: ${tokens.length} tokens × ${roles.length} roles = ${evaluated} candidates evaluated, ${out.filter((w) => w.allowed).length} wrongly allowed, ${out.filter((w) => !w.allowed).length} wrongly denied`);
  });

  it("a token one step away from a real workspace's phase (organization, project, audience, subject, issuer) assumes nothing", async () => {
    const tokens = tfcWorkspaces(config).flatMap((ws) => RUN_PHASES.flatMap((phase) => perturbedTokens(config, ws.name, phase)));
    const trusting = roles.filter((r) => [...want.values()].some((s) => s.has(r.arn)));
    const { out, evaluated } = await wrong(tokens, trusting);
    expect(out.map(show)).toEqual([]);
    expect(evaluated).toBe(tokens.length * trusting.length);
    console.log(`tfc trust: ${tokens.length} perturbed tokens × ${trusting.length} trusting roles = ${evaluated} candidates evaluated, ${out.length} wrong`);
  });

  it("a real token through another account's OIDC provider assumes nothing", async () => {
    const accounts = [...new Set(roles.map((r) => r.accountId)), "999999999999"];
    const refused: string[] = [];
    for (const ws of tfcWorkspaces(config)) {
      for (const phase of RUN_PHASES) {
        const token = ownTokens(config).find((t) => t.label === `${ws.name} ${phase}`)!;
        for (const arn of want.get(`${ws.name}|${phase}`)!) {
          const role = roles.find((r) => r.arn === arn)!;
          for (const other of accounts.filter((a) => a !== role.accountId)) {
            if ((await assumeWithToken(role, token, role.trust, other)) === "Allowed") refused.push(`${token.label} via ${other}'s provider assumes ${role.name}`);
          }
        }
      }
    }
    expect(refused).toEqual([]);
  });

  it("no run role reaches another role by sts:AssumeRole, whatever its own policy allows", async () => {
    const runRoles = roles.filter((r) => r.arn.includes(":role/apps-platform/tfc/"));
    const wide = { Version: "2012-10-17", Statement: [{ Sid: "AssumeAnything", Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] };
    const reached: string[] = [];
    for (const holder of runRoles) {
      for (const target of roles.filter((r) => r.arn !== holder.arn)) {
        const decision = await evaluate({ principal: holder.arn, action: "sts:AssumeRole", resource: target.arn, resourceAccount: target.accountId, identityPolicies: [wide, ...holder.policies.map((p) => p.policy)], resourcePolicy: target.trust });
        if (decision === "Allowed") reached.push(`${holder.name} (${holder.accountId}) assumes ${target.name} (${target.accountId})`);
      }
    }
    expect(reached).toEqual([]);
  });

  it("notices each trust condition dropped in turn (the mutation check)", async () => {
    const trusting = roles.filter((r) => [...want.values()].some((s) => s.has(r.arn)));
    const tokens = ownTokens(config);
    let made = 0;
    const unnoticed: string[] = [];
    for (const role of trusting) {
      const phases = [...want].filter(([, s]) => s.has(role.arn)).map(([k]) => k.split("|"));
      const near = phases.flatMap(([ws, phase]) => perturbedTokens(config, ws, phase));
      for (const m of await mutants([{ name: role.name, policy: role.trust }])) {
        made++;
        const { out } = await wrong([...near, ...tokens], [role], () => m.policies[0], true);
        if (out.length === 0) unnoticed.push(`${role.name} (${role.accountId}): ${m.label}`);
      }
    }
    expect(unnoticed).toEqual([]);
    // Two conditions (aud, sub) in the one run-trust statement of each role.
    expect(made).toBe(2 * trusting.length);
    console.log(`tfc trust mutation: ${made} mutants, ${made - unnoticed.length} noticed`);
  });
});
