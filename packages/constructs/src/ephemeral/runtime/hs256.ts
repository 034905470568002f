import { createHmac, timingSafeEqual } from "crypto";
import { Claims } from "./handler";

export interface Hs256Options {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  /** Seconds since the epoch; injectable for tests. @default now */
  readonly now?: () => number;
}

const b64url = (buf: Buffer) => buf.toString("base64url");

/** Signs claims as an HS256 JWT (tests and local tooling). */
export function signHs256(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = b64url(Buffer.from(JSON.stringify(claims)));
  return `${head}.${body}.${b64url(createHmac("sha256", secret).update(`${head}.${body}`).digest())}`;
}

/**
 * Verifies an HS256 token: the algorithm (no `none`, no other), the signature in constant time, the
 * expiry, the issuer and the audience. Throws with the reason; the handler turns any throw into Deny.
 */
export function verifyHs256(token: string, options: Hs256Options): Claims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("not a JWT");
  const [head, body, signature] = parts;
  if (options.secret.length < 32) throw new Error("the signing secret is shorter than 32 characters");
  const header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
  if (!header || typeof header !== "object" || header.alg !== "HS256") throw new Error(`algorithm ${header?.alg} is not HS256`);
  const expected = createHmac("sha256", options.secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("bad signature");
  const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  if (!claims || typeof claims !== "object" || Array.isArray(claims)) throw new Error("claims are not an object");
  const now = (options.now ?? (() => Math.floor(Date.now() / 1000)))();
  if (!Number.isSafeInteger(claims.exp) || claims.exp <= now) throw new Error("expired");
  // A minute of clock skew between the issuer and Lambda.
  if (claims.nbf !== undefined && (!Number.isSafeInteger(claims.nbf) || claims.nbf > now + 60)) throw new Error("not valid yet");
  if (claims.iss !== options.issuer) throw new Error(`issuer ${claims.iss} is not ${options.issuer}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(options.audience)) throw new Error("wrong audience");
  if (typeof claims.sub !== "string" || claims.sub === "") throw new Error("no subject");
  return { sub: claims.sub, roles: rolesOf(claims) };
}

/** Roles from `roles` or Cognito's `cognito:groups`. */
export function rolesOf(claims: Record<string, unknown>): string[] {
  const roles = claims.roles ?? claims["cognito:groups"] ?? [];
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
}
