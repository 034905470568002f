import { createHash } from "crypto";
import * as fs from "fs";
import { checkSesIdentity } from "@acme/apps-platform-constructs/ephemeral";
import { authorizerPackage } from "@acme/apps-platform-constructs/ephemeral";
import { zip } from "../../packages/constructs/src/zip";
import { ROOT, configWith, exampleConfig, onlyResource, resourcesOf, synthPlatform } from "../helpers";
import * as path from "path";

describe("the ephemeral stack template", () => {
  const { json, stacks } = synthPlatform(exampleConfig());
  const eph = json.get("ephemeral")!;

  it("refuses to plan outside a stage workspace, saying what to run", () => {
    expect((eph.resource!.terraform_data.workspace_guard as any).lifecycle.precondition[0]).toEqual({
      condition: '${can(regex("^[a-z0-9-]{1,32}$", terraform.workspace)) && terraform.workspace != "default"}',
      error_message:
        'This template is planned once per stage, in the stage\'s workspace (a name matching ^[a-z0-9-]{1,32}$, not "default"). Run: terraform workspace select -or-create <stage>',
    });
    expect(eph.terraform.backend!.s3).toMatchObject({ key: "ephemeral/acme-dev-eu-central-1/terraform.tfstate", workspace_key_prefix: "env" });
  });

  it("names every resource after the stage, within AWS's limits for a 32-character stage", () => {
    const fn = onlyResource(eph, "aws_lambda_function");
    expect(fn.function_name).toBe("${terraform.workspace}-authorizer");
    expect(fn.function_name.replace("${terraform.workspace}", "s".repeat(32)).length).toBeLessThanOrEqual(64);
    expect(onlyResource(eph, "aws_dynamodb_table").name).toBe("${terraform.workspace}-data");
    expect(onlyResource(eph, "aws_iam_role").name.replace("${terraform.workspace}", "s".repeat(32)).length).toBeLessThanOrEqual(64);
    expect(json.get("ephemeral")!.output!.stack_name.value).toBe("acme-dev-eu-central-1-${terraform.workspace}");
  });

  it("keeps every provisioner session name within STS's 64 characters for a 32-character project and stage", () => {
    const project = `authz${"x".repeat(27)}`;
    const stable = "s".repeat(32);
    const long = synthPlatform(
      configWith((raw) => {
        raw.ephemeral.project = project;
        raw.ephemeral.stableStages = { [stable]: { stage: "dev" } };
      }),
    ).json;
    const stacks = [...long.keys()].filter((name) => name === "ephemeral" || name.startsWith("authorizer-"));
    expect(stacks.length).toBe(2);
    const sessions = stacks.flatMap((name) => (long.get(name)!.provider!.aws as any[]).flatMap((p) => p.assume_role ?? []).map((r: any) => String(r.session_name)));
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) {
      // The per-PR template's stage is its workspace, at most 32 characters (its guard above).
      const planned = session.replace("${terraform.workspace}", "w".repeat(32));
      expect(planned).toMatch(/^[\w+=,.@-]{2,64}$/);
      expect(planned.startsWith(`${project.slice(0, 31)}-`)).toBe(true);
    }
    expect(sessions).toContain(`${project.slice(0, 31)}-${stable}`);
  });

  it("has a STRICT policy store with the repository's schema and one policy per .cedar file", () => {
    expect(onlyResource(eph, "aws_verifiedpermissions_policy_store").validation_settings).toEqual([{ mode: "STRICT" }]);
    const schemaFile = fs.readFileSync(path.join(ROOT, "policies", "ephemeral", "schema.cedarschema.json"), "utf8");
    expect(JSON.parse(onlyResource(eph, "aws_verifiedpermissions_schema").definition[0].value)).toEqual(JSON.parse(schemaFile));
    const policies = resourcesOf(eph, "aws_verifiedpermissions_policy") as any[];
    expect(policies.map((p) => p.definition[0].static[0].description).sort()).toEqual(["admins.cedar", "editors.cedar", "readers.cedar", "suspended.cedar"]);
  });

  it("keeps an idle stage cheap and leaves nothing behind on destroy", () => {
    const fn = onlyResource(eph, "aws_lambda_function");
    expect(fn).toMatchObject({ reserved_concurrent_executions: 1, runtime: "nodejs20.x", handler: "index.handler" });
    expect(resourcesOf(eph, "aws_lambda_provisioned_concurrency_config")).toEqual([]);
    expect(onlyResource(eph, "aws_cloudwatch_log_group").retention_in_days).toBe(7);
    expect(onlyResource(eph, "aws_dynamodb_table")).toMatchObject({
      billing_mode: "PAY_PER_REQUEST",
      stream_enabled: false,
      point_in_time_recovery: { enabled: false },
      server_side_encryption: { enabled: true },
      deletion_protection_enabled: false,
    });
    expect(onlyResource(eph, "aws_secretsmanager_secret").recovery_window_in_days).toBe(0);
    expect(onlyResource(eph, "aws_cognito_user_pool").deletion_protection).toBe("INACTIVE");
  });

  it("generates the JWT secret with random and never outputs it", () => {
    expect(onlyResource(eph, "random_password")).toMatchObject({ length: 64, special: false });
    const outputs = JSON.stringify(eph.output);
    expect(outputs).not.toMatch(/random_password|secretsmanager_secret_version/);
    expect(Object.keys(eph.output!).sort()).toEqual([
      "authorizer_arn",
      "policy_store_id",
      "stack_name",
      "stage_created_at",
      "stage_expires_at",
      "table_name",
      "user_pool_client_id",
      "user_pool_id",
    ]);
  });

  it("tags every taggable resource with the seed's tags and the platform's", () => {
    for (const type of ["aws_lambda_function", "aws_dynamodb_table", "aws_cognito_user_pool", "aws_secretsmanager_secret"]) {
      expect(onlyResource(eph, type).tags).toEqual({
        Project: "authz",
        Stage: "${terraform.workspace}",
        Account: "acme-dev",
        Repo: "acme/authz-service",
        Owner: "platform-team",
        TTL: "${var.expires_at}",
        platform: "apps-platform",
        app: "authz",
        env: "${terraform.workspace}",
        managedBy: "terraform",
      });
    }
  });

  it("deploys the bundled authorizer by a deterministic zip whose hash the function carries", () => {
    const stack = stacks.find((s) => s.node.id === "ephemeral")!;
    const pkg = stack.files.get("authorizer.zip")!;
    expect(pkg.equals(authorizerPackage().zip)).toBe(true);
    expect(onlyResource(eph, "aws_lambda_function")).toMatchObject({
      filename: "${path.module}/authorizer.zip",
      source_code_hash: createHash("sha256").update(pkg).digest("base64"),
    });
    expect(zip({ "a.txt": Buffer.from("x") }).equals(zip({ "a.txt": Buffer.from("x") }))).toBe(true);
  });

  it("leaves Cognito out when the config says so", () => {
    const noPool = synthPlatform(configWith((raw) => (raw.ephemeral.cognito = false))).json.get("ephemeral")!;
    expect(resourcesOf(noPool, "aws_cognito_user_pool")).toEqual([]);
    expect(resourcesOf(noPool, "aws_verifiedpermissions_identity_source")).toEqual([]);
  });

  it("refuses an SES identity in another region or account than the user pool", () => {
    expect(() => checkSesIdentity("arn:aws:ses:us-east-1:222222222222:identity/acme.example", "eu-central-1", "222222222222")).toThrow(
      'ses.identityArn must be in the user pool\'s region eu-central-1, got "arn:aws:ses:us-east-1:222222222222:identity/acme.example" in us-east-1',
    );
    expect(() => checkSesIdentity("arn:aws:ses:eu-central-1:999999999999:identity/acme.example", "eu-central-1", "222222222222")).toThrow(
      "ses.identityArn must be in the user pool's account 222222222222",
    );
  });

  it("sends Cognito's mail through the given SES identity, creating none", () => {
    const withSes = synthPlatform(
      configWith((raw) => (raw.ephemeral.ses = { identityArn: "arn:aws:ses:eu-central-1:222222222222:identity/acme.example", fromAddress: "noreply@acme.example" })),
    ).json.get("ephemeral")!;
    expect(onlyResource(withSes, "aws_cognito_user_pool").email_configuration).toEqual({
      email_sending_account: "DEVELOPER",
      source_arn: "arn:aws:ses:eu-central-1:222222222222:identity/acme.example",
      from_email_address: "noreply@acme.example",
    });
    expect(Object.keys(withSes.resource!).filter((t) => t.startsWith("aws_ses"))).toEqual([]);
  });
});
