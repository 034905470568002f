import { IConstruct } from "constructs";
import { TerraformResource, TerraformStack } from "cdktf";

/**
 * Policy-scanner findings the platform accepts on purpose. Each is written into the generated HCL as
 * a `# checkov:skip=<check>: <reason>` comment inside the resource it concerns, so a reviewer sees the
 * reason next to the resource, and checkov honours it.
 */
const METADATA_TYPE = "apps-platform:checkov-skip";

/** A scanner finding accepted on purpose, and why. */
export interface CheckSkip {
  /** The checkov check id, `CKV_AWS_18`. */
  readonly check: string;
  /** Why the finding does not apply, as a reviewer reads it beside the resource. */
  readonly reason: string;
}

export function skipCheck(resource: IConstruct, check: string, reason: string): void {
  resource.node.addMetadata(METADATA_TYPE, { check, reason } satisfies CheckSkip);
}

/** The skips of every resource of a stack, keyed by `<type>.<logical id>`. */
export function checkSkipsOf(stack: TerraformStack): Map<string, CheckSkip[]> {
  const skips = new Map<string, CheckSkip[]>();
  for (const node of stack.node.findAll()) {
    if (!TerraformResource.isTerraformResource(node)) continue;
    const own = node.node.metadata.filter((m) => m.type === METADATA_TYPE).map((m) => m.data as CheckSkip);
    if (own.length > 0) skips.set(`${node.terraformResourceType}.${stack.getLogicalId(node)}`, own);
  }
  return skips;
}

/** Inserts each resource's skip comments as the first lines of its block. */
export function withSkipComments(hcl: string, skips: Map<string, CheckSkip[]>): string {
  if (skips.size === 0) return hcl;
  // Only the block headers are visited: a replace over the text, not a split of every line.
  return hcl.replace(/^resource "([^"\n]+)" "([^"\n]+)" \{$/gm, (line, type: string, name: string) => {
    const own = skips.get(`${type}.${name}`);
    return own ? [line, ...own.map((s) => `  # checkov:skip=${s.check}: ${s.reason}`)].join("\n") : line;
  });
}
