import { Construct } from "constructs";
import { Aspects, IAspect, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BackendDescription, S3StateStore, StateLocation, configureBackend, configureLocalBackend, workspaceBoundRegion } from "../src/backend";
import { PlatformConfig } from "../src/config/schema";
import { partitionOf } from "../src/config/regions";
import { MandatoryTagsAspect, mandatoryTags } from "../src/tagging";
import { credentialTag } from "../src/tfc/workspaces";

export interface PlatformStackProps {
  readonly config: PlatformConfig;
  /** The stack kind, first part of its state key. */
  readonly kind: string;
  /** The unit within the kind (a stage or a slug), second part of its state key. */
  readonly unit: string;
  /** The stage the stack belongs to; it is also its workspace. @default none: workspace `default`, tag env=global */
  readonly stage?: string;
  /** The tenant the stack's resources belong to, its `app` tag. */
  readonly app: string;
  /** Keep state in this store instead of the platform's. @default the platform's backend */
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
 * The Terraform versions every stack accepts, as `terraform.required_version`. 1.11 is the first
 * release in which the S3 backend's `use_lockfile` (state locking by a lock object in the bucket,
 * which every S3-backed stack sets) is generally available: 1.10 has it only as an experiment and
 * earlier releases refuse the argument, so an older Terraform must fail at `init` with a version
 * message rather than lock differently from everyone else. Below 2.0, so a future major version is
 * a decision, not an accident. The pinned version in .terraform-version (what CI and the scripts
 * run) lies in this range; test/stacks/platform-stack.test.ts checks that.
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

/** Raised at synth for outputs without a description; names the stack, each output, and what to add. */
export class OutputDescriptionError extends Error {
  constructor(readonly outputs: readonly UndescribedOutput[]) {
    super(
      outputs
        .map(
          (o) =>
            `stack ${o.stack}: output "${o.name}" (${o.path}) has no description; every output needs one: ` +
            `new TerraformOutput(this, "${o.id}", { value: ..., description: "<what the value is and who reads it>" })`,
        )
        .join("\n"),
    );
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

/**
 * Gives every AWS provider the run's dynamic credentials as they are: the role of the run's phase in
 * the provider's account, with no role assumed on top of it. A plan and an apply of one run use the
 * same configuration, so a role chained to here would be reached from both phases; only the phase's
 * own credential tells them apart. The default provider takes the default configuration from the run's
 * environment; a provider with an alias takes the configuration tagged with it
 * (`TFC_AWS_PLAN_ROLE_ARN_<TAG>`, see src/tfc/workspaces.ts) through `tfc_aws_dynamic_credentials`.
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

/** A stack with the platform's backend, workspace guard and mandatory tags. Every stack extends it. */
export class PlatformStack extends TerraformStack {
  public readonly config: PlatformConfig;
  public readonly partition: string;
  public readonly backendDescription: BackendDescription;
  /** Files written next to the stack's configuration (a Lambda package), by name. */
  public readonly files = new Map<string, Buffer>();

  constructor(scope: Construct, name: string, props: PlatformStackProps) {
    super(scope, name);
    this.config = props.config;
    this.partition = partitionOf(props.config.region);
    const location: StateLocation = {
      stackName: name,
      kind: props.kind,
      unit: props.unit,
      workspace: props.workspacePattern ? "<stage>" : (props.stage ?? "default"),
      workspacePattern: props.workspacePattern,
    };
    this.backendDescription = props.localState
      ? configureLocalBackend(this, location)
      : configureBackend(this, props.config.backend, props.config.region, location, props.stateStore);
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
    Aspects.of(this).add(new MandatoryTagsAspect(mandatoryTags(props.app, props.envTag ?? props.stage ?? "global")));
    // With S3 state one working directory serves every workspace, so even a destroy must refuse the
    // wrong one; a named Terraform Cloud workspace cannot be switched.
    if (props.localState || props.config.backend.kind === "s3") {
      Aspects.of(this).add(new WorkspaceBoundProviders(location, props.config.region));
    } else if (!props.runsLocally) {
      Aspects.of(this).add(new DynamicCredentialProviders(this));
    }
  }

  /** Terraform settings CDKTF's HCL renderer drops (it writes their names, not their values), for repairHcl. */
  get terraformSettings(): Record<string, string> {
    return { required_version: REQUIRED_TERRAFORM_VERSION };
  }

  /**
   * Refuses, at synth, an output without a description: the check runs wherever the stack is
   * synthesized (npm run synth, Testing.synth), so an output added later cannot skip it.
   */
  public toTerraform(): any {
    const missing = this.undescribedOutputs();
    if (missing.length > 0) throw new OutputDescriptionError(missing);
    return super.toTerraform();
  }

  /** The stack's outputs without a description (synth checks every stack first, to name them all at once). */
  public undescribedOutputs(): UndescribedOutput[] {
    return this.node
      .findAll()
      .filter((c): c is TerraformOutput => TerraformOutput.isTerraformOutput(c))
      .filter((o) => (o.description ?? "").trim() === "")
      .map((o) => ({ stack: this.node.id, name: o.friendlyUniqueId, id: o.node.id, path: o.node.path }));
  }
}
