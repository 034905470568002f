import * as fs from "fs";
import * as path from "path";
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { TfeProvider } from "@cdktf/provider-tfe/lib/provider";
import { DataTfeProject } from "@cdktf/provider-tfe/lib/data-tfe-project";
import { ProjectSettings } from "@cdktf/provider-tfe/lib/project-settings";
import { Workspace } from "@cdktf/provider-tfe/lib/workspace";
import { WorkspaceSettings } from "@cdktf/provider-tfe/lib/workspace-settings";
import { Variable } from "@cdktf/provider-tfe/lib/variable";
import { RunTrigger } from "@cdktf/provider-tfe/lib/run-trigger";
import { PlatformConfig } from "../src/config/schema";
import { AccountProvider, deploymentAccountProvider } from "@acme/apps-platform-constructs/core";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";
import { PLATFORM } from "@acme/apps-platform-constructs/naming";
import { PROJECT_ROOT } from "../src/paths";
import { RUN_PHASES, TFC_AWS_AUDIENCE, TFC_ROLE_PATH, TFC_STACK, tfcRoleNames } from "../src/tfc/names";
import { CredentialConfig, TfcWorkspace, stageProviderAlias, tfcWorkspaces } from "../src/tfc/workspaces";
import { authorizerOwnDataReads, runIdentitiesUnchangeable, tfcManagedPolicies, tfcRunTrust } from "../src/policy/tfc";
import { accountReadScope, platformReadRoleStatements } from "../src/policy/platform-ci";
import { skipReadRoleChecks } from "../src/constructs/ci/platform-read-role";
import { PlatformStack } from "./platform-stack";

/** The HCP Terraform environment variables that give a workspace's runs one dynamic AWS credentials configuration. */
export function credentialVariables(c: CredentialConfig): Record<string, string> {
  const suffix = c.tag ? `_${c.tag}` : "";
  return {
    [`TFC_AWS_PROVIDER_AUTH${suffix}`]: "true",
    [`TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE${suffix}`]: TFC_AWS_AUDIENCE,
    [`TFC_AWS_PLAN_ROLE_ARN${suffix}`]: c.roles.plan,
    [`TFC_AWS_APPLY_ROLE_ARN${suffix}`]: c.roles.apply,
  };
}

/**
 * The platform's HCP Terraform side and the AWS side of its runs' identity: one workspace per
 * generated stack (VCS, working directory, trigger patterns, remote execution, run triggers from the
 * stacks whose contract it reads, dynamic AWS credentials), the host's OIDC provider in every account,
 * and each platform workspace's plan and apply roles in every account it works in. Applied first, from
 * a workspace with local execution and the operator's credentials (docs/terraform-cloud.md).
 */
export class TfcStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig) {
    super(scope, TFC_STACK, { config, kind: "tfc", unit: PLATFORM, app: PLATFORM, runsLocally: true });
    const backend = config.backend;
    if (backend.kind !== "cloud") throw new Error("The tfc stack belongs to configs with backend.kind: cloud.");
    const terraformVersion = fs.readFileSync(path.join(PROJECT_ROOT, ".terraform-version"), "utf8").trim();
    const workspaces = tfcWorkspaces(config);

    // AWS: one provider per account, the host's OIDC provider in each, and the platform workspaces' roles.
    const deployment = config.deploymentAccount.accountId;
    const providers = new Map<string, AccountProvider>([[deployment, deploymentAccountProvider(this, config, this.partition)]]);
    for (const [stage, s] of Object.entries(config.stages)) {
      if (providers.has(s.accountId)) continue;
      providers.set(
        s.accountId,
        new AccountProvider(this, `${stage}-platform-account`, {
          alias: stageProviderAlias(stage),
          region: config.region,
          partition: this.partition,
          accountId: s.accountId,
          roleName: config.platformRoleName,
        }),
      );
    }
    // The default provider is left implicit: the HCL renderer would quote its name.
    const providerIn = (accountId: string) => (accountId === deployment ? undefined : providers.get(accountId)!.provider);
    const oidc = new Map<string, IamOpenidConnectProvider>();
    for (const accountId of providers.keys()) {
      oidc.set(accountId, new IamOpenidConnectProvider(this, `oidc-${accountId}`, { provider: providerIn(accountId), url: `https://${backend.hostname}`, clientIdList: [TFC_AWS_AUDIENCE] }));
    }
    const roleArns: Record<string, Record<string, Record<string, string>>> = {};
    // What a plan reads in each account: the same for every workspace there.
    const readStatements = new Map([...providers.keys()].map((accountId) => [accountId, platformReadRoleStatements(accountReadScope(config, this.partition, accountId))]));
    /** An authorizer's plan also refreshes its stage's own function, user pool client and signing secret. */
    const planStatements = (ws: TfcWorkspace, accountId: string) => {
      if (!ws.authorizerStage) return readStatements.get(accountId)!;
      const eph = config.ephemeral!;
      const stable = eph.stableStages![ws.authorizerStage];
      const ownDataReads = authorizerOwnDataReads({ partition: this.partition, region: config.region, accountId, stage: ws.authorizerStage, project: eph.project, cognito: stable.cognito ?? eph.cognito });
      return platformReadRoleStatements({ ...accountReadScope(config, this.partition, accountId), ownDataReads });
    };
    for (const ws of workspaces) {
      for (const c of ws.credentials.filter((c) => c.madeBy === "tfc")) {
        const scope = { partition: this.partition, accountId: c.accountId, hostname: backend.hostname, organization: backend.organization, project: backend.project };
        for (const phase of RUN_PHASES) {
          // A plan reads what the GitLab pipelines' read role of the account reads, and no data: a
          // pull request's speculative plan runs the pull request's code with this role.
          const role = new PolicyRole(this, `${ws.name}-${c.accountId}-${phase}`, {
            provider: providerIn(c.accountId),
            roleName: tfcRoleNames(ws.name).find((n) => n.phase === phase)!.name,
            path: TFC_ROLE_PATH,
            trust: [tfcRunTrust(scope, ws.name, phase)],
            statements: phase === "apply" ? runIdentitiesUnchangeable(scope) : planStatements(ws, c.accountId),
            managedPolicyArns: tfcManagedPolicies(this.partition, phase),
            dependsOn: [oidc.get(c.accountId)!],
          });
          if (phase === "plan") skipReadRoleChecks(role);
          ((roleArns[ws.name] ??= {})[c.accountId] ??= {})[phase] = role.role.arn;
        }
      }
    }

    // HCP Terraform: the workspaces, in the platform's project.
    new TfeProvider(this, "tfe", { hostname: backend.hostname, organization: backend.organization });
    const project = new DataTfeProject(this, "project", { name: backend.project, organization: backend.organization });
    // Workspaces the CLI creates in the project run where the CLI runs: the tfc stack's own, and the
    // ephemeral template's stage workspaces (which get no dynamic credentials).
    new ProjectSettings(this, "project-settings", { projectId: project.id, defaultExecutionMode: "local" });
    const made = new Map<string, Workspace>();
    for (const ws of workspaces) made.set(ws.name, this.workspace(config, backend, project.id, ws, terraformVersion));
    for (const ws of workspaces) {
      for (const source of ws.sources) {
        const from = made.get(source);
        if (!from) throw new Error(`Workspace ${ws.name} reads ${source}, which is not a workspace of this config.`);
        new RunTrigger(this, `${ws.name}-after-${source}`, { workspaceId: made.get(ws.name)!.id, sourceableId: from.id });
      }
    }

    new TerraformOutput(this, "workspace_ids", {
      value: Object.fromEntries([...made].map(([name, w]) => [name, w.id])),
      description: "The HCP Terraform workspace of each stack, by stack name.",
    });
    new TerraformOutput(this, "run_role_arns", {
      value: roleArns,
      description: "The plan and apply roles of each platform workspace, by workspace and account.",
    });
    new TerraformOutput(this, "oidc_provider_arns", {
      value: Object.fromEntries([...oidc].map(([account, p]) => [account, p.arn])),
      description: `The ${backend.hostname} OIDC provider of each account.`,
    });
  }

  private workspace(config: PlatformConfig, backend: Extract<PlatformConfig["backend"], { kind: "cloud" }>, projectId: string, ws: TfcWorkspace, terraformVersion: string): Workspace {
    const vcs = backend.vcs;
    const workspace = new Workspace(this, `workspace-${ws.name}`, {
      name: ws.name,
      organization: backend.organization,
      projectId,
      description: `${PLATFORM} stack ${ws.name}, synthesized from ${config.organisation}'s platform config.`,
      workingDirectory: ws.workingDirectory,
      terraformVersion,
      autoApply: backend.autoApply,
      autoApplyRunTrigger: backend.autoApply,
      // A new workspace waits: stacks are first applied in order (docs/terraform-cloud.md).
      queueAllRuns: false,
      ...(vcs
        ? {
            fileTriggersEnabled: true,
            triggerPatterns: [`${ws.workingDirectory}/**`],
            vcsRepo: { identifier: vcs.identifier, branch: vcs.branch, oauthTokenId: vcs.oauthTokenId, githubAppInstallationId: vcs.githubAppInstallationId },
          }
        : {}),
    });
    // No workspace reads another's state: stacks meet through the contract's SSM parameters only.
    new WorkspaceSettings(this, `settings-${ws.name}`, { workspaceId: workspace.id, executionMode: "remote", globalRemoteState: false });
    for (const c of ws.credentials) {
      for (const [key, value] of Object.entries(credentialVariables(c))) {
        new Variable(this, `${ws.name}-${key}`, {
          workspaceId: workspace.id,
          category: "env",
          key,
          value,
          description: `Dynamic AWS credentials of ${c.tag ? `the provider aliased ${c.tag.toLowerCase()}` : "the default provider"} (account ${c.accountId}).`,
        });
      }
    }
    return workspace;
  }
}
