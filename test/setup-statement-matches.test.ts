import * as path from "path";
import fc from "fast-check";
import { deepFreeze } from "./iam/simulator";

/* eslint-disable @typescript-eslint/no-require-imports */
const { original, dist, resourceModule, actionModule } = require("./setup-statement-matches.js");
const { AwsRequestImpl } = require(path.join(dist, "request", "request.js"));
const { RequestContextImpl } = require(path.join(dist, "requestContext.js"));
const { StatementImpl } = require(path.join(path.dirname(require.resolve("@cloud-copilot/iam-policy")), "statements", "statement.js"));
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * test/setup-statement-matches.js keeps the evaluator's answers to whether a statement's Resource and
 * Action match a request: every answer must be what the library computes, asked once or again.
 * test/iam/simulator.test.ts decides a whole proof again without them.
 */

const account = fc.constantFrom("111111111111", "222222222222", "*", "");
const region = fc.constantFrom("eu-central-1", "us-east-1", "*", "");
const name = fc.constantFrom("svc-a", "svc-a-x", "svc-b", "apps-platform/svc-a", "*", "svc-*", "sv?-a", "a/b/c", "${aws:PrincipalTag/app}", "${aws:PrincipalTag/app}-*", "${aws:PrincipalTag/app}/*", "");
const arn = fc
  .tuple(fc.constantFrom("s3:::", "iam::ACCOUNT:role/", "kms:REGION:ACCOUNT:key/", "logs:REGION:ACCOUNT:log-group:", "apprunner:REGION:ACCOUNT:service/", "ssm:REGION:ACCOUNT:parameter/", "s3:::bucket/", "*:REGION:ACCOUNT:"), account, region, name, fc.constantFrom("aws", "aws-cn", "*"))
  .map(([prefix, acct, reg, n, partition]) => `arn:${partition}:${prefix.replace("ACCOUNT", acct).replace("REGION", reg)}${n}`);
const resourcePattern = fc.oneof(arn, fc.constant("*"), fc.constantFrom("arn:aws:s3", "arn:aws:iam::111111111111", "arn:aws:*"));
const action = fc.constantFrom("s3:GetObject", "s3:PutObject", "iam:PassRole", "iam:GetRole", "kms:Decrypt", "apprunner:CreateService", "logs:PutLogEvents", "ssm:GetParameter", "sts:GetCallerIdentity");
const actionPattern = fc.oneof(action, fc.constantFrom("*", "s3:*", "s3:Get*", "iam:?assRole", "kms:*crypt", "APPRUNNER:createservice", "logs:"));
const oneOrMore = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.array(a, { minLength: 1, maxLength: 4 }));
const statement = fc
  .record({
    effect: fc.constantFrom("Allow", "Deny"),
    resources: oneOrMore(resourcePattern),
    // Half of the statements read the request's context, whatever else they hold.
    variable: fc.boolean(),
    not: fc.boolean(),
    actions: oneOrMore(actionPattern),
    notAction: fc.boolean(),
  })
  .map(({ effect, resources, variable, not, actions, notAction }) => {
    const patterns = variable ? [...[resources].flat(), "arn:aws:s3:::${aws:PrincipalTag/app}-*"] : resources;
    return deepFreeze({ Effect: effect, [notAction ? "NotAction" : "Action"]: actions, [not ? "NotResource" : "Resource"]: patterns });
  }
  );
const request = fc.record({
  resource: fc.oneof(arn, fc.constant("*")),
  accountId: fc.constantFrom("111111111111", "222222222222"),
  action,
  app: fc.constantFrom("svc-a", "svc-b"),
  wildcardOnly: fc.boolean(),
});

/** The policy types the engine matches statements for (resource.js, policyTypeResourceSettings). */
const POLICY_TYPES = ["identity", "session", "pb", "resource", "vpce", "scp", "rcp"];

describe("the kept answers of statement matching", () => {
  it("are the ones the evaluator calls (jest's setupFiles)", () => {
    expect(resourceModule.requestMatchesStatementResources).not.toBe(original.requestMatchesStatementResources);
    expect(actionModule.requestMatchesStatementActions).not.toBe(original.requestMatchesStatementActions);
  });

  it("are not kept for a statement that can still change: frozen at its top only, its Resource list grows", () => {
    const document = Object.freeze({ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::tenant-a/*"] });
    const s = new StatementImpl(document, 1, { path: "Statement[0]" });
    const req = new AwsRequestImpl("arn:aws:iam::111111111111:role/r", { resource: "arn:aws:s3:::tenant-b/k", accountId: "111111111111" }, "s3:GetObject", new RequestContextImpl({}), false);
    expect(resourceModule.requestMatchesStatementResources(req, s, "identity").matches).toBe(false);
    (document.Resource as string[]).push("arn:aws:s3:::tenant-b/*");
    expect(resourceModule.requestMatchesStatementResources(req, s, "identity").matches).toBe(true);
  });

  it("are what the library computes, asked once or again, for statements with and without policy variables", () => {
    let variables = 0;
    fc.assert(
      fc.property(statement, fc.array(request, { minLength: 1, maxLength: 3 }), (document, requests) => {
        const s = new StatementImpl(document, 1, { path: "Statement[0]" });
        if (JSON.stringify(document).includes("${")) variables++;
        // The same statement against several requests, some alike but for their context or for whether
        // the action takes only `*`, in every type of policy.
        const variants = requests.flatMap((x) => [x, { ...x, app: x.app === "svc-a" ? "svc-b" : "svc-a" }, { ...x, wildcardOnly: !x.wildcardOnly }]);
        for (const policyType of POLICY_TYPES) {
          for (const r of variants) {
            const req = new AwsRequestImpl("arn:aws:iam::111111111111:role/r", { resource: r.resource, accountId: r.accountId }, r.action, new RequestContextImpl({ "aws:PrincipalTag/app": r.app }), r.wildcardOnly);
            const expectedResources = original.requestMatchesStatementResources(req, s, policyType);
            const expectedActions = original.requestMatchesStatementActions(req, s);
            for (let i = 0; i < 2; i++) {
              expect(resourceModule.requestMatchesStatementResources(req, s, policyType)).toEqual(expectedResources);
              expect(actionModule.requestMatchesStatementActions(req, s)).toEqual(expectedActions);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
    // The search reached statements whose patterns read the request's context.
    expect(variables).toBeGreaterThan(60);
  });
});
