import { Aspects, IAspect, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BackendDescription, BackendOptions, S3StateStore, StateLocation, configureBackend, configureLocalBackend, workspaceBoundRegion } from "../backend";
import { ValidationError } from "../errors";
import { partitionOf } from "../naming";
import { MandatoryTagsAspect, mandatoryTags } from "../tagging";

/**
 * The Terraform versions every stack accepts, as `terraform.required_version`. 1.11 is the first
 * release in which the S3 backend's `use_lockfile` (state locking by a lock object in the bucket,
 * which every S3-backed stack sets) is generally available: 1.10 has it only as an experiment and
 * earlier releases refuse the argument, so an older Terraform must fail at `init` with a version
 * message rather than lock differently from everyone else. Below 2.0, so a future major version is
 * a decision, not an accident.
 */
export const REQUIRED_TERRAFORM_VERSION = ">= 1.11, < 2.0";

/** An output of a stack, as the description check reports it. */
export interface UndescribedOutput {
  /** The stack it belongs to. */
  readonly stack: string;
  /** Its name in the Terraform configuration. */
  readonly name: string;
  /** The id it was created with, `new TerraformOutput(scope, id, ...)`. */
  readonly id: string;
  /** Its construct path, to find where it is created. */
  readonly path: string;
}

/**
 * The ValidationError raised at synth for outputs without a description: one problem per output,
 * naming its stack, its path and what to add. Its message is the problems, one a line, as synth prints
 * them (without the count a ValidationError starts with).
 */
export class OutputDescriptionError extends ValidationError {
  constructor(readonly outputs: readonly UndescribedOutput[]) {
    const problems = outputs.map(
      (o) =>
        `stack ${o.stack}: output "${o.name}" (${o.path}) has no description; every output needs one: ` +
        `new TerraformOutput(this, "${o.id}", { value: ..., description: "<what the value is and who reads it>" })`,
    );
    super(problems);
    this.message = problems.join("\n");
    this.name = "OutputDescriptionError";
  }
}

/** Points every AWS provider's region through the workspace check (see workspaceBoundRegion). */
class WorkspaceBoundProviders implements IAspect {
  constructor(
    private readonly location: StateLocation,
    private readonly region: string,
  ) {}
  visit(node: IConstruct): void {
    if (node instanceof AwsProvider) node.region = workspaceBoundRegion(this.location, this.region);
  }
}

/** The variable HCP Terraform sets to the credentials of each tagged dynamic-credentials configuration. */
export const DYNAMIC_CREDENTIALS_VARIABLE = "tfc_aws_dynamic_credentials";

/** The tag of the dynamic-credentials configuration an aliased provider uses (`TFC_AWS_PLAN_ROLE_ARN_<TAG>`). */
export function credentialTag(providerAlias: string): string {
  return providerAlias.toUpperCase();
}

/**
 * Gives every AWS provider the run's dynamic credentials as they are: the role of the run's phase in
 * the provider's account, with no role assumed on top of it. A plan and an apply of one run use the
 * same configuration, so a role chained to here would be reached from both phases; only the phase's
 * own credential tells them apart. The default provider takes the default configuration from the run's
 * environment; a provider with an alias takes the configuration tagged with it through
 * `tfc_aws_dynamic_credentials`.
 */
class DynamicCredentialProviders implements IAspect {
  private variable?: TerraformVariable;
  constructor(private readonly stack: TerraformStack) {}
  visit(node: IConstruct): void {
    if (!(node instanceof AwsProvider)) return;
    node.resetAssumeRole();
    if (!node.alias) return;
    this.variable ??= new TerraformVariable(this.stack, DYNAMIC_CREDENTIALS_VARIABLE, {
      type: "object({ default = object({ shared_config_file = string }), aliases = map(object({ shared_config_file = string })) })",
      description: "Set by HCP Terraform in each run: the shared config file of each dynamic AWS credentials configuration.",
    });
    node.sharedConfigFiles = [`\${var.${DYNAMIC_CREDENTIALS_VARIABLE}.aliases[${JSON.stringify(credentialTag(node.alias))}].shared_config_file}`];
  }
}

export interface AppsPlatformStackProps {
  /** The AWS Region the stack's providers and its S3 state live in. */
  readonly region: string;
  /** Where state lives: S3 (the platform's or `stateStore`) or HCP Terraform. Ignored with `localState`. */
  readonly backend: BackendOptions;
  /** The stack kind, first part of its state key (`service`, `environment`, ...). */
  readonly kind: string;
  /** The unit within the kind (a stage or a slug), second part of its state key. */
  readonly unit: string;
  /** The stage the stack belongs to; it is also its workspace. @default none: workspace `default`, tag env=global */
  readonly stage?: string;
  /** The tenant the stack's resources belong to, their `app` tag. */
  readonly app: string;
  /** Keep S3 state in this store instead of `backend`'s bucket (a service's own bucket). @default the backend's bucket */
  readonly stateStore?: S3StateStore;
  /** Keep state in a local file (only the stack that creates the state bucket). @default false */
  readonly localState?: boolean;
  /** A template planned once per stage: its workspace must match this pattern. @default a fixed workspace */
  readonly workspacePattern?: string;
  /** The env tag, when it is not the stage. @default the stage, or "global" */
  readonly envTag?: string;
  /**
   * With the cloud backend: the stack is run where `terraform` is started (a workspace with local
   * execution), with the operator's credentials, rather than remotely with dynamic credentials.
   * @default false
   */
  readonly runsLocally?: boolean;
}

/**
 * A stack with the platform's backend, workspace guard, mandatory tags, Terraform version range and
 * described outputs. With S3 state one working directory serves every workspace, so every AWS
 * provider's region refuses any workspace but the stack's own (even for a destroy); a named HCP
 * Terraform workspace cannot be switched, and its providers take the run's dynamic credentials.
 */
export class AppsPlatformStack extends TerraformStack {
  /** The AWS partition of the stack's region. */
  public readonly partition: string;
  /** What the backend resolved to. */
  public readonly backendDescription: BackendDescription;
  /** Files to write next to the stack's configuration (a Lambda package), by name. */
  public readonly files = new Map<string, Buffer>();

  constructor(scope: Construct, name: string, props: AppsPlatformStackProps) {
    super(scope, name);
    this.partition = partitionOf(props.region);
    const location: StateLocation = {
      stackName: name,
      kind: props.kind,
      unit: props.unit,
      workspace: props.workspacePattern ? "<stage>" : (props.stage ?? "default"),
      workspacePattern: props.workspacePattern,
    };
    this.backendDescription = props.localState
      ? configureLocalBackend(this, location)
      : configureBackend(this, props.backend, props.region, location, props.stateStore);
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
    Aspects.of(this).add(new MandatoryTagsAspect(mandatoryTags(props.app, props.envTag ?? props.stage ?? "global")));
    if (props.localState || props.backend.kind === "s3") {
      Aspects.of(this).add(new WorkspaceBoundProviders(location, props.region));
    } else if (!props.runsLocally) {
      Aspects.of(this).add(new DynamicCredentialProviders(this));
    }
  }

  /** Terraform settings CDKTF's HCL renderer drops (it writes their names, not their values). */
  get terraformSettings(): Record<string, string> {
    return { required_version: REQUIRED_TERRAFORM_VERSION };
  }

  /**
   * Refuses, at synth, an output without a description: the check runs wherever the stack is
   * synthesized (`cdktf synth`, `Testing.synth`), so an output added later cannot skip it.
   */
  public toTerraform(): any {
    const missing = this.undescribedOutputs();
    if (missing.length > 0) throw new OutputDescriptionError(missing);
    return super.toTerraform();
  }

  /** The stack's outputs without a description. */
  public undescribedOutputs(): UndescribedOutput[] {
    return this.node
      .findAll()
      .filter((c): c is TerraformOutput => TerraformOutput.isTerraformOutput(c))
      .filter((o) => (o.description ?? "").trim() === "")
      .map((o) => ({ stack: this.node.id, name: o.friendlyUniqueId, id: o.node.id, path: o.node.path }));
  }
}
