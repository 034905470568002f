import { oidcProviderArn } from "./ci";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { RunPhase, TFC_AWS_AUDIENCE, TFC_ROLE_PATH, tfcSubject } from "../tfc/names";

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
 * of the account's read role (`platformReadRoleStatements`), since AWS's ReadOnlyAccess reads data
 * (objects, items, log events) and a pull request's speculative plan runs with it; but ReadOnlyAccess
 * for a workspace whose plan refreshes data the read statements deny (an authorizer's function, user
 * pool client and signing secret), which is not narrowed yet.
 */
export function tfcManagedPolicies(partition: string, phase: RunPhase, planRefreshesData: boolean): string[] {
  if (phase === "apply") return [`arn:${partition}:iam::aws:policy/AdministratorAccess`];
  return planRefreshesData ? [`arn:${partition}:iam::aws:policy/ReadOnlyAccess`] : [];
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
