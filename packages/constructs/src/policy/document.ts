/**
 * IAM policy documents as plain data. Policies are rendered to JSON strings in the resources (not
 * through `aws_iam_policy_document`), so what a reviewer reads in the plan is exactly what AWS gets,
 * and tests can evaluate the synthesized text with an independent IAM evaluator.
 */

import { ValidationError } from "../errors";

export type ConditionBlock = Record<string, Record<string, string | boolean | string[]>>;

/** One statement of an IAM, key or bucket policy, as AWS reads it. */
export interface PolicyStatement {
  /** The statement's id, unique in its policy; tests and reviewers name statements by it. */
  readonly Sid: string;
  /** Whether the statement allows or denies. */
  readonly Effect: "Allow" | "Deny";
  /** Who the statement is about, in a resource or trust policy. @default none: an identity policy's statement, about its own principal */
  readonly Principal?: Record<string, string | string[]> | "*";
  /** The actions. @default none: `NotAction` must be given */
  readonly Action?: string | string[];
  /** Every action but these. @default none: `Action` must be given */
  readonly NotAction?: string | string[];
  /** The resources. @default none: a trust policy's statement, or `NotResource` */
  readonly Resource?: string | string[];
  /** Every resource but these. @default none: `Resource`, or a trust policy's statement */
  readonly NotResource?: string | string[];
  /** When the statement applies. @default none: always */
  readonly Condition?: ConditionBlock;
}

/** A policy document. */
export interface PolicyDocument {
  /** The policy language version. */
  readonly Version: "2012-10-17";
  /** The statements. */
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
