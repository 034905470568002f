import { IAM_PATHS } from "../naming";
import { PolicyStatement } from "./document";
import { keyAdministeredByAccount } from "./statements";

/** Where a key lives. */
export interface KeyPolicyContext {
  /** The AWS partition of the Region. */
  readonly partition: string;
  /** The key's account, which administers it. */
  readonly accountId: string;
  /** The key's Region, for the services that may use it there. */
  readonly region: string;
}

/** ARN pattern of every role under an IAM path of the platform. */
export function rolesUnderPath(ctx: KeyPolicyContext, path: string): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:role${path}*`;
}

/** The KMS operations that read or produce plaintext or data keys. */
export const KEY_USAGE_ACTIONS = [
  "kms:Decrypt",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
] as const;

/**
 * The platform key of a stage. It encrypts service secrets, databases and log groups.
 *
 * Service execution roles may only use it through Secrets Manager: an explicit Deny covers every
 * direct use, so a compromised container cannot decrypt a ciphertext it took from elsewhere (a
 * snapshot, another service's log group) by calling KMS itself.
 */
export function platformKeyPolicy(ctx: KeyPolicyContext): PolicyStatement[] {
  return [
    keyAdministeredByAccount(ctx.partition, ctx.accountId),
    {
      Sid: "ExecutionRolesUseKeyOnlyThroughSecretsManager",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: [...KEY_USAGE_ACTIONS],
      Resource: "*",
      Condition: {
        ArnLike: { "aws:PrincipalArn": rolesUnderPath(ctx, IAM_PATHS.execution) },
        StringNotEquals: { "kms:ViaService": `secretsmanager.${ctx.region}.amazonaws.com` },
      },
    },
    logsServiceUsesKey("CloudWatchLogsEncryptsPlatformLogGroups", ctx.region, `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:/apps-platform/*`),
  ];
}

/** The key-policy statement that lets CloudWatch Logs encrypt the log groups whose ARNs match `logGroups`. */
export function logsServiceUsesKey(sid: string, region: string, logGroups: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: `logs.${region}.amazonaws.com` },
    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
    Resource: "*",
    Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroups } },
  };
}

/** A state key: the account administers it, and only IAM-authorised principals use it. */
export function stateKeyPolicy(ctx: KeyPolicyContext): PolicyStatement[] {
  return [keyAdministeredByAccount(ctx.partition, ctx.accountId)];
}
