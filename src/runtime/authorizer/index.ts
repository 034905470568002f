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
const vp = new VerifiedPermissionsClient({});
const secrets = new SecretsManagerClient({});
let secret: Promise<string> | undefined;

const cognito = env.USER_POOL_ID ? cognitoVerifier(env.USER_POOL_ID, env.CLIENT_ID ?? "") : undefined;

async function verify(token: string): Promise<Claims> {
  if (cognito) return cognito(token);
  secret ??= secrets.send(new GetSecretValueCommand({ SecretId: env.JWT_SECRET_ARN })).then((r) => r.SecretString ?? "");
  return verifyHs256(token, { secret: await secret, issuer: env.JWT_ISSUER ?? "", audience: env.JWT_AUDIENCE ?? "" });
}

async function decide(request: AuthorizationRequest): Promise<boolean> {
  const answer = await vp.send(
    new IsAuthorizedCommand({
      policyStoreId: env.POLICY_STORE_ID,
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
