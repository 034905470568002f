import { TfJson, exampleConfig, synthPlatform } from "../helpers";
import { Decision, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { SynthesizedRole, rolesOf } from "./synthesized-policies";
import { resourcePolicies } from "./universe";

/**
 * The holes a review of the earlier policies found, one request each, as that review made them. The
 * surface search finds their classes; these keep the exact requests, so that each one stays closed.
 */
describe("the cross-tenant holes found by review stay closed", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);
  const policies = resourcePolicies(synthesized);
  const R = "eu-central-1";
  const DEV = "222222222222";
  const DEPLOYMENT = "111111111111";
  const A = "payments-api";
  const B = "webservice-aurora-example";
  const claim = { "aws:RequestTag/app": A, "aws:RequestTag/platform": "apps-platform", "aws:TagKeys": ["app", "platform"] };

  const role = (slug: string, name: string): SynthesizedRole =>
    rolesOf(`onboarding-${slug}`, synthesized.json.get(`onboarding-${slug}`) as TfJson).find((r) => r.name === name)!;
  const decide = async (r: SynthesizedRole, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> => {
    await extendIamDataWithOidcClaims([]);
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
    const resourcePolicy = bucket ? policies.buckets.get(bucket) : undefined;
    return evaluate({ principal: r.arn, action, resource, resourceAccount: r.accountId, context, identityPolicies: r.policies.map((p) => p.policy), ...(resourcePolicy ? { resourcePolicy } : {}) });
  };
  const deployA = () => role(A, `${A}-dev-deploy`);

  it.each([
    ["secretsmanager:TagResource", `arn:aws:secretsmanager:${R}:${DEV}:secret:legacy-db-password-AbCdEf`],
    ["lambda:TagResource", `arn:aws:lambda:${R}:${DEV}:function:legacy-job`],
    ["ec2:CreateTags", `arn:aws:ec2:${R}:${DEV}:security-group/sg-0123456789abcdef0`],
    ["dynamodb:TagResource", `arn:aws:dynamodb:${R}:${DEV}:table/legacy-table`],
    ["ecs:TagResource", `arn:aws:ecs:${R}:${DEV}:task/default/0123456789abcdef`],
  ])("1. a tenant cannot claim an untagged resource by tagging it as its own: %s", async (action, resource) => {
    expect(await decide(deployA(), action, resource, claim)).not.toBe("Allowed");
  });

  it.each([
    ["rds:CreateDBInstance into the other service's cluster", "rds:CreateDBInstance", `arn:aws:rds:${R}:${DEV}:cluster:${B}-dev`],
    ["rds:CreateDBClusterSnapshot of the other service's cluster", "rds:CreateDBClusterSnapshot", `arn:aws:rds:${R}:${DEV}:cluster:${B}-dev`],
    ["rds:CreateDBCluster in the other service's subnet group", "rds:CreateDBCluster", `arn:aws:rds:${R}:${DEV}:subgrp:${B}-dev`],
    ["rds:CreateDBCluster with the other service's parameter group", "rds:CreateDBCluster", `arn:aws:rds:${R}:${DEV}:cluster-pg:${B}-dev`],
  ])("2. a create action cannot name another tenant's resource: %s", async (_, action, resource) => {
    expect(await decide(deployA(), action, resource, claim)).not.toBe("Allowed");
  });

  it.each([
    ["ecs:CreateService", `arn:aws:ecs:${R}:${DEV}:service/default/${A}-dev`, claim],
    ["ecs:UpdateService", `arn:aws:ecs:${R}:${DEV}:service/default/${A}-dev`, { "aws:ResourceTag/app": A }],
    ["ecs:CreateExpressGatewayService", `arn:aws:ecs:${R}:${DEV}:service/default/${B}-dev`, claim],
  ] as [string, string, Record<string, string | string[]>][])("3. no traffic takeover on ECS: %s is not granted for another's target group or name", async (action, resource, context) => {
    expect(await decide(deployA(), action, resource, context)).not.toBe("Allowed");
    expect(await decide(role(B, `${B}-dev-deploy`), action, resource.replace(`${B}-dev`, `${A}-dev`), { ...context, ...(context["aws:ResourceTag/app"] ? { "aws:ResourceTag/app": B } : {}) })).not.toBe("Allowed");
  });

  it.each(["apprunner:CreateService", "apprunner:UpdateService"])("4. %s cannot name another tenant's VPC connector, and can name its own", async (action) => {
    const service = `arn:aws:apprunner:${R}:${DEV}:service/${A}-dev/0a1b`;
    const context = (connector: string) => ({ ...(action.endsWith("CreateService") ? claim : {}), "apprunner:VpcConnectorArn": `arn:aws:apprunner:${R}:${DEV}:vpcconnector/${connector}/1/0a1b` });
    expect(await decide(deployA(), action, service, context(`${B}-dev`))).not.toBe("Allowed");
    expect(await decide(deployA(), action, service, context(`${A}-dev`))).toBe("Allowed");
  });

  it.each([
    ["ec2:CreateSecurityGroup", `arn:aws:ec2:${R}:${DEV}:security-group/sg-0123456789abcdef0`, claim],
    ["ec2:AuthorizeSecurityGroupIngress", `arn:aws:ec2:${R}:${DEV}:security-group/sg-0123456789abcdef0`, { "aws:ResourceTag/app": A }],
    ["apprunner:CreateVpcConnector", `arn:aws:apprunner:${R}:${DEV}:vpcconnector/${A}-dev/1/0a1b`, claim],
    ["apprunner:DeleteVpcConnector", `arn:aws:apprunner:${R}:${DEV}:vpcconnector/${A}-dev/1/0a1b`, { "aws:ResourceTag/app": A }],
  ])("6. a deploy role neither makes nor changes a security group or connector, not even its own: %s", async (action, resource, context) => {
    expect(await decide(deployA(), action, resource, context)).not.toBe("Allowed");
  });

  it("7. the CI plan role reads state and cannot write it, nor take or break a lock", async () => {
    const plan = role(A, `${A}-ci-plan`);
    const bucket = `arn:aws:s3:::acme-${A}-tfstate`;
    const table = `arn:aws:dynamodb:${R}:${DEPLOYMENT}:table/acme-${A}-tflock`;
    expect(await decide(plan, "s3:GetObject", `${bucket}/env/dev/service/${A}/terraform.tfstate`)).toBe("Allowed");
    expect(await decide(plan, "dynamodb:GetItem", table)).toBe("Allowed");
    for (const [action, resource] of [
      ["s3:DeleteObject", `${bucket}/env/dev/service/${A}/terraform.tfstate.tflock`],
      ["s3:PutObject", `${bucket}/env/dev/service/${A}/terraform.tfstate.tflock`],
      ["s3:PutObject", `${bucket}/env/dev/service/${A}/terraform.tfstate`],
      ["dynamodb:PutItem", table],
      ["dynamodb:DeleteItem", table],
    ]) {
      expect([action, await decide(plan, action, resource)]).toEqual([action, "ImplicitlyDenied"]);
    }
  });

  it("the platform's state bucket refuses every tenant role, even one whose own policy would allow it", async () => {
    const platformBucket = policies.buckets.get("acme-apps-platform-tfstate")!;
    const wide = { Version: "2012-10-17", Statement: [{ Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "*" }] };
    for (const principal of [`arn:aws:iam::${DEPLOYMENT}:role/apps-platform/ci/${A}-ci-apply`, `arn:aws:iam::${DEV}:role/apps-platform/deploy/${A}-dev-deploy`]) {
      for (const [action, resource] of [["s3:PutObject", "arn:aws:s3:::acme-apps-platform-tfstate/env/dev/environment/dev/terraform.tfstate"], ["s3:ListBucket", "arn:aws:s3:::acme-apps-platform-tfstate"]]) {
        const decision = await evaluate({ principal, action, resource, resourceAccount: DEPLOYMENT, identityPolicies: [wide], resourcePolicy: platformBucket });
        expect([principal, action, decision]).toEqual([principal, action, "ExplicitlyDenied"]);
      }
    }
    // The platform's provisioner is not refused.
    expect(await evaluate({ principal: `arn:aws:iam::${DEPLOYMENT}:role/apps-platform-provisioner`, action: "s3:PutObject", resource: "arn:aws:s3:::acme-apps-platform-tfstate/x", resourceAccount: DEPLOYMENT, identityPolicies: [wide], resourcePolicy: platformBucket })).toBe("Allowed");
  });

  it.each([
    [`${A}-ci-plan`, `onboarding-${A}`, "s3:GetObject", `arn:aws:s3:::acme-${A}-tfstate/env/dev/service/${A}/terraform.tfstate`],
    [`${A}-ci-plan`, `onboarding-${A}`, "s3:ListBucket", `arn:aws:s3:::acme-${A}-tfstate`],
    [`${A}-ci-apply`, `onboarding-${A}`, "s3:PutObject", `arn:aws:s3:::acme-${A}-tfstate/env/dev/service/${A}/terraform.tfstate`],
    [`${A}-ci-apply`, `onboarding-${A}`, "s3:DeleteObject", `arn:aws:s3:::acme-${A}-tfstate/env/dev/service/${A}/terraform.tfstate.tflock`],
    ["apps-platform-ci-plan", "ci-identity", "s3:GetObject", "arn:aws:s3:::acme-apps-platform-tfstate/environment/dev/terraform.tfstate"],
    ["apps-platform-ci-apply", "ci-identity", "s3:PutObject", "arn:aws:s3:::acme-apps-platform-tfstate/environment/dev/terraform.tfstate"],
    ["apps-platform-ci-apply", "ci-identity", "s3:ListBucket", "arn:aws:s3:::acme-apps-platform-tfstate"],
    ["authz-ephemeral-ci", "ci-identity", "s3:PutObject", "arn:aws:s3:::acme-apps-platform-tfstate/env/pr-12/ephemeral/acme-dev-eu-central-1/terraform.tfstate"],
    ["authz-stable-ci", "ci-identity", "s3:GetObject", "arn:aws:s3:::acme-apps-platform-tfstate/env/dev/authorizer/dev/terraform.tfstate"],
  ])("9. %s reaches its state (%s, %s) in the deployment account's bucket only, not in a bucket of that name made first in another account", async (name, stack, action, resource) => {
    const r = rolesOf(stack, synthesized.json.get(stack) as TfJson).find((x) => x.name === name)!;
    const context: Record<string, string> = action === "s3:ListBucket" ? { "s3:prefix": name.includes("platform") ? "environment/" : "env/" } : {};
    expect([name, action, await decide(r, action, resource, context)]).toEqual([name, action, "Allowed"]);
    // Bucket names are global and these are known before the bucket is made: another account's bucket
    // of the name, open to everyone, gets neither the state nor a write.
    const open = { Version: "2012-10-17", Statement: [{ Sid: "TakeEverything", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] };
    const elsewhere = await evaluate({ principal: r.arn, action, resource, resourceAccount: "999999999999", context, identityPolicies: r.policies.map((p) => p.policy), resourcePolicy: open });
    expect([name, action, elsewhere]).toEqual([name, action, "ImplicitlyDenied"]);
  });

  it("8. a service manages and reads its own secrets, and no other service's", async () => {
    const secret = `arn:aws:secretsmanager:${R}:${DEV}:secret:apps-platform/services/dev/${A}/stripe-key-AbCdEf`;
    for (const action of ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]) expect(await decide(deployA(), action, secret, claim)).toBe("Allowed");
    for (const action of ["secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"]) {
      expect([action, await decide(deployA(), action, secret)]).toEqual([action, "Allowed"]);
    }
    expect(await decide(role(A, `${A}-dev-exec`), "secretsmanager:GetSecretValue", secret)).toBe("Allowed");
    expect(await decide(role(A, `${A}-dev-read`), "secretsmanager:GetSecretValue", secret)).not.toBe("Allowed");
    for (const r of [role(B, `${B}-dev-deploy`), role(B, `${B}-dev-exec`)]) {
      expect(await decide(r, "secretsmanager:GetSecretValue", secret, { "aws:ResourceTag/app": B })).not.toBe("Allowed");
      expect(await decide(r, "secretsmanager:PutSecretValue", secret, { "aws:ResourceTag/app": B })).not.toBe("Allowed");
    }
  });
});
