import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { IsAuthorizedCommand, VerifiedPermissionsClient } from "@aws-sdk/client-verifiedpermissions";
import { AuthorizationRequest, Claims, createHandler } from "./handler";
import { cognitoVerifier } from "./cognito";
import { verifyHs256 } from "./hs256";

/**
 * The deployed authorizer: tokens from the stage's Cognito user pool (JWKS, via aws-jwt-verify) or,
 * without a pool, HS256 tokens signed with the stage's generated secret; decisions from the stage's
 * Verified Permissions policy store.
 */
const env = process.env;
// A missing setting must not turn into an empty issuer, audience or key that a forged token matches.
function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the authorizer needs ${name}`);
  return value;
}
const POLICY_STORE_ID = required("POLICY_STORE_ID");
const vp = new VerifiedPermissionsClient({});
const secrets = new SecretsManagerClient({});
let secret: Promise<string> | undefined;

const cognito = env.USER_POOL_ID ? cognitoVerifier(env.USER_POOL_ID, required("CLIENT_ID")) : undefined;
const hs256 = cognito ? undefined : { secretArn: required("JWT_SECRET_ARN"), issuer: required("JWT_ISSUER"), audience: required("JWT_AUDIENCE") };

/** The signing secret, fetched once; a failed fetch is not cached, a short secret is refused. */
async function signingSecret(secretArn: string): Promise<string> {
  secret ??= secrets
    .send(new GetSecretValueCommand({ SecretId: secretArn }))
    .then((r) => {
      if (!r.SecretString || r.SecretString.length < 32) throw new Error("the signing secret is missing or shorter than 32 characters");
      return r.SecretString;
    })
    .catch((err) => {
      secret = undefined;
      throw err;
    });
  return secret;
}

async function verify(token: string): Promise<Claims> {
  if (cognito) return cognito(token);
  const { secretArn, issuer, audience } = hs256!;
  return verifyHs256(token, { secret: await signingSecret(secretArn), issuer, audience });
}

async function decide(request: AuthorizationRequest): Promise<boolean> {
  const answer = await vp.send(
    new IsAuthorizedCommand({
      policyStoreId: POLICY_STORE_ID,
      principal: { entityType: request.principal.type, entityId: request.principal.id },
      action: { actionType: request.action.type, actionId: request.action.id },
      resource: { entityType: request.resource.type, entityId: request.resource.id },
      entities: {
        entityList: request.entities.map((e) => ({
          identifier: { entityType: e.uid.type, entityId: e.uid.id },
          attributes: { roles: { set: (e.attrs.roles as string[]).map((r) => ({ string: r })) } },
        })),
      },
    }),
  );
  return answer.decision === "ALLOW";
}

export const handler = createHandler({ verify, decide });
