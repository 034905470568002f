import { oidcProviderArn } from "./ci";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { RunPhase, TFC_AWS_AUDIENCE, TFC_ROLE_PATH, tfcSubject } from "../tfc/names";
import { ephemeralStageNames } from "@acme/apps-platform-constructs/naming";
import { OwnDataRead } from "./platform-ci";

/** Where a run comes from: the HCP Terraform host, organization and project of the platform's workspaces. */
export interface TfcScope {
  readonly partition: string;
  /** The account the trusting role (and the host's OIDC provider) is in. */
  readonly accountId: string;
  readonly hostname: string;
  readonly organization: string;
  readonly project: string;
}

/**
 * Who may assume a role with a run's workload identity token: one phase of one workspace of the
 * platform's project, and nothing else. `sub` and `aud` are compared whole (StringEquals), never
 * with wildcards.
 */
export function tfcRunTrust(s: TfcScope, workspace: string, phase: RunPhase): PolicyStatement {
  return {
    Sid: phase === "plan" ? "PlanPhaseOfThisWorkspaceOnly" : "ApplyPhaseOfThisWorkspaceOnly",
    Effect: "Allow",
    Principal: { Federated: oidcProviderArn(s.partition, s.accountId, s.hostname) },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: {
        [`${s.hostname}:aud`]: TFC_AWS_AUDIENCE,
        [`${s.hostname}:sub`]: tfcSubject(s.organization, s.project, workspace, phase),
      },
    },
  };
}

/**
 * The AWS managed policies of a platform workspace's phase roles. Apply: all (what the provisioner
 * role could do), less `runIdentitiesUnchangeable`. Plan: none, as its permissions are the statements
 * of the account's read role (`platformReadRoleStatements`): AWS's ReadOnlyAccess reads data
 * (objects, items, log events) and a pull request's speculative plan runs with it.
 */
export function tfcManagedPolicies(partition: string, phase: RunPhase): string[] {
  return phase === "apply" ? [`arn:${partition}:iam::aws:policy/AdministratorAccess`] : [];
}

/** One stable stage of the authorizer, as its workspace's plan role sees it. */
export interface AuthorizerPlanScope {
  readonly partition: string;
  readonly region: string;
  /** The account of the platform stage hosting it. */
  readonly accountId: string;
  /** The authorizer stage (dev, stage, prod): its resources' names and its `Stage` tag. */
  readonly stage: string;
  /** The authorizer's project: its resources' `Project` tag. */
  readonly project: string;
  /** Whether the stage has a user pool (and so a client to refresh). */
  readonly cognito: boolean;
}

/**
 * What an authorizer workspace's plan refreshes that the read statements deny as data, allowed on
 * that stage's own resources alone. The provider's refresh of `aws_lambda_function` calls GetFunction
 * and ListVersionsByFunction; of `aws_cognito_user_pool_client`, DescribeUserPoolClient; of
 * `aws_secretsmanager_secret_version`, GetSecretValue. The function and the secret have the names the
 * platform gives them (exact ARNs: `dev-authorizer` never matches `dev-authorizer-x`); the user pool's
 * id is generated, so its client is read only in a user pool tagged with the stage and the project.
 * None of it is more than the workspace's state holds: the secret's value is a `random_password`
 * there, the client is public (no secret), the function's environment holds ids and ARNs.
 */
export function authorizerOwnDataReads(s: AuthorizerPlanScope): OwnDataRead[] {
  const names = ephemeralStageNames(s.stage);
  const arn = (service: string, resource: string) => `arn:${s.partition}:${service}:${s.region}:${s.accountId}:${resource}`;
  return [
    { what: "Function", actions: ["lambda:GetFunction", "lambda:ListVersionsByFunction"], resources: [arn("lambda", `function:${names.function.name}`)] },
    // Secrets Manager appends a hyphen and six characters to a secret's name.
    { what: "SigningSecret", actions: ["secretsmanager:GetSecretValue"], resources: [arn("secretsmanager", `secret:${names.jwtSecret.name}-??????`)] },
    // Secrets Manager decrypts the value with the caller's kms:Decrypt (the AWS managed key's policy
    // allows it through the service); the encryption context names the secret, whatever the key.
    { what: "SigningSecretKey", actions: ["kms:Decrypt"], resources: ["*"], contexts: { "kms:EncryptionContext:SecretARN": arn("secretsmanager", `secret:${names.jwtSecret.name}-??????`) } },
    ...(s.cognito
      ? [{ what: "UserPoolClient", actions: ["cognito-idp:DescribeUserPoolClient" as const], resources: [arn("cognito-idp", "userpool/*")], resourceTags: { Project: s.project, Stage: s.stage } }]
      : []),
  ];
}

/** The IAM actions that would change a run identity: a role's trust, its permissions, or the OIDC provider. */
export const RUN_IDENTITY_WRITE_ACTIONS = {
  roles: [
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:TagRole",
    "iam:UntagRole",
  ],
  policies: ["iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"],
  provider: [
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
  ],
} as const;

/**
 * What an apply role may not do even with AdministratorAccess: change any workspace's run roles (its
 * own included) or the HCP Terraform OIDC provider, which only the tfc stack manages. Without it one
 * workspace's apply could rewrite another's trust and so reach its account as that workspace.
 */
export function runIdentitiesUnchangeable(s: Pick<TfcScope, "partition" | "accountId" | "hostname">): PolicyStatement[] {
  const iam = `arn:${s.partition}:iam::${s.accountId}`;
  return [
    { Sid: "NoChangeToRunRoles", Effect: "Deny", Action: [...RUN_IDENTITY_WRITE_ACTIONS.roles], Resource: `${iam}:role${TFC_ROLE_PATH}*` },
    { Sid: "NoChangeToRunRolePolicies", Effect: "Deny", Action: [...RUN_IDENTITY_WRITE_ACTIONS.policies], Resource: `${iam}:policy${TFC_ROLE_PATH}*` },
    { Sid: "NoChangeToTheRunIdentityProvider", Effect: "Deny", Action: [...RUN_IDENTITY_WRITE_ACTIONS.provider], Resource: oidcProviderArn(s.partition, s.accountId, s.hostname) },
  ];
}
