import { PlatformConfig } from "../config/schema";
import { partitionOf } from "../config/regions";
import { fleetStages } from "../fleet/model";
import { stackNames } from "@acme/apps-platform-constructs/naming";
import { onboardedStages } from "../policy/ci";
import { tenantRoleArns } from "@acme/apps-platform-constructs/policy";
import { RunPhase, tfcRoleArn } from "./names";

/**
 * One dynamic-credentials configuration of a workspace: the AWS account one of its providers works in
 * and the roles of its two phases there. HCP Terraform gives the run, in each phase, a credential of
 * that phase's role and nothing else; the stack's providers use it as it is (no role chaining).
 */
export interface CredentialConfig {
  /**
   * The configuration's tag, for a provider with an alias: the suffix of its TFC_AWS_* variables and
   * its key in the `tfc_aws_dynamic_credentials` variable. @default the default configuration
   */
  readonly tag?: string;
  readonly accountId: string;
  readonly roles: Record<RunPhase, string>;
  /** `tfc`: the tfc stack makes both roles; `onboarding`: they are the service's read and deploy roles. */
  readonly madeBy: "tfc" | "onboarding";
}

/** One HCP Terraform workspace of the platform: a generated stack, run remotely. */
export interface TfcWorkspace {
  readonly name: string;
  /** Its configuration in the repository. */
  readonly workingDirectory: string;
  /** The workspaces whose published values (SSM parameters) it reads: a run of one of them queues a run of this one. */
  readonly sources: string[];
  readonly credentials: CredentialConfig[];
  /**
   * The authorizer stage it holds (ephemeral.stableStages), whose plan refreshes that stage's own
   * function, user pool client and signing secret, which the read statements deny as data elsewhere
   * (`authorizerOwnDataReads`, docs/terraform-cloud.md). @default none: a platform stack
   */
  readonly authorizerStage?: string;
}

export { credentialTag } from "@acme/apps-platform-constructs/core";
import { credentialTag } from "@acme/apps-platform-constructs/core";

/** The provider alias onboarding gives a stage's platform account. */
export function stageProviderAlias(stage: string): string {
  return `stage_${stage.replace(/-/g, "_")}`;
}

/**
 * Every workspace the tfc stack manages, in the order the stacks are first applied: every stack of
 * the config but the tfc stack itself and the ephemeral template (see docs/terraform-cloud.md).
 */
export function tfcWorkspaces(config: PlatformConfig): TfcWorkspace[] {
  const partition = partitionOf(config.region);
  const deployment = config.deploymentAccount.accountId;
  const own = (name: string, accountId: string, tag?: string): CredentialConfig => ({
    tag,
    accountId,
    roles: { plan: tfcRoleArn(partition, accountId, name, "plan"), apply: tfcRoleArn(partition, accountId, name, "apply") },
    madeBy: "tfc",
  });
  const ws = (name: string, sources: string[], credentials: (name: string) => CredentialConfig[], authorizerStage?: string): TfcWorkspace => ({
    name,
    workingDirectory: `generated/${name}`,
    sources,
    credentials: credentials(name),
    ...(authorizerStage ? { authorizerStage } : {}),
  });
  const env = stackNames.environment;
  return [
    ws(stackNames.ciIdentity(), [], (n) => [own(n, deployment)]),
    ...Object.entries(config.stages).map(([stage, s]) => ws(env(stage), [], (n) => [own(n, s.accountId)])),
    ...config.services.map((service) => {
      const stages = onboardedStages(config, service);
      return ws(stackNames.onboarding(service.slug), stages.map(env), (n) => [
        own(n, deployment),
        ...stages.map((stage) => own(n, config.stages[stage].accountId, credentialTag(stageProviderAlias(stage)))),
      ]);
    }),
    ...config.services
      .filter((service) => service.web)
      .flatMap((service) =>
        onboardedStages(config, service).map((stage) => {
          const accountId = config.stages[stage].accountId;
          const roles = tenantRoleArns({ partition, region: config.region, accountId, slug: service.slug, stage, zoneName: config.stages[stage].zoneName });
          return ws(stackNames.service(service.slug, stage), [env(stage), stackNames.onboarding(service.slug)], () => [
            { accountId, roles: { plan: roles.read, apply: roles.deploy }, madeBy: "onboarding" },
          ]);
        }),
      ),
    // The authorizer's long-lived stages (ephemeral.stableStages), each in its hosting stage's account.
    ...Object.entries(config.ephemeral?.stableStages ?? {}).map(([name, stable]) =>
      ws(stackNames.authorizer(name), [], (n) => [own(n, config.stages[stable.stage].accountId)], name),
    ),
    ...(config.fleet ? fleetStages(config.fleet) : []).flatMap((fs) => {
      const accountId = config.stages[fs.stage].accountId;
      const fleet = stackNames.fleet(fs.stage);
      return [
        ws(fleet, [env(fs.stage)], (n) => [own(n, accountId)]),
        ...fs.tenants.map((t) => ws(stackNames.tenant(t.tenant.id, fs.stage), [env(fs.stage), fleet], (n) => [own(n, accountId)])),
      ];
    }),
  ];
}

/** The accounts any workspace works in: the deployment account and every stage's. */
export function tfcAccounts(config: PlatformConfig): string[] {
  return [...new Set([config.deploymentAccount.accountId, ...Object.values(config.stages).map((s) => s.accountId)])];
}
