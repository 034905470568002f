import { PLATFORM, ephemeralStageNames, fleetNames, fleetTenantNames, serviceStageNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { unnoticedMutants } from "./mutation";
import { DATA_READS, allowedServices, resourceFor, writeCases } from "./platform-ci";
import { Decision, evaluate, extendIamDataWithEncryptionContextKeys } from "./simulator";
import { Policy, SynthesizedRole } from "./synthesized-policies";
import { allRoles, cloudFixture, prepareEvaluator } from "./tfc-trust";

/**
 * A platform workspace's plan role in HCP Terraform: a pull request's speculative plan runs the pull
 * request's code with it, so it must read what a plan refreshes and nothing a tenant keeps (objects,
 * secret values, plaintext, items, log events, images), as the GitLab pipelines' read role does.
 * Searched with the evaluator on every plan role's own policies: every data read the test names
 * (DATA_READS, written apart from the policy) on a resource of each type it authorizes and on the
 * tenants' data by name, every write of every service the role reads, and the reads a plan needs.
 */
describe("an HCP Terraform plan role reads what a plan refreshes, and no tenant's data", () => {
  const { config, synthesized } = cloudFixture();
  const roles = allRoles(synthesized);
  const planRoles = roles.filter((r) => /:role\/apps-platform\/tfc\/tfc-.*-plan$/.test(r.arn));
  // An authorizer's plan also refreshes its own function, user pool client and signing secret.
  const stableStages = Object.entries(config.ephemeral?.stableStages ?? {});
  const authorizerStageOf = (r: SynthesizedRole) => stableStages.find(([stage]) => r.name === `tfc-${stackNames.authorizer(stage)}-plan`);
  const { region } = config;
  const tfc = synthesized.json.get("tfc")!;

  /** An account's key policy that leaves the decision to IAM policies (KMS's default), so the role's own Deny is what is tested. */
  const keyPolicy = (accountId: string): Policy => ({
    Version: "2012-10-17",
    Statement: [{ Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }],
  });

  interface Case {
    readonly action: string;
    readonly resource: string;
    readonly expect: "allow" | "deny";
    readonly what: string;
    readonly context?: Record<string, string>;
    /** The key's policy, for a kms: action. @default keyPolicy: the decision left to IAM policies */
    readonly keyPolicy?: Policy;
  }

  /** The data reads and the needed reads of a plan role of one account. */
  async function readCases(role: SynthesizedRole): Promise<Case[]> {
    const cases: Case[] = [];
    const acct = role.accountId;
    const allowed = new Set(await allowedServices(role.policies.map((p) => p.policy)));
    for (const action of DATA_READS) {
      if (!allowed.has(action.split(":")[0])) continue;
      cases.push({ action, resource: (await resourceFor(action, region, acct)) ?? "*", expect: "deny", what: "data" });
    }
    const stages = Object.entries(config.stages).filter(([, s]) => s.accountId === acct);
    for (const [stage] of stages) {
      for (const service of config.services.filter((s) => (s.stages ?? Object.keys(config.stages)).includes(stage))) {
        const own = serviceStageNames(service.slug, stage);
        cases.push(
          { action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:${region}:${acct}:secret:${own.secretPrefix.name}db-AbCdEf`, expect: "deny", what: `${service.slug}'s secret` },
          { action: "logs:GetLogEvents", resource: `arn:aws:logs:${region}:${acct}:log-group:${own.logGroupPrefix.name}web:log-stream:x`, expect: "deny", what: `${service.slug}'s logs` },
          { action: "logs:FilterLogEvents", resource: `arn:aws:logs:${region}:${acct}:log-group:${own.logGroupPrefix.name}web`, expect: "deny", what: `${service.slug}'s logs` },
          { action: "ecr:BatchGetImage", resource: `arn:aws:ecr:${region}:${acct}:repository/${own.ecrRepository.name}`, expect: "deny", what: `${service.slug}'s image` },
          { action: "secretsmanager:DescribeSecret", resource: `arn:aws:secretsmanager:${region}:${acct}:secret:${own.secretPrefix.name}db-AbCdEf`, expect: "allow", what: "needed" },
          { action: "iam:GetRole", resource: `arn:aws:iam::${acct}:role/apps-platform/deploy/${own.deployRole.name}`, expect: "allow", what: "needed" },
        );
      }
      const fleet = config.fleet;
      if (fleet?.stages[stage]) {
        const names = fleetNames(config.organisation, fleet.product, stage);
        const registry = `arn:aws:dynamodb:${region}:${acct}:table/${names.registryTable.name}`;
        cases.push(
          { action: "s3:GetObject", resource: `arn:aws:s3:::${names.evidenceBucket.name}/tenants/acme-corp/evidence.json`, expect: "deny", what: "a tenant's evidence" },
          { action: "dynamodb:Scan", resource: registry, expect: "deny", what: "the whole registry" },
          { action: "dynamodb:Query", resource: `${registry}/index/x`, expect: "deny", what: "the registry through an index" },
          { action: "dynamodb:GetItem", resource: `${registry}-x`, expect: "deny", what: "another table's items" },
          { action: "dynamodb:GetRecords", resource: `${registry}/stream/2026-01-01T00:00:00.000`, expect: "deny", what: "the registry's changes" },
          { action: "dynamodb:GetItem", resource: registry, expect: "allow", what: "needed" },
        );
        for (const tenant of fleet.tenants.filter((t) => !t.stages || t.stages.includes(stage))) {
          const t = fleetTenantNames(config.organisation, fleet.product, tenant.id, stage);
          cases.push(
            { action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:${region}:${acct}:secret:${t.secretPrefix.name}oauth-client-secret-AbCdEf`, expect: "deny", what: `${tenant.id}'s secret` },
            { action: "logs:GetLogEvents", resource: `arn:aws:logs:${region}:${acct}:log-group:${t.logGroupPrefix.name}x:log-stream:y`, expect: "deny", what: `${tenant.id}'s logs` },
          );
        }
      }
      cases.push(
        { action: "kms:Decrypt", resource: `arn:aws:kms:${region}:${acct}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`, expect: "deny", what: "plaintext" },
        { action: "ec2:DescribeVpcs", resource: "*", expect: "allow", what: "needed" },
        { action: "ssm:GetParameter", resource: `arn:aws:ssm:${region}:${acct}:parameter/${PLATFORM}/${stage}/contract/vpc-id`, expect: "allow", what: "needed" },
        { action: "ecs:DescribeServices", resource: `arn:aws:ecs:${region}:${acct}:service/x/y`, expect: "allow", what: "needed" },
        { action: "logs:DescribeLogGroups", resource: "*", expect: "allow", what: "needed" },
      );
    }
    cases.push(...authorizerCases(role));
    if (acct === config.deploymentAccount.accountId) {
      cases.push(
        { action: "iam:GetOpenIDConnectProvider", resource: `arn:aws:iam::${acct}:oidc-provider/app.terraform.io`, expect: "allow", what: "needed" },
        { action: "iam:GetRole", resource: `arn:aws:iam::${acct}:role/apps-platform/ci/payments-api-ci-plan`, expect: "allow", what: "needed" },
        { action: "kms:GetKeyPolicy", resource: `arn:aws:kms:${region}:${acct}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`, expect: "allow", what: "needed" },
      );
    }
    return cases;
  }

  /**
   * An authorizer stage's own data, which its plan refreshes, and the same reads of every other
   * stage's (stable and per-PR), of names made to look like its own, and of user pools tagged for
   * another stage or project or not at all. For every plan role: the others' must deny them all.
   */
  function authorizerCases(role: SynthesizedRole): Case[] {
    const acct = role.accountId;
    const own = authorizerStageOf(role);
    const eph = config.ephemeral!;
    const fn = (name: string) => `arn:aws:lambda:${region}:${acct}:function:${name}`;
    const secret = (name: string) => `arn:aws:secretsmanager:${region}:${acct}:secret:${name}`;
    const pool = `arn:aws:cognito-idp:${region}:${acct}:userpool/${region}_AbCdEfGhI`;
    const key = `arn:aws:kms:${region}:${acct}:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d`;
    const via = { "kms:ViaService": `secretsmanager.${region}.amazonaws.com`, "kms:CallerAccount": acct };
    // The AWS managed key of Secrets Manager: any principal of the account, through the service.
    const managedKey: Policy = {
      Version: "2012-10-17",
      Statement: [{ Sid: "ThroughSecretsManager", Effect: "Allow", Principal: { AWS: "*" }, Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "*", Condition: { StringEquals: via } }],
    };
    // A key that lets any principal of the account decrypt anything: only the role's own Deny stops it.
    const openKey: Policy = {
      Version: "2012-10-17",
      Statement: [{ Sid: "Open", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": acct } } }],
    };
    const decrypt = (secretArn: string | undefined, expect: Case["expect"], what: string): Case => ({
      action: "kms:Decrypt",
      resource: key,
      context: secretArn ? { ...via, "kms:EncryptionContext:SecretARN": secretArn } : { "kms:CallerAccount": acct },
      keyPolicy: expect === "allow" ? managedKey : openKey,
      expect,
      what,
    });
    const cases: Case[] = [];
    const readsOf = (stage: string, expect: Case["expect"], what: string) => {
      const n = ephemeralStageNames(stage);
      for (const action of ["lambda:GetFunction", "lambda:ListVersionsByFunction"]) {
        cases.push({ action, resource: fn(n.function.name), expect, what });
        if (expect === "allow") cases.push({ action, resource: fn(`${n.function.name}-x`), expect: "deny", what: `a function named like ${stage}'s` }, { action, resource: fn(`x${n.function.name}`), expect: "deny", what: `a function named like ${stage}'s` });
      }
      cases.push({ action: "secretsmanager:GetSecretValue", resource: secret(`${n.jwtSecret.name}-AbCdEf`), expect, what });
      // Secrets Manager decrypts the value with the caller's kms:Decrypt.
      cases.push(decrypt(secret(`${n.jwtSecret.name}-AbCdEf`), expect, `${what} (its key)`));
      if (expect === "allow") {
        cases.push(
          decrypt(secret(`${n.jwtSecret.name}-x-AbCdEf`), "deny", `a secret named like ${stage}'s (its key)`),
          decrypt(secret(n.jwtSecret.name.replace(/\/jwt-secret$/, "/db-AbCdEf")), "deny", `another secret of ${stage} (its key)`),
          decrypt(undefined, "deny", "a decrypt of anything else with the key"),
        );
        cases.push(
          { action: "secretsmanager:GetSecretValue", resource: secret(`${n.jwtSecret.name}-x-AbCdEf`), expect: "deny", what: `a secret named like ${stage}'s` },
          { action: "secretsmanager:GetSecretValue", resource: secret(`${n.jwtSecret.name}x-AbCdEf`), expect: "deny", what: `a secret named like ${stage}'s` },
          { action: "secretsmanager:GetSecretValue", resource: secret(n.jwtSecret.name.replace(/\/jwt-secret$/, "/db-AbCdEf")), expect: "deny", what: `another secret of ${stage}` },
        );
      }
      const tagged = (tags: Record<string, string>, expect: Case["expect"], what: string) =>
        cases.push({ action: "cognito-idp:DescribeUserPoolClient", resource: pool, context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])), expect, what });
      tagged({ Project: eph.project, Stage: stage }, expect === "allow" && (eph.stableStages![stage]?.cognito ?? eph.cognito) ? "allow" : "deny", what);
      if (expect === "allow") {
        tagged({ Project: `${eph.project}x`, Stage: stage }, "deny", `a user pool of another project, tagged ${stage}`);
        tagged({ Project: eph.project, Stage: `${stage}x` }, "deny", "a user pool of another stage");
        tagged({ Project: eph.project }, "deny", "a user pool without a Stage tag");
        tagged({ Stage: stage }, "deny", "a user pool without a Project tag");
        const elsewhere = region === "eu-west-1" ? "us-east-1" : "eu-west-1";
        cases.push({ action: "cognito-idp:DescribeUserPoolClient", resource: pool.replaceAll(region, elsewhere), context: { [`aws:ResourceTag/Project`]: eph.project, [`aws:ResourceTag/Stage`]: stage }, expect: "deny", what: "a user pool tagged for it in another region" });
      }
    };
    for (const [stage] of stableStages) readsOf(stage, own?.[0] === stage ? "allow" : "deny", own?.[0] === stage ? "needed" : `stable stage ${stage}'s`);
    readsOf("pr-1", "deny", "a per-PR stage's");
    cases.push({ action: "cognito-idp:DescribeUserPoolClient", resource: pool, expect: "deny", what: "an untagged user pool" });
    if (own) {
      // What else its refresh reads, which no Deny names.
      const n = ephemeralStageNames(own[0]);
      cases.push(
        { action: "lambda:GetFunctionCodeSigningConfig", resource: fn(n.function.name), expect: "allow", what: "needed" },
        { action: "secretsmanager:DescribeSecret", resource: secret(`${n.jwtSecret.name}-AbCdEf`), expect: "allow", what: "needed" },
        { action: "secretsmanager:ListSecretVersionIds", resource: secret(`${n.jwtSecret.name}-AbCdEf`), expect: "allow", what: "needed" },
        { action: "cognito-idp:DescribeUserPool", resource: pool, expect: "allow", what: "needed" },
        { action: "verifiedpermissions:GetPolicyStore", resource: `arn:aws:verifiedpermissions::${acct}:policy-store/PSEXAMPLEabcdefg111111`, expect: "allow", what: "needed" },
      );
    }
    return cases;
  }

  const decide = (role: SynthesizedRole, policies: Policy[], c: Pick<Case, "action" | "resource" | "context" | "keyPolicy">): Promise<Decision> =>
    evaluate({
      principal: role.arn,
      action: c.action,
      resource: c.resource,
      resourceAccount: role.accountId,
      identityPolicies: policies,
      ...(c.context ? { context: c.context } : {}),
      ...(c.action.startsWith("kms:") ? { resourcePolicy: c.keyPolicy ?? keyPolicy(role.accountId) } : {}),
    });

  /** One plan role for each distinct set of policies: the roles of one account share the account's read statements. */
  const distinct = [...new Map(planRoles.map((r) => [`${r.accountId} ${JSON.stringify(r.policies.map((p) => p.policy))}`, r])).values()];

  beforeAll(async () => {
    await prepareEvaluator(config);
    await extendIamDataWithEncryptionContextKeys();
  });

  /** The AWS managed policies attached to the roles named. */
  const managedOf = (names: Set<string>) => {
    const roleIds = Object.entries(tfc.resource!.aws_iam_role as Record<string, { name: string }>).filter(([, r]) => names.has(r.name)).map(([id]) => `\${aws_iam_role.${id}.name}`);
    const attachments = Object.values(tfc.resource!.aws_iam_role_policy_attachment as Record<string, { role: string; policy_arn: string }>);
    return attachments.filter((a) => roleIds.includes(a.role) && !a.policy_arn.startsWith("${aws_iam_policy.")).map((a) => a.policy_arn);
  };

  it("holds no AWS managed policy: every permission is in a policy of the platform's, which the evaluator reads", () => {
    expect(managedOf(new Set(planRoles.map((r) => r.name)))).toEqual([]);
    // ci-identity, 2 environments, 8 onboarding accounts, 2 fleets, 5 tenants, 3 stable authorizer stages.
    expect(planRoles.length).toBe(1 + 2 + 8 + 2 + 5 + 3);
    expect(planRoles.every((r) => r.policies.length > 0)).toBe(true);
    expect(planRoles.filter((r) => authorizerStageOf(r)).map((r) => r.name).sort()).toEqual(stableStages.map(([stage]) => `tfc-${stackNames.authorizer(stage)}-plan`).sort());
  });

  it("denies, explicitly, every data read and every tenant's data by name, and allows the reads a plan refreshes", async () => {
    const wrong: string[] = [];
    let data = 0;
    let needed = 0;
    for (const role of distinct) {
      for (const c of await readCases(role)) {
        const decision = await decide(role, role.policies.map((p) => p.policy), c);
        if (c.expect === "allow") needed++;
        else data++;
        // Explicitly: a managed policy attached later cannot open them.
        if ((c.expect === "allow") !== (decision === "Allowed") || (c.expect === "deny" && decision !== "ExplicitlyDenied")) wrong.push(`${role.name} (${role.accountId}) ${c.action} on ${c.resource} (${c.what}): ${decision}`);
      }
    }
    expect(wrong).toEqual([]);
    console.log(`tfc plan roles: ${data} data reads denied, ${needed} reads a plan refreshes allowed, over ${distinct.length} distinct policies of ${planRoles.length} plan roles`);
    // The read statements of each of the 3 accounts, and each of the 3 authorizer stages' own.
    expect(distinct.map((r) => r.accountId).sort()).toEqual(["111111111111", "222222222222", "222222222222", "222222222222", "333333333333", "333333333333"]);
    expect(data).toBeGreaterThan(200);
    expect(needed).toBeGreaterThan(40);
  });

  it("changes nothing: every write of each service it reads is denied", async () => {
    const allowed: string[] = [];
    let evaluated = 0;
    for (const role of distinct) {
      for (const c of await writeCases(role, (a) => resourceFor(a, region, role.accountId))) {
        evaluated++;
        if ((await evaluate(c.request)) === "Allowed") allowed.push(c.description);
      }
    }
    expect(allowed).toEqual([]);
    console.log(`tfc plan roles: ${evaluated} writes evaluated, ${allowed.length} allowed`);
    expect(evaluated).toBeGreaterThan(1000);
  });

  it("notices each Deny removed (the mutation check)", async () => {
    const { made, unnoticed } = await unnoticedMutants(
      distinct,
      async (role) => (await readCases(role)).filter((c) => c.expect === "deny"),
      async (role, policies, c) => (await decide(role, policies, c)) === "Allowed",
    );
    expect(unnoticed).toEqual([]);
    console.log(`tfc plan roles mutation: ${made} mutants, ${made - unnoticed.length} noticed`);
    // NoDataReads and NoItemReads in the deployment account; NoDataReads and the two item-read Denies
    // (all but GetItem; GetItem but the registry's) in each stage account, which holds a fleet; and in
    // an authorizer's, those 3 and its own function's and secret's, and its user pool client's with
    // the Project and Stage tags (prod has no user pool), and its secret's decrypt.
    expect(made).toBe(2 + 3 + 3 + (3 + 6) * 2 + (3 + 3));
  });
});
