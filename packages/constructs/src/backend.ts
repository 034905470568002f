import { CloudBackend, DataResource, LocalBackend, NamedCloudWorkspace, S3Backend, TaggedCloudWorkspaces, TerraformStack } from "cdktf";

/** The S3 backend: the platform's state bucket, or the one a service's onboarding made. */
export interface S3BackendOptions {
  /** Which backend: `s3`. */
  readonly kind: "s3";
  /** The state bucket. */
  readonly bucket: string;
  /** The DynamoDB lock table, used when `dynamodbLock` is true. */
  readonly lockTable: string;
  /** The KMS key (ARN or alias) that encrypts state objects. */
  readonly kmsKeyId: string;
  /** Lock with an S3 lock file (Terraform 1.11 or later). @default true */
  readonly useLockfile?: boolean;
  /** Lock with the DynamoDB table as well. @default true */
  readonly dynamodbLock?: boolean;
}

/** HCP Terraform (Terraform Cloud): one workspace per stack. */
export interface CloudBackendOptions {
  /** Which backend: `cloud` (HCP Terraform). */
  readonly kind: "cloud";
  /** The HCP Terraform organization. */
  readonly organization: string;
  /** The project that holds the workspaces. */
  readonly project: string;
  /** The HCP Terraform or Terraform Enterprise host. @default "app.terraform.io" */
  readonly hostname?: string;
}

/** Where a stack's state lives. */
export type BackendOptions = S3BackendOptions | CloudBackendOptions;

/** Where one stack keeps its state. */
export interface StateLocation {
  /** The stack's name, which is also its Terraform Cloud workspace name. */
  readonly stackName: string;
  /** The stack kind, first part of the S3 key: `environment`, `onboarding`, `service`, … */
  readonly kind: string;
  /** The unit within the kind, second part of the S3 key: a stage or a service slug. */
  readonly unit: string;
  /** The workspace the stack must be planned in: its stage, or `default` for stage-less stacks. */
  readonly workspace: string;
  /** For a template planned once per stage: the pattern its workspace must match instead. @default none: the stack is planned in `workspace` only */
  readonly workspacePattern?: string;
}

/** An S3 state store other than the platform's own (a service's bucket, created by its onboarding). */
export interface S3StateStore {
  /** The state bucket. */
  readonly bucket: string;
  /** The DynamoDB lock table. */
  readonly lockTable: string;
  /** The KMS key (ARN or alias) that encrypts state objects. */
  readonly kmsKeyId: string;
}

/** What a stack's backend resolved to, for the synth summary and for tests. */
export interface BackendDescription {
  /** The backend the stack resolved to. */
  readonly kind: "s3" | "cloud" | "local";
  /** `s3://bucket/key`, `tfc:org/workspace` or a local path. */
  readonly location: string;
  /** The workspace the stack is planned in (`<stage>` for a per-stage template). */
  readonly workspace: string;
}

/** CDKTF 0.21 leaves a cloud workspace's `project` out of the HCL it renders (the JSON has it). */
const projectAttribute = (project: string | undefined) => (project ? { project: { value: project, type: "simple", storageClassType: "string" } } : {});
class ProjectNamedCloudWorkspace extends NamedCloudWorkspace {
  public toHclTerraform(): any {
    return { ...super.toHclTerraform(), ...projectAttribute(this.project) };
  }
}
class ProjectTaggedCloudWorkspaces extends TaggedCloudWorkspaces {
  public toHclTerraform(): any {
    return { ...super.toHclTerraform(), ...projectAttribute(this.project) };
  }
}

/** Workspaces of the S3 backend live under `<prefix>/<workspace>/<key>`. */
export const WORKSPACE_KEY_PREFIX = "env";

export function stateKey(location: StateLocation): string {
  return `${location.kind}/${location.unit}/terraform.tfstate`;
}

/**
 * Gives a stack its backend: S3 (the platform's bucket, or `store` when given) or Terraform Cloud,
 * as the config says. With S3, one working directory serves every stage through workspaces, so the
 * stack also gets a guard that fails the plan in any workspace but its own.
 */
export function configureBackend(
  stack: TerraformStack,
  backend: BackendOptions,
  region: string,
  location: StateLocation,
  store?: S3StateStore,
): BackendDescription {
  if (backend.kind === "cloud") {
    // A named workspace pins the working directory to one workspace: `terraform workspace select`
    // cannot switch it, and Terraform Cloud's remote runs see `terraform.workspace` as "default"
    // (hashicorp/terraform#22802), so a guard on it would fail every remote run.
    // A template planned once per stage selects among the workspaces tagged with its name.
    const workspaces = location.workspacePattern
      ? new ProjectTaggedCloudWorkspaces([location.stackName], backend.project)
      : new ProjectNamedCloudWorkspace(location.stackName, backend.project);
    new CloudBackend(stack, { hostname: backend.hostname, organization: backend.organization, workspaces });
    return { kind: "cloud", location: `tfc:${backend.organization}/${location.stackName}`, workspace: location.workspacePattern ? "<stage>" : location.stackName };
  }
  const bucket = store?.bucket ?? backend.bucket;
  const key = stateKey(location);
  const s3 = new S3Backend(stack, {
    bucket,
    key,
    region,
    encrypt: true,
    kmsKeyId: store?.kmsKeyId ?? backend.kmsKeyId,
    dynamodbTable: (backend.dynamodbLock ?? true) ? (store?.lockTable ?? backend.lockTable) : undefined,
    workspaceKeyPrefix: WORKSPACE_KEY_PREFIX,
  });
  // CDKTF 0.21's S3Backend predates Terraform 1.11's native S3 locking and has no property for it.
  if (backend.useLockfile ?? true) s3.addOverride("use_lockfile", true);
  addWorkspaceGuard(stack, location);
  return { kind: "s3", location: `s3://${bucket}/${key}`, workspace: location.workspace };
}

/** A local backend, for the one stack that must exist before any remote state does. */
export function configureLocalBackend(stack: TerraformStack, location: StateLocation): BackendDescription {
  new LocalBackend(stack, { path: "terraform.tfstate" });
  addWorkspaceGuard(stack, location);
  return { kind: "local", location: "terraform.tfstate", workspace: location.workspace };
}

export const WORKSPACE_GUARD_ID = "workspace_guard";

/** The command that puts a working directory into the right workspace. */
export function workspaceCommand(workspace: string): string {
  return workspace === "default" ? "terraform workspace select default" : `terraform workspace select -or-create ${workspace}`;
}

/** The HCL expression that is true in the workspace a stack belongs to. */
export function workspaceCondition(location: Pick<StateLocation, "workspace" | "workspacePattern">): string {
  return location.workspacePattern
    ? `can(regex(${JSON.stringify(location.workspacePattern)}, terraform.workspace)) && terraform.workspace != "default"`
    : `terraform.workspace == ${JSON.stringify(location.workspace)}`;
}

/**
 * A provider region that only evaluates in the stack's workspace. Resource preconditions are not
 * checked when Terraform plans a destroy, but provider configuration is: elsewhere, `file()` of the
 * instruction fails with it as the message ("no file exists at \"Wrong workspace: run ...\"").
 * `default` is let through so that `terraform validate` works before a workspace is selected; the
 * guard refuses any plan there, so it never holds state to destroy.
 */
export function workspaceBoundRegion(location: Pick<StateLocation, "workspace" | "workspacePattern">, region: string): string {
  const run = location.workspacePattern ? "terraform workspace select -or-create <stage>" : workspaceCommand(location.workspace);
  const allowed = location.workspace === "default" ? workspaceCondition(location) : `${workspaceCondition(location)} || terraform.workspace == "default"`;
  return `\${${allowed} ? ${JSON.stringify(region)} : file("Wrong workspace for this configuration: run ${run}")}`;
}

function addWorkspaceGuard(stack: TerraformStack, location: StateLocation): void {
  const { workspace, workspacePattern } = location;
  const precondition = workspacePattern
    ? {
        condition: `\${${workspaceCondition(location)}}`,
        errorMessage: `This template is planned once per stage, in the stage's workspace (a name matching ${workspacePattern}, not "default"). Run: terraform workspace select -or-create <stage>`,
      }
    : {
        condition: `\${${workspaceCondition(location)}}`,
        errorMessage: `This configuration is synthesized for workspace "${workspace}" and must not be planned in another one. Run: ${workspaceCommand(workspace)}`,
      };
  new DataResource(stack, WORKSPACE_GUARD_ID, { input: { workspace }, lifecycle: { precondition: [precondition] } });
}
