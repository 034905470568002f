import { IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { PLATFORM } from "./naming";

/** The tags every taggable resource carries; IAM conditions of the tenant boundary read them. */
export interface MandatoryTags {
  /** Always `apps-platform`. */
  readonly platform: string;
  /** The tenant: a service slug, or `apps-platform` for the platform's own resources. */
  readonly app: string;
  /** The stage, or `global` for stage-less stacks. */
  readonly env: string;
  /** Always `terraform`. */
  readonly managedBy: string;
}

export const MANDATORY_TAG_KEYS = ["platform", "app", "env", "managedBy"] as const;

export function mandatoryTags(app: string, env: string): MandatoryTags {
  return { platform: PLATFORM, app, env, managedBy: "terraform" };
}

interface Taggable {
  tags?: Record<string, string>;
  readonly tagsInput?: Record<string, string>;
}

/** True for resources whose Terraform schema has a `tags` argument. */
export function isTaggable(node: IConstruct): node is TerraformResource & Taggable {
  return TerraformResource.isTerraformResource(node) && "tagsInput" in node;
}

/**
 * Puts the mandatory tags on every taggable resource of the scope it is added to.
 *
 * Other explicit tags a construct sets are kept. The mandatory keys always win: a construct cannot
 * label a resource as another tenant's, because the deploy roles' tag conditions would then let that
 * tenant manage it. Tags go on each resource rather than into the provider's `default_tags` so that
 * they appear in the plan of every resource and in the `aws:RequestTag` keys of its create call.
 */
export class MandatoryTagsAspect implements IAspect {
  constructor(private readonly tags: MandatoryTags | Record<string, string>) {}

  visit(node: IConstruct): void {
    if (!isTaggable(node)) return;
    node.tags = { ...(node.tagsInput ?? {}), ...this.tags };
  }
}
