import { ATTACHED_POLICY_LIMIT, MANAGED_POLICY_LIMIT, PolicyRole, PolicyRoleProps, chunkStatements } from "@acme/apps-platform-constructs/iam";
import { PolicyStatement, policyJson } from "@acme/apps-platform-constructs/policy";
import { ValidationError } from "@acme/apps-platform-constructs/errors";
import { byId, emptyStack, one, policyOf, synthWith, validationError } from "../helpers";

const trust: PolicyStatement[] = [{ Sid: "CiAssumes", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/apps-platform/ci/orders-ci-apply" }, Action: "sts:AssumeRole" }];
const statement = (i: number, size = 40): PolicyStatement => ({
  Sid: `S${i}`,
  Effect: "Allow",
  Action: "s3:GetObject",
  Resource: Array.from({ length: size }, (_, j) => `arn:aws:s3:::bucket-${i}/${"k".repeat(40)}-${j}`),
});
const base: PolicyRoleProps = { roleName: "orders-dev-deploy", path: "/apps-platform/deploy/", trust, statements: [statement(1, 2)] };

describe("PolicyRole", () => {
  it("makes the role with its trust policy, path and one-hour sessions, and its statements as a managed policy <role>-1", () => {
    const json = synthWith((stack) => new PolicyRole(stack, "deploy", base));
    const role = one(json, "aws_iam_role");
    expect(role).toMatchObject({ name: "orders-dev-deploy", path: "/apps-platform/deploy/", max_session_duration: 3600 });
    expect(policyOf(role, "assume_role_policy")).toEqual({ Version: "2012-10-17", Statement: trust });
    const policy = one(json, "aws_iam_policy");
    expect(policy).toMatchObject({ name: "orders-dev-deploy-1", path: "/apps-platform/deploy/" });
    expect(policyOf(policy).Statement).toEqual([statement(1, 2)]);
    expect(one(json, "aws_iam_role_policy_attachment").policy_arn).toMatch(/aws_iam_policy\..*\.arn/);
  });

  it("splits statements over as many managed policies as IAM's size limit needs, each within it", () => {
    const statements = Array.from({ length: 12 }, (_, i) => statement(i));
    const json = synthWith((stack) => new PolicyRole(stack, "deploy", { ...base, statements }));
    const policies = Object.values(byId(json, "aws_iam_policy"));
    expect(policies.length).toBeGreaterThan(1);
    expect(policies.map((p) => p.name)).toEqual(policies.map((_, i) => `orders-dev-deploy-${i + 1}`));
    for (const p of policies) expect(p.policy.length).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
    expect(policies.flatMap((p) => policyOf(p).Statement.map((s) => s.Sid))).toEqual(statements.map((s) => s.Sid));
    expect(Object.keys(byId(json, "aws_iam_role_policy_attachment"))).toHaveLength(policies.length);
  });

  it("chunks greedily: each chunk's document within the limit, and the next statement would not have fit", () => {
    // Statements of random sizes (and keys left out), against limits down to a few statements each.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let round = 0; round < 200; round++) {
      const statements = Array.from({ length: 1 + random(40) }, (_, i): PolicyStatement => ({
        ...statement(round * 100 + i, 1 + random(12)),
        ...(random(3) === 0 ? { Condition: { StringEquals: { "aws:ResourceTag/tenant": "t".repeat(random(60)) } } } : {}),
        ...(random(4) === 0 ? { Resource: undefined, NotResource: "arn:aws:s3:::x" } : {}),
      }));
      const limit = 600 + random(3000);
      if (statements.some((s) => policyJson([s]).length > limit)) continue;
      const chunks = chunkStatements(statements, limit);
      expect(chunks.flat()).toEqual(statements);
      chunks.forEach((chunk, i) => {
        expect(policyJson(chunk).length).toBeLessThanOrEqual(limit);
        if (i + 1 < chunks.length) expect(policyJson([...chunk, chunks[i + 1][0]]).length).toBeGreaterThan(limit);
      });
    }
  });

  it("attaches AWS managed policies beside its own, and makes no policy for no statements", () => {
    const json = synthWith((stack) =>
      new PolicyRole(stack, "infra", { ...base, statements: [], managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"], maxSessionDuration: 7200 }),
    );
    expect(byId(json, "aws_iam_policy")).toEqual({});
    expect(one(json, "aws_iam_role_policy_attachment").policy_arn).toBe("arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices");
    expect(one(json, "aws_iam_role").max_session_duration).toBe(7200);
  });

  it("refuses a role that would need more managed policies than IAM attaches", () => {
    const managed = Array.from({ length: ATTACHED_POLICY_LIMIT }, (_, i) => `arn:aws:iam::aws:policy/P${i}`);
    const error = validationError(() => new PolicyRole(emptyStack(), "deploy", { ...base, managedPolicyArns: managed }));
    expect(error.problems).toEqual([`Role orders-dev-deploy needs 11 managed policies (1 for its statements, 10 managedPolicyArns); IAM attaches at most ${ATTACHED_POLICY_LIMIT}.`]);
    expect(error.constructPath).toBe("test/deploy");
  });

  it("refuses every statement that alone exceeds the managed policy limit, naming each", () => {
    const huge = [statement(1, 200), statement(2, 2), statement(3, 200)];
    const error = validationError(() => new PolicyRole(emptyStack(), "deploy", { ...base, statements: huge }));
    expect(error.problems).toEqual([
      `Policy statement S1 alone exceeds IAM's ${MANAGED_POLICY_LIMIT}-character limit: split it, got ${policyJson([huge[0]]).length} characters`,
      `Policy statement S3 alone exceeds IAM's ${MANAGED_POLICY_LIMIT}-character limit: split it, got ${policyJson([huge[2]]).length} characters`,
    ]);
    expect(() => chunkStatements(huge)).toThrow(ValidationError);
  });

  it.each([
    ["a role name with a space", { roleName: "orders dev" }, 'roleName must be 1 to 64 letters, digits and + = , . @ _ - (an IAM role name), got "orders dev"'],
    ["a path without its slashes", { path: "apps-platform/deploy" }, 'path must be / or start and end with / around printable ASCII characters, at most 512 (an IAM path), got "apps-platform/deploy"'],
    ["a session longer than 12 hours", { maxSessionDuration: 50000 }, "maxSessionDuration must be a whole number of seconds from 3600 to 43200 (1 to 12 hours), got 50000"],
  ])("refuses %s", (_, props, problem) => {
    expect(validationError(() => new PolicyRole(emptyStack(), "deploy", { ...base, ...props })).problems).toEqual([problem]);
  });

  it("refuses, with every problem at once, a role name too long for its managed policies' names", () => {
    const roleName = "r".repeat(127);
    expect(validationError(() => new PolicyRole(emptyStack(), "deploy", { ...base, roleName })).problems).toEqual([
      `roleName must be 1 to 64 letters, digits and + = , . @ _ - (an IAM role name), got "${roleName}"`,
      `the managed policy name "${roleName}-1" is 129 characters long; AWS allows at most 128`,
    ]);
  });
});
