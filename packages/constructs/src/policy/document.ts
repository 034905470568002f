/**
 * IAM policy documents as plain data. Policies are rendered to JSON strings in the resources (not
 * through `aws_iam_policy_document`), so what a reviewer reads in the plan is exactly what AWS gets,
 * and tests can evaluate the synthesized text with an independent IAM evaluator.
 */

import { ValidationError } from "../errors";

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

/** A policy document of the statements; refuses, with every one named, statement ids given twice. */
export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  const first = new Map<string, number>();
  const problems: string[] = [];
  statements.forEach((s, i) => {
    const at = first.get(s.Sid);
    if (at === undefined) first.set(s.Sid, i);
    else problems.push(`Statement[${i}].Sid must be unique in the policy, already used by Statement[${at}], got "${s.Sid}"`);
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return { Version: "2012-10-17", Statement: statements };
}

/** The JSON text of a policy, as IAM, KMS and S3 take it. */
export function policyJson(statements: readonly PolicyStatement[]): string {
  return JSON.stringify(policyDocument(statements));
}
