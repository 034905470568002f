import { TerraformResource } from "cdktf";
import { MANDATORY_TAG_KEYS, isTaggable } from "@acme/apps-platform-constructs/tagging";
import { configWith, exampleConfig, synthPlatform } from "./helpers";

/** Every taggable resource of every stack, with the tags it was synthesized with. */
function taggedResources(config = exampleConfig()) {
  const { stacks, json } = synthPlatform(config);
  return stacks.flatMap((stack) => {
    const resources = json.get(stack.node.id)!.resource ?? {};
    return stack.node
      .findAll()
      .filter((c): c is TerraformResource => TerraformResource.isTerraformResource(c) && isTaggable(c))
      .map((r) => {
        const id = stack.getLogicalId(r);
        const synthesized = resources[r.terraformResourceType][id] as { tags?: Record<string, string> };
        return { stack: stack.node.id, address: `${r.terraformResourceType}.${id}`, tags: synthesized.tags ?? {} };
      });
  });
}

describe("the mandatory tags", () => {
  it.each([
    ["the example config", exampleConfig()],
    ["a Terraform Cloud config", configWith((raw) => (raw.backend = { kind: "cloud", organization: "acme", project: "p" }))],
  ])("are on every taggable resource of every stack of %s", (_, config) => {
    const resources = taggedResources(config);
    expect(resources.length).toBeGreaterThan(20);
    const missing = resources.filter((r) => MANDATORY_TAG_KEYS.some((k) => !r.tags[k])).map((r) => `${r.stack} ${r.address}`);
    expect(missing).toEqual([]);
  });

  it("say which stage and tenant a resource belongs to", () => {
    const vpc = taggedResources().find((r) => r.stack === "environment-prod" && r.address.startsWith("aws_vpc."))!;
    expect(vpc.tags).toEqual({ Name: "apps-platform-prod", platform: "apps-platform", app: "apps-platform", env: "prod", managedBy: "terraform" });
    const bucket = taggedResources().find((r) => r.stack === "state-bootstrap" && r.address.startsWith("aws_s3_bucket."))!;
    expect(bucket.tags.env).toBe("global");
  });

  it("tag what onboarding makes in a stage account env=global, as the README says: one stack holds every stage's", () => {
    const resources = taggedResources().filter((r) => r.stack === "onboarding-payments-api");
    const stageRoles = resources.filter((r) => r.address.startsWith("aws_iam_role.") && /^aws_iam_role\.(dev|prod)-/.test(r.address));
    expect(stageRoles.length).toBeGreaterThanOrEqual(10);
    expect(new Set(resources.map((r) => r.tags.env))).toEqual(new Set(["global"]));
    expect(new Set(resources.map((r) => r.tags.app))).toEqual(new Set(["payments-api"]));
  });
});
