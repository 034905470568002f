import { createSign, generateKeyPairSync } from "crypto";
import { cognitoVerifier } from "../../packages/constructs/src/ephemeral/runtime/cognito";

const POOL = "eu-central-1_TestPool1";
const ISSUER = `https://cognito-idp.eu-central-1.amazonaws.com/${POOL}`;
const CLIENT = "client123";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...(publicKey.export({ format: "jwk" }) as object), kid: "k1", alg: "RS256", use: "sig" };

function sign(claims: Record<string, unknown>, key = privateKey, kid = "k1"): string {
  const head = Buffer.from(JSON.stringify({ alg: "RS256", kid, typ: "JWT" })).toString("base64url");
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(key).toString("base64url");
  return `${head}.${body}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);
const valid = () => ({ sub: "alice", iss: ISSUER, aud: CLIENT, token_use: "id", exp: now() + 600, iat: now(), "cognito:groups": ["editor"] });

describe("Cognito ID tokens through aws-jwt-verify (the pool's JWKS cached, no network)", () => {
  const verify = cognitoVerifier(POOL, CLIENT, { keys: [jwk] });

  it("accepts a token of the pool and the app client, with its groups as roles", async () => {
    await expect(verify(sign(valid()))).resolves.toEqual({ sub: "alice", roles: ["editor"] });
  });

  it.each([
    ["an expired token", { exp: now() - 10 }],
    ["another pool's token", { iss: "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Other" }],
    ["another client's token", { aud: "someone-else" }],
    ["an access token", { token_use: "access" }],
  ])("refuses %s", async (_, change) => {
    await expect(verify(sign({ ...valid(), ...change }))).rejects.toThrow();
  });

  it("refuses a token signed with another key", async () => {
    await expect(verify(sign(valid(), other.privateKey))).rejects.toThrow();
  });
});
