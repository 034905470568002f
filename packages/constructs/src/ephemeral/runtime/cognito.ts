import { CognitoJwtVerifier } from "aws-jwt-verify";
import { Claims } from "./handler";
import { rolesOf } from "./hs256";

/**
 * Verifies ID tokens of a Cognito user pool with aws-jwt-verify: signature against the pool's JWKS
 * (fetched once and cached), issuer, audience (the app client), token use and expiry.
 */
export function cognitoVerifier(userPoolId: string, clientId: string, jwks?: { keys: unknown[] }): (token: string) => Promise<Claims> {
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: "id" });
  if (jwks) verifier.cacheJwks(jwks as never);
  return async (token) => {
    const payload = await verifier.verify(token);
    return { sub: payload.sub, roles: rolesOf(payload as Record<string, unknown>) };
  };
}
