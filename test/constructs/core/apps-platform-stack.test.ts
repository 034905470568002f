import { TerraformOutput, Testing } from "cdktf";
import { Construct } from "constructs";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { AccountProvider, AppsPlatformStack, AppsPlatformStackProps, OutputDescriptionError, REQUIRED_TERRAFORM_VERSION } from "@acme/apps-platform-constructs/core";
import { ValidationError } from "@acme/apps-platform-constructs/errors";
import { TfJson } from "../../helpers";

const s3 = { kind: "s3", bucket: "acme-apps-platform-tfstate", lockTable: "acme-apps-platform-tflock", kmsKeyId: "alias/apps-platform/tfstate" } as const;
const base: AppsPlatformStackProps = { region: "eu-central-1", backend: s3, kind: "service", unit: "orders", stage: "dev", app: "orders" };

/** A stack with one provider and one taggable resource, synthesized. */
function synth(props: Partial<AppsPlatformStackProps> = {}, tags: Record<string, string> = {}): { stack: AppsPlatformStack; json: TfJson } {
  const stack = new AppsPlatformStack(Testing.app(), "service-orders-dev", { ...base, ...props });
  new AccountProvider(stack, "account", { region: "eu-central-1", partition: "aws", accountId: "222222222222", roleName: "apps-platform-provisioner" });
  new SsmParameter(stack, "parameter", { name: "/x", type: "String", value: "v", tags });
  return { stack, json: JSON.parse(Testing.synth(stack)) as TfJson };
}

const parameterTags = (json: TfJson) => (json.resource!.aws_ssm_parameter.parameter as { tags: Record<string, string> }).tags;

describe("AppsPlatformStack", () => {
  it("keeps S3 state under <kind>/<unit>/, encrypted with the state key, locked with a lock file and the lock table, one workspace per stage", () => {
    const { json, stack } = synth();
    expect(json.terraform.backend!.s3).toEqual({
      bucket: s3.bucket,
      key: "service/orders/terraform.tfstate",
      region: "eu-central-1",
      encrypt: true,
      kms_key_id: s3.kmsKeyId,
      dynamodb_table: s3.lockTable,
      use_lockfile: true,
      workspace_key_prefix: "env",
    });
    expect(stack.backendDescription).toEqual({ kind: "s3", location: "s3://acme-apps-platform-tfstate/service/orders/terraform.tfstate", workspace: "dev" });
  });

  it("locks with only what the backend options ask for", () => {
    const { json } = synth({ backend: { ...s3, useLockfile: false, dynamodbLock: false } });
    expect(json.terraform.backend!.s3.use_lockfile).toBeUndefined();
    expect(json.terraform.backend!.s3.dynamodb_table).toBeUndefined();
  });

  it("keeps state in a store of its own when given one (a service's bucket)", () => {
    const { json } = synth({ stateStore: { bucket: "acme-orders-tfstate", lockTable: "acme-orders-tflock", kmsKeyId: "alias/apps-platform/orders/tfstate" } });
    expect(json.terraform.backend!.s3).toMatchObject({ bucket: "acme-orders-tfstate", dynamodb_table: "acme-orders-tflock", kms_key_id: "alias/apps-platform/orders/tfstate" });
  });

  it("refuses a plan in any workspace but its stage's, even a destroy (through every provider's region)", () => {
    const { json } = synth();
    const guard = (json.resource!.terraform_data.workspace_guard as any).lifecycle.precondition[0];
    expect(guard.condition).toBe('${terraform.workspace == "dev"}');
    expect(guard.error_message).toBe('This configuration is synthesized for workspace "dev" and must not be planned in another one. Run: terraform workspace select -or-create dev');
    expect((json.provider!.aws[0] as any).region).toBe(
      '${terraform.workspace == "dev" || terraform.workspace == "default" ? "eu-central-1" : file("Wrong workspace for this configuration: run terraform workspace select -or-create dev")}',
    );
  });

  it("accepts a template's workspace by pattern, never default", () => {
    const { json, stack } = synth({ stage: undefined, workspacePattern: "^[a-z0-9-]{1,32}$", envTag: "${terraform.workspace}" });
    expect((json.resource!.terraform_data.workspace_guard as any).lifecycle.precondition[0].condition).toBe(
      '${can(regex("^[a-z0-9-]{1,32}$", terraform.workspace)) && terraform.workspace != "default"}',
    );
    expect(stack.backendDescription.workspace).toBe("<stage>");
    expect(parameterTags(json).env).toBe("${terraform.workspace}");
  });

  it("keeps the state bucket's own stack on local state, still guarded", () => {
    const { json, stack } = synth({ localState: true, stage: undefined });
    expect(json.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
    expect(stack.backendDescription).toEqual({ kind: "local", location: "terraform.tfstate", workspace: "default" });
    expect((json.resource!.terraform_data.workspace_guard as any).lifecycle.precondition[0].condition).toBe('${terraform.workspace == "default"}');
  });

  it("runs in a named HCP Terraform workspace with the run's dynamic credentials, assuming no role on top", () => {
    const stack = new AppsPlatformStack(Testing.app(), "service-orders-dev", { ...base, backend: { kind: "cloud", organization: "acme", project: "apps" } });
    new AccountProvider(stack, "default-account", { region: "eu-central-1", partition: "aws", accountId: "222222222222", roleName: "apps-platform-provisioner" });
    new AccountProvider(stack, "other-account", { region: "eu-central-1", partition: "aws", accountId: "333333333333", roleName: "apps-platform-provisioner", alias: "prod" });
    const json = JSON.parse(Testing.synth(stack)) as TfJson;
    expect(json.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "service-orders-dev", project: "apps" } });
    expect(json.terraform.backend).toBeUndefined();
    const [first, second] = json.provider!.aws as any[];
    expect(first.assume_role).toBeUndefined();
    expect(second.assume_role).toBeUndefined();
    expect(second.shared_config_files).toEqual(['${var.tfc_aws_dynamic_credentials.aliases["PROD"].shared_config_file}']);
    expect(json.resource?.terraform_data).toBeUndefined();
  });

  it("keeps the providers' roles when the HCP Terraform workspace runs locally", () => {
    const stack = new AppsPlatformStack(Testing.app(), "tfc", { ...base, stage: undefined, backend: { kind: "cloud", organization: "acme", project: "apps" }, runsLocally: true });
    new AccountProvider(stack, "account", { region: "eu-central-1", partition: "aws", accountId: "222222222222", roleName: "apps-platform-provisioner" });
    const json = JSON.parse(Testing.synth(stack)) as TfJson;
    expect((json.provider!.aws[0] as any).assume_role[0].role_arn).toContain("apps-platform-provisioner");
    expect(json.variable?.tfc_aws_dynamic_credentials).toBeUndefined();
  });

  it("puts the mandatory tags on every taggable resource; they win over a construct's own, other tags stay", () => {
    const { json } = synth({}, { app: "someone-else", env: "prod", Name: "parameter" });
    expect(parameterTags(json)).toEqual({ Name: "parameter", platform: "apps-platform", app: "orders", env: "dev", managedBy: "terraform" });
  });

  it("tags a stage-less stack env=global", () => {
    expect(parameterTags(synth({ stage: undefined }).json).env).toBe("global");
  });

  it("asks for a Terraform that locks S3 state with a lock file", () => {
    expect(synth().json.terraform.required_version).toBe(REQUIRED_TERRAFORM_VERSION);
    expect(REQUIRED_TERRAFORM_VERSION).toBe(">= 1.11, < 2.0");
  });

  it("refuses, at synth, every output without a description, as one ValidationError naming each", () => {
    const stack = new AppsPlatformStack(Testing.app(), "service-x-dev", base);
    new TerraformOutput(stack, "described", { value: "v", description: "Has one." });
    new TerraformOutput(stack, "naked", { value: "v" });
    new TerraformOutput(new Construct(stack, "part"), "blank", { value: "v", description: " " });
    let error: unknown;
    try {
      Testing.synth(stack);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OutputDescriptionError);
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as OutputDescriptionError;
    expect(e.outputs.map((o) => o.id)).toEqual(["naked", "blank"]);
    expect(e.problems).toHaveLength(2);
    expect(e.message.split("\n")).toEqual(e.problems);
    expect(e.problems[0]).toBe(
      'stack service-x-dev: output "naked" (service-x-dev/naked) has no description; every output needs one: new TerraformOutput(this, "naked", { value: ..., description: "<what the value is and who reads it>" })',
    );
    expect(stack.undescribedOutputs().map((o) => o.path)).toEqual(["service-x-dev/naked", "service-x-dev/part/blank"]);
  });

  it("derives its partition from its region", () => {
    expect(new AppsPlatformStack(Testing.app(), "a", { ...base, region: "us-gov-west-1" }).partition).toBe("aws-us-gov");
    expect(new AppsPlatformStack(Testing.app(), "b", { ...base, region: "cn-north-1" }).partition).toBe("aws-cn");
    expect(new AppsPlatformStack(Testing.app(), "c", base).partition).toBe("aws");
  });
});
