import * as fs from "fs";
import * as path from "path";
import { isAuthorized } from "@cedar-policy/cedar-wasm/nodejs";
import { AuthorizationRequest, AuthorizerEvent, createHandler } from "../../packages/constructs/src/ephemeral/runtime/handler";
import { signHs256, verifyHs256 } from "../../packages/constructs/src/ephemeral/runtime/hs256";
import { ROOT } from "../helpers";

const POLICY_DIR = path.join(ROOT, "policies", "ephemeral");
const schema = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "schema.cedarschema.json"), "utf8"));
const policies = Object.fromEntries(
  fs.readdirSync(POLICY_DIR).filter((f) => f.endsWith(".cedar")).map((f) => [f, fs.readFileSync(path.join(POLICY_DIR, f), "utf8")]),
);

/** The real Cedar engine in place of Verified Permissions, on the same schema and policy files. */
async function cedarDecides(request: AuthorizationRequest): Promise<boolean> {
  const answer = isAuthorized({
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    context: {},
    schema,
    validateRequest: true,
    policies: { staticPolicies: policies },
    entities: request.entities as never,
  });
  if (answer.type === "failure") throw new Error(answer.errors.map((e) => e.message).join("; "));
  return answer.response.decision === "allow";
}

const SECRET = "a-test-secret-of-sufficient-length-0123456789";
const NOW = 1_800_000_000;
const issuer = "https://auth.pr-42.example";
const audience = "api";
const verify = async (token: string) => verifyHs256(token, { secret: SECRET, issuer, audience, now: () => NOW });
const logged: string[] = [];
const handler = createHandler({ verify, decide: cedarDecides, log: (m) => logged.push(m) });

const token = (claims: Record<string, unknown>, secret = SECRET) => signHs256({ iss: issuer, aud: audience, exp: NOW + 600, sub: "user-1", ...claims }, secret);
/** A token over a body written by hand, for numbers JSON.stringify cannot write. */
function rawToken(body: string): string {
  const head = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
  const payload = Buffer.from(body).toString("base64url");
  const { createHmac } = require("crypto") as typeof import("crypto");
  return `${head}.${payload}.${createHmac("sha256", SECRET).update(`${head}.${payload}`).digest("base64url")}`;
}
const event = (method: string, resourcePath: string, bearer?: string): AuthorizerEvent => ({
  methodArn: `arn:aws:execute-api:eu-central-1:222222222222:abc123/pr-42/${method}${resourcePath}`,
  ...(bearer ? { authorizationToken: `Bearer ${bearer}` } : {}),
});
const effect = async (e: AuthorizerEvent) => (await handler(e)).policyDocument.Statement[0].Effect;

describe("the Lambda authorizer, with Cedar deciding", () => {
  it.each([
    ["a reader reads", "GET", [], "Allow"],
    ["a reader writes", "POST", [], "Deny"],
    ["a reader deletes", "DELETE", [], "Deny"],
    ["an editor writes", "PUT", ["editor"], "Allow"],
    ["an editor deletes", "DELETE", ["editor"], "Deny"],
    ["an admin deletes", "DELETE", ["admin"], "Allow"],
    ["a suspended admin reads", "GET", ["admin", "suspended"], "Deny"],
    ["a suspended editor writes", "PATCH", ["editor", "suspended"], "Deny"],
  ])("%s: %s with roles %j → %s", async (_, method, roles, expected) => {
    expect(await effect(event(method, "/documents/7", token({ roles })))).toBe(expected);
  });

  it("returns the caller as principal and the method ARN as the statement's resource", async () => {
    const e = event("GET", "/documents/7", token({ sub: "alice" }));
    expect(await handler(e)).toEqual({
      principalId: "alice",
      policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: e.methodArn }] },
    });
  });

  it("reads Cognito groups as roles", async () => {
    expect(await effect(event("POST", "/documents", token({ "cognito:groups": ["editor"] })))).toBe("Allow");
  });

  it.each([
    ["a missing token", undefined],
    ["an expired token", token({ exp: NOW - 1 })],
    ["a token of another issuer", token({ iss: "https://evil.example" })],
    ["a token for another audience", token({ aud: "other" })],
    ["a token signed with another secret", token({ roles: ["admin"] }, "another-secret-another-secret-another-secret")],
    ["a token with alg none", `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: issuer, aud: audience, exp: NOW + 60, sub: "x", roles: ["admin"] })).toString("base64url")}.`],
    ["garbage", "not-a-jwt"],
    ["a token that never expires (exp 1e309)", rawToken(`{"iss":"${issuer}","aud":"${audience}","sub":"x","roles":["admin"],"exp":1e309}`)],
    ["a token not valid yet", token({ nbf: NOW + 3600 })],
    ["a token signed with an empty secret", token({ roles: ["admin"] }, "")],
  ])("denies %s", async (_, bearer) => {
    expect(await effect(event("GET", "/documents/7", bearer))).toBe("Deny");
  });

  it("denies when the decision fails, and logs why without the token", async () => {
    const failing = createHandler({ verify, decide: async () => Promise.reject(new Error("throttled")), log: (m) => logged.push(m) });
    const t = token({ roles: ["admin"] });
    expect((await failing(event("GET", "/x", t))).policyDocument.Statement[0].Effect).toBe("Deny");
    expect(logged.some((m) => m.includes("throttled"))).toBe(true);
    expect(logged.some((m) => m.includes(t))).toBe(false);
  });

  it("uses only policies that validate against the schema", () => {
    const answer = isAuthorized({
      principal: { type: "App::User", id: "u" },
      action: { type: "App::Action", id: "read" },
      resource: { type: "App::Document", id: "/" },
      context: {},
      schema,
      validateRequest: true,
      policies: { staticPolicies: policies },
      entities: [{ uid: { type: "App::User", id: "u" }, attrs: { roles: [] }, parents: [] }],
    });
    expect(answer.type).toBe("success");
    expect(Object.keys(policies).sort()).toEqual(["admins.cedar", "editors.cedar", "readers.cedar", "suspended.cedar"]);
  });
});
