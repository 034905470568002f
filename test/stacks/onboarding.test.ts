import { MANAGED_POLICY_LIMIT } from "@acme/apps-platform-constructs/iam";
import { ciTrustStatements, CiScope } from "../../src/policy/ci";
import { configWith, exampleConfig, onlyResource, parsePolicy, resourcesOf, synthPlatform } from "../helpers";

describe("the onboarding stacks", () => {
  const config = exampleConfig();
  const { json } = synthPlatform(config);
  const payments = json.get("onboarding-payments-api")!;
  const roles = (stack = payments) => resourcesOf(stack, "aws_iam_role") as Record<string, any>[];
  const role = (name: string, stack = payments) => roles(stack).find((r) => r.name === name)!;

  it("exist once per service, with the state in the platform bucket under onboarding/<slug>", () => {
    expect([...json.keys()].filter((k) => k.startsWith("onboarding-"))).toEqual([
      "onboarding-payments-api",
      "onboarding-webservice-aurora-example",
      "onboarding-status-page",
    ]);
    expect(payments.terraform.backend!.s3).toMatchObject({ key: "onboarding/payments-api/terraform.tfstate" });
  });

  it("work in the deployment account and in the platform account of each stage the service is onboarded to", () => {
    const accounts = (j: typeof payments) => (j.provider!.aws as any[]).map((p) => [p.alias ?? "default", p.allowed_account_ids[0]]);
    expect(accounts(payments)).toEqual([
      ["default", "111111111111"],
      ["stage_dev", "222222222222"],
      ["stage_prod", "333333333333"],
    ]);
    expect(accounts(json.get("onboarding-webservice-aurora-example")!)).toEqual([
      ["default", "111111111111"],
      ["stage_dev", "222222222222"],
    ]);
    expect(role("payments-api-prod-deploy").provider).toBe("aws.stage_prod");
    expect(role("payments-api-ci-apply").provider).toBeUndefined();
  });

  it("gives the service its own versioned, KMS-encrypted state bucket that only its CI roles can read or write", () => {
    expect(onlyResource(payments, "aws_s3_bucket").bucket).toBe("acme-payments-api-tfstate");
    expect(onlyResource(payments, "aws_s3_bucket_versioning").versioning_configuration.status).toBe("Enabled");
    expect(onlyResource(payments, "aws_kms_alias").name).toBe("alias/apps-platform/payments-api/tfstate");
    expect(onlyResource(payments, "aws_dynamodb_table")).toMatchObject({ name: "acme-payments-api-tflock", point_in_time_recovery: { enabled: true } });
    const statements = parsePolicy(onlyResource(payments, "aws_s3_bucket_policy").policy).Statement;
    expect(statements.find((s) => s.Sid === "OnlyThisServicesCiRolesTouchState")).toEqual({
      Sid: "OnlyThisServicesCiRolesTouchState",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "arn:aws:s3:::acme-payments-api-tfstate/*",
      Condition: {
        ArnNotLike: {
          "aws:PrincipalArn": [
            "arn:aws:iam::111111111111:role/apps-platform/ci/payments-api-ci-plan",
            "arn:aws:iam::111111111111:role/apps-platform/ci/payments-api-ci-apply",
            "arn:aws:iam::111111111111:role/apps-platform-provisioner",
          ],
        },
      },
    });
  });

  it.each([
    ["protected", "gitlab", { StringEquals: { "gitlab.com:aud": "https://gitlab.com", "gitlab.com:sub": ["project_path:acme/xy:ref_type:branch:ref:main", "project_path:acme/xy:ref_type:branch:ref:release"] } }],
    ["any", "gitlab", { StringEquals: { "gitlab.com:aud": "https://gitlab.com" }, StringLike: { "gitlab.com:sub": ["project_path:acme/xy:ref_type:branch:ref:*"] } }],
    ["stable", "gitlab", { StringEquals: { "gitlab.com:aud": "https://gitlab.com", "gitlab.com:sub": ["project_path:acme/xy:ref_type:branch:ref:stable"] } }],
    ["protected", "github", { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme/xy:ref:refs/heads/main"] } }],
    ["any", "github", { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" }, StringLike: { "token.actions.githubusercontent.com:sub": ["repo:acme/xy:ref:refs/heads/*"] } }],
  ])("binds the apply role of a %s %s service to exactly those refs and the audience", (branchRestriction, provider, condition) => {
    const c = configWith((raw) => {
      raw.ciIdentity.gitlab.protectedBranches = ["main", "release"];
      raw.services = [{ slug: "xy", branchRestriction, ...(provider === "gitlab" ? { gitlabProjectPath: "acme/xy" } : { githubRepository: "acme/xy" }) }];
    });
    const scope: CiScope = { config: c, partition: "aws", service: c.services[0], tenants: [] };
    expect(ciTrustStatements(scope, "apply")[0].Condition).toEqual(condition);
    const synthesized = parsePolicy(role("xy-ci-apply", synthPlatform(c).json.get("onboarding-xy")!).assume_role_policy).Statement[0];
    expect(synthesized.Condition).toEqual(condition);
    expect(synthesized.Principal).toEqual({
      Federated: `arn:aws:iam::111111111111:oidc-provider/${provider === "gitlab" ? "gitlab.com" : "token.actions.githubusercontent.com"}`,
    });
  });

  it("lets merge-request pipelines of the project (any ref) assume the plan role", () => {
    expect(parsePolicy(role("payments-api-ci-plan").assume_role_policy).Statement[0].Condition).toEqual({
      StringEquals: { "gitlab.com:aud": "https://gitlab.com" },
      StringLike: { "gitlab.com:sub": ["project_path:acme/payments/payments-api:ref_type:*:ref:*"] },
    });
  });

  it("lets only the service's apply role assume its deploy roles, and both CI roles its read roles", () => {
    for (const stage of ["dev", "prod"]) {
      expect(parsePolicy(role(`payments-api-${stage}-deploy`).assume_role_policy).Statement).toEqual([
        { Sid: "ThisServicesApplyPipelinesOnly", Effect: "Allow", Principal: { AWS: ["arn:aws:iam::111111111111:role/apps-platform/ci/payments-api-ci-apply"] }, Action: "sts:AssumeRole" },
      ]);
      expect(parsePolicy(role(`payments-api-${stage}-read`).assume_role_policy).Statement[0].Principal.AWS).toHaveLength(2);
    }
    expect(role("payments-api-dev-deploy").path).toBe("/apps-platform/deploy/");
    expect(role("payments-api-dev-exec").path).toBe("/apps-platform/execution/");
  });

  it("keeps every managed policy within IAM's size limit and attaches at most 10 per role", () => {
    const policies = resourcesOf(payments, "aws_iam_policy") as Record<string, any>[];
    for (const p of policies) expect(p.policy.length).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
    const attachments = resourcesOf(payments, "aws_iam_role_policy_attachment") as Record<string, any>[];
    const perRole = new Map<string, number>();
    for (const a of attachments) perRole.set(a.role, (perRole.get(a.role) ?? 0) + 1);
    expect(Math.max(...perRole.values())).toBeLessThanOrEqual(10);
    expect(perRole.size).toBe(roles().length);
  });

  it("confines the deploy role's DNS changes to the service's names in the stage zone", () => {
    const statements = (resourcesOf(payments, "aws_iam_policy") as Record<string, any>[])
      .filter((p) => p.name.startsWith("payments-api-prod-deploy-"))
      .flatMap((p) => parsePolicy(p.policy).Statement);
    expect(statements.find((s) => s.Sid === "ChangeOwnDnsNamesOnly")!.Condition["ForAllValues:StringLike"]).toEqual({
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["payments-api.apps.acme.example", "*.payments-api.apps.acme.example"],
    });
    expect(statements.find((s) => s.Sid === "CreateOwnResourcesTaggedForThisService")!.Resource).toContain(
      "arn:aws:logs:eu-central-1:333333333333:log-group:/apps-platform/prod/payments-api/*",
    );
  });

  it("makes the service's network identity in each stage itself, and publishes it for the service stack alone", () => {
    const groups = resourcesOf(payments, "aws_security_group") as Record<string, any>[];
    expect(groups.map((g) => g.name).sort()).toEqual(["payments-api-dev-db", "payments-api-dev-svc", "payments-api-prod-db", "payments-api-prod-svc"]);
    const ingress = resourcesOf(payments, "aws_vpc_security_group_ingress_rule") as Record<string, any>[];
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule).toMatchObject({ from_port: 5432, to_port: 5432, ip_protocol: "tcp" });
      expect(rule.cidr_ipv4).toBeUndefined();
      expect(rule.referenced_security_group_id).toMatch(/aws_security_group\..*-network_service_/);
    }
    // App Runner service: a VPC connector per stage, in the private subnets, in the service's group.
    const connectors = resourcesOf(payments, "aws_apprunner_vpc_connector") as Record<string, any>[];
    expect(connectors.map((c) => c.vpc_connector_name).sort()).toEqual(["payments-api-dev", "payments-api-prod"]);
    const parameters = (resourcesOf(payments, "aws_ssm_parameter") as Record<string, any>[]).map((p) => p.name).sort();
    expect(parameters).toEqual(
      ["dev", "prod"].flatMap((stage) => ["database-security-group-id", "service-security-group-id", "vpc-connector-arn"].map((k) => `/apps-platform/${stage}/services/payments-api/${k}`)).sort(),
    );
    // An ECS service gets the groups but no connector.
    expect(resourcesOf(json.get("onboarding-webservice-aurora-example")!, "aws_apprunner_vpc_connector")).toHaveLength(0);
  });

  it("creates the OIDC providers once, in the ci-identity stack", () => {
    const providers = resourcesOf(json.get("ci-identity")!, "aws_iam_openid_connect_provider") as Record<string, any>[];
    expect(providers.map((p) => [p.url, p.client_id_list]).sort()).toEqual([
      ["https://gitlab.com", ["https://gitlab.com"]],
      ["https://token.actions.githubusercontent.com", ["sts.amazonaws.com"]],
    ]);
  });
});
