/**
 * The Lambda authorizer, independent of AWS clients so that tests can run it with the Cedar engine in
 * place of Verified Permissions. Every failure (no token, a bad token, an error of the decider)
 * denies; nothing allows but a decision of the policies.
 */

/** The claims the authorizer uses from a verified token. */
export interface Claims {
  readonly sub: string;
  readonly roles: string[];
}

/** An authorization question in Cedar's terms, as Verified Permissions takes it. */
export interface AuthorizationRequest {
  readonly principal: { readonly type: string; readonly id: string };
  readonly action: { readonly type: string; readonly id: string };
  readonly resource: { readonly type: string; readonly id: string };
  /** The principal's entity, with the attributes the policies read. */
  readonly entities: { uid: { type: string; id: string }; attrs: Record<string, unknown>; parents: never[] }[];
}

export interface AuthorizerDependencies {
  /** Verifies a bearer token and returns its claims; throws on any problem. */
  readonly verify: (token: string) => Promise<Claims>;
  /** Asks the policies; true for allow. */
  readonly decide: (request: AuthorizationRequest) => Promise<boolean>;
  /** Where errors go (never the token). @default console.error */
  readonly log?: (message: string) => void;
}

/** The parts of an API Gateway REQUEST or TOKEN authorizer event this authorizer reads. */
export interface AuthorizerEvent {
  readonly methodArn: string;
  readonly authorizationToken?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly httpMethod?: string;
  readonly path?: string;
}

export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: "2012-10-17";
    readonly Statement: { Action: "execute-api:Invoke"; Effect: "Allow" | "Deny"; Resource: string }[];
  };
}

export const NAMESPACE = "App";

/** HTTP methods as the schema's actions. */
export function actionFor(method: string): string {
  switch (method.toUpperCase()) {
    case "GET":
    case "HEAD":
    case "OPTIONS":
      return "read";
    case "DELETE":
      return "delete";
    default:
      return "write";
  }
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path...` → method and path. */
export function methodAndPath(event: AuthorizerEvent): { method: string; path: string } {
  if (event.httpMethod && event.path) return { method: event.httpMethod, path: event.path };
  const parts = event.methodArn.split(":")[5]?.split("/") ?? [];
  return { method: parts[2] ?? "", path: `/${parts.slice(3).join("/")}` };
}

export function bearerToken(event: AuthorizerEvent): string | undefined {
  const header = event.authorizationToken ?? event.headers?.Authorization ?? event.headers?.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

export function buildRequest(claims: Claims, event: AuthorizerEvent): AuthorizationRequest {
  const { method, path } = methodAndPath(event);
  const principal = { type: `${NAMESPACE}::User`, id: claims.sub };
  return {
    principal,
    action: { type: `${NAMESPACE}::Action`, id: actionFor(method) },
    resource: { type: `${NAMESPACE}::Document`, id: path },
    entities: [{ uid: principal, attrs: { roles: claims.roles }, parents: [] }],
  };
}

function result(principalId: string, allow: boolean, methodArn: string): AuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: allow ? "Allow" : "Deny", Resource: methodArn }] },
  };
}

export function createHandler(deps: AuthorizerDependencies): (event: AuthorizerEvent) => Promise<AuthorizerResult> {
  const log = deps.log ?? ((m: string) => console.error(m));
  return async (event) => {
    const token = bearerToken(event);
    if (!token) return result("anonymous", false, event.methodArn);
    let claims: Claims;
    try {
      claims = await deps.verify(token);
    } catch (err) {
      log(`token refused: ${err instanceof Error ? err.message : String(err)}`);
      return result("anonymous", false, event.methodArn);
    }
    try {
      return result(claims.sub, await deps.decide(buildRequest(claims, event)), event.methodArn);
    } catch (err) {
      log(`authorization failed for ${claims.sub}: ${err instanceof Error ? err.message : String(err)}`);
      return result(claims.sub, false, event.methodArn);
    }
  };
}
