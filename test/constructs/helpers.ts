import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { ValidationError } from "@acme/apps-platform-constructs/errors";
import { TfJson, resourcesOf } from "../helpers";

/** The synthesized JSON of a plain stack holding what `build` puts in it. */
export function synthWith(build: (stack: TerraformStack) => unknown): TfJson {
  const stack = new TerraformStack(Testing.app(), "test");
  build(stack);
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** A fresh plain stack to build into. */
export function emptyStack(id = "test"): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

/** The ValidationError `f` throws; fails the test when it throws nothing or something else. */
export function validationError(f: () => unknown): ValidationError {
  try {
    f();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw new Error(`expected a ValidationError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  throw new Error("expected a ValidationError, nothing was thrown");
}

/** The one resource of a type; fails when there are none or several. */
export function one(json: TfJson, type: string): Record<string, any> {
  const all = resourcesOf(json, type) as Record<string, any>[];
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The resources of a type, by logical id. */
export function byId(json: TfJson, type: string): Record<string, Record<string, any>> {
  return (json.resource?.[type] ?? {}) as Record<string, Record<string, any>>;
}

/** The parsed policy document of a resource's policy attribute. */
export function policyOf(resource: Record<string, any>, attribute = "policy"): { Statement: Record<string, any>[] } {
  return JSON.parse(resource[attribute]);
}

/** A child construct scope, for constructs that must not be the stack itself. */
export function scopeIn(stack: TerraformStack, id = "scope"): Construct {
  return new Construct(stack, id);
}
