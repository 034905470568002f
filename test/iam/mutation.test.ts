import { exampleConfig, synthPlatform } from "../helpers";
import { Mutant, isTypeWide, mutants } from "./mutation";
import { runMutations } from "./mutation-run";

/**
 * The proof of the proof: every Deny and every condition of every tenant role's policies, removed one
 * at a time (and every Allow's Resource widened to *), must make the surface search fail. A weakening
 * no case notices is a statement that is either dead or untested.
 */
describe("the surface search notices every weakened statement", () => {
  const config = exampleConfig();
  const synthesized = synthPlatform(config);
  // One App Runner tenant's roles in a stage, and one ECS tenant's, with the CI roles of a GitLab and a GitHub project.
  const chosen = new Set(["payments-api-dev-deploy", "payments-api-dev-read", "payments-api-dev-exec", "payments-api-dev-ecr", "webservice-aurora-example-dev-deploy", "payments-api-ci-plan", "payments-api-ci-apply", "status-page-ci-apply"]);

  it("for every Deny, condition and narrowed Resource of the deploy, read, runtime and CI roles", async () => {
    const outcomes = await runMutations(config, synthesized, (p) => chosen.has(p.role.name));
    const unnoticed = outcomes.filter((o) => !o.noticedBy && !o.backedByResourcePolicy).map((o) => `${o.principal.role.name}: ${o.mutant.label}`);
    expect(unnoticed).toEqual([]);
    expect(new Set(outcomes.map((o) => o.principal.role.name))).toEqual(chosen);
    // Every kind of weakening was tried.
    for (const kind of ["the Deny removed", "condition", "Resource widened"]) expect(outcomes.some((o) => o.mutant.label.includes(kind))).toBe(true);
  });

  it("makes one mutant per Deny, per condition key of an Allow and per narrowed Resource", async () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Condition: { StringEquals: { "aws:ResourceTag/app": "x", "aws:RequestTag/app": "x" } } },
        { Sid: "W", Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" },
        { Sid: "D", Effect: "Deny", Action: "s3:DeleteObject", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ],
    };
    const labels = (await mutants([{ name: "p", policy }])).map((m: Mutant) => m.label);
    expect(labels).toEqual([
      "p A: condition StringEquals aws:ResourceTag/app removed",
      "p A: condition StringEquals aws:RequestTag/app removed",
      "p A: Resource widened to *",
      "p D: the Deny removed",
    ]);
  });

  it("widens a Resource that only ends like a whole type: a log group's streams, a bucket's objects", () => {
    for (const wide of ["*", "arn:aws:kms:eu-central-1:222222222222:key/*", "arn:aws:route53:::hostedzone/*", "arn:aws:s3:::*/*"]) expect([wide, isTypeWide(wide)]).toEqual([wide, true]);
    for (const narrow of ["arn:aws:logs:eu-central-1:222222222222:log-group:/accessos/dev/tenants/acme/*:log-stream:*", "arn:aws:s3:::acme-accessos-globex-dev/*", "arn:aws:ecr:eu-central-1:222222222222:repository/accessos/x"]) {
      expect([narrow, isTypeWide(narrow)]).toEqual([narrow, false]);
    }
  });
});
