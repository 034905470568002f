import { ConditionBlock, PolicyStatement } from "./document";

/**
 * Statements that several policies share. Each exists once, here, so that a fix to one (a missing
 * condition, a new action) reaches every policy that uses it.
 */

export function accountRootArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:root`;
}

/**
 * The key-policy statement that hands a key's administration to IAM in its own account. Without it a
 * key can become unmanageable (KMS refuses policies that lock the account out); with it, who may use
 * the key is decided by IAM policies, narrowed by the key policy's Deny statements.
 */
export function keyAdministeredByAccount(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: "AccountAdministersKeyThroughIam",
    Effect: "Allow",
    Principal: { AWS: accountRootArn(partition, accountId) },
    Action: "kms:*",
    Resource: "*",
  };
}

/**
 * The condition of a Deny of what is tagged for another app: the resource has an `app` tag, and it is
 * not `app`. A resource without the tag is left to the Allow statements.
 */
export function taggedForAnotherApp(app: string): ConditionBlock {
  return { StringNotEquals: { "aws:ResourceTag/app": app }, Null: { "aws:ResourceTag/app": "false" } };
}

/** Refuses every request to a bucket that does not come over TLS. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** The trust policy statement of a role that an AWS service assumes on behalf of one account. */
export function serviceAssumesRole(service: string, accountId: string): PolicyStatement {
  return {
    Sid: "ServiceAssumesRoleForThisAccount",
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    // Confused-deputy protection: the service may only assume the role for this account's resources.
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  };
}

/**
 * Refuses every request to a bucket's objects from roles under the given IAM paths, in any account:
 * the platform's state bucket is no tenant's, whatever a tenant role's own policy says. `except`
 * names roles under those paths that are let through (the platform's own CI roles).
 */
export function denyRolesUnderPaths(sid: string, bucketArn: string, partition: string, paths: readonly string[], except: readonly string[] = []): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: {
      ArnLike: { "aws:PrincipalArn": paths.map((p) => `arn:${partition}:iam::*:role${p}*`) },
      // Roles under these paths that are not a tenant's, by exact ARN.
      ...(except.length > 0 ? { ArnNotEquals: { "aws:PrincipalArn": [...except] } } : {}),
    },
  };
}
