import { isObject, str } from "../config/raw";
import { LimitedName, PLATFORM, roleArn, stackNames } from "@acme/apps-platform-constructs/naming";

/** The two phases of an HCP Terraform run; each gets a workload identity token of its own. */
export const RUN_PHASES = ["plan", "apply"] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** The `aud` of the runs' workload identity tokens for AWS: HCP Terraform's default. */
export const TFC_AWS_AUDIENCE = "aws.workload.identity";

/** The IAM path of the roles the tfc stack makes for the platform's workspaces. */
export const TFC_ROLE_PATH = `/${PLATFORM}/tfc/`;

/** The name of the tfc stack, which is also its (local-execution) workspace. */
export const TFC_STACK = "tfc";

/** The names of a platform workspace's plan and apply roles. */
export function tfcRoleNames(workspace: string): (LimitedName & { phase: RunPhase })[] {
  return RUN_PHASES.map((phase) => ({ what: `${phase} role name`, name: `tfc-${workspace}-${phase}`, limit: 64, phase }));
}

export function tfcRoleArn(partition: string, accountId: string, workspace: string, phase: RunPhase): string {
  return roleArn(partition, accountId, TFC_ROLE_PATH, tfcRoleNames(workspace).find((n) => n.phase === phase)!.name);
}

/**
 * The `sub` of a run's workload identity token, as HCP Terraform builds it. Trust policies compare it
 * whole (StringEquals): every part is a name HCP Terraform keeps unique within its parent, and no
 * name can hold a `:`, so no other workspace, project, organization or phase has this subject.
 */
export function tfcSubject(organization: string, project: string, workspace: string, phase: RunPhase): string {
  return `organization:${organization}:project:${project}:workspace:${workspace}:run_phase:${phase}`;
}

/**
 * The workspace names of a raw config whose role names may outgrow IAM's limit, with the field that
 * makes them: only a fleet tenant's (`tenant-<id>-<stage>`) can, since ids and stages are both long.
 */
export function tfcWorkspaceNamesOf(raw: Record<string, unknown>): { path: (string | number)[]; name: string; given: string }[] {
  const fleet = isObject(raw.fleet) ? raw.fleet : undefined;
  if (!fleet || !Array.isArray(fleet.tenants)) return [];
  const all = isObject(fleet.stages) ? Object.keys(fleet.stages) : [];
  return fleet.tenants.flatMap((t: unknown, i: number) => {
    const id = isObject(t) ? str(t.id) : undefined;
    if (id === undefined || !isObject(t)) return [];
    const stages = Array.isArray(t.stages) ? t.stages.filter((s): s is string => typeof s === "string") : all;
    return stages.map((stage) => ({ path: ["fleet", "tenants", i, "id"], name: stackNames.tenant(id, stage), given: id }));
  });
}
