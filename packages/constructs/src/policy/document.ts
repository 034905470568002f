/**
 * IAM policy documents as plain data. Policies are rendered to JSON strings in the resources (not
 * through `aws_iam_policy_document`), so what a reviewer reads in the plan is exactly what AWS gets,
 * and tests can evaluate the synthesized text with an independent IAM evaluator.
 */

export type ConditionBlock = Record<string, Record<string, string | boolean | string[]>>;

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Record<string, string | string[]> | "*";
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  const sids = new Set<string>();
  for (const s of statements) {
    if (sids.has(s.Sid)) throw new Error(`Policy statement ids must be unique, "${s.Sid}" appears twice.`);
    sids.add(s.Sid);
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** The JSON text of a policy, as IAM, KMS and S3 take it. */
export function policyJson(statements: readonly PolicyStatement[]): string {
  return JSON.stringify(policyDocument(statements));
}
