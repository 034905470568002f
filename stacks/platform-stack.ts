import { Construct } from "constructs";
import { Aspects, IAspect, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BackendDescription, S3StateStore, StateLocation, configureBackend, configureLocalBackend, workspaceBoundRegion } from "../src/backend";
import { PlatformConfig } from "../src/config/schema";
import { partitionOf } from "../src/config/regions";
import { MandatoryTagsAspect, mandatoryTags } from "../src/tagging";

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
    Aspects.of(this).add(new MandatoryTagsAspect(mandatoryTags(props.app, props.envTag ?? props.stage ?? "global")));
    // With S3 state one working directory serves every workspace, so even a destroy must refuse the
    // wrong one; a named Terraform Cloud workspace cannot be switched.
    if (props.localState || props.config.backend.kind === "s3") {
      Aspects.of(this).add(new WorkspaceBoundProviders(location, props.config.region));
    }
  }
}
