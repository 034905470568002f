import * as fs from "fs";
import * as path from "path";
import { AuthorizerWithPolicyStore, AuthorizerWithPolicyStoreProps, authorizerPackage, checkSesIdentity } from "@acme/apps-platform-constructs/ephemeral";
import { ValidationError } from "@acme/apps-platform-constructs/errors";
import { ROOT, TfJson } from "../../helpers";
import { byId, emptyStack, one, policyOf, synthWith, validationError } from "../helpers";

const POLICY_DIR = path.join(ROOT, "policies", "ephemeral");
const pkg = authorizerPackage();
const base: AuthorizerWithPolicyStoreProps = {
  namePrefix: "pr-123",
  region: "eu-central-1",
  accountId: "222222222222",
  policyDir: POLICY_DIR,
  lambdaPackage: { filename: "${path.module}/authorizer.zip", sha256: pkg.sha256 },
};
const synth = (props: Partial<AuthorizerWithPolicyStoreProps> = {}) => synthWith((stack) => new AuthorizerWithPolicyStore(stack, "authorizer", { ...base, ...props }));

/** The synthesized JSON with the package's hash replaced: the snapshot is of the construct, not of the bundle's bytes. */
function normalised(json: TfJson): TfJson {
  return JSON.parse(JSON.stringify(json).split(pkg.sha256).join("<sha256 of the bundled authorizer>"));
}

describe("AuthorizerWithPolicyStore", () => {
  it("synthesizes as reviewed (the Lambda package's hash normalised)", () => {
    expect(normalised(synth())).toMatchSnapshot();
  });

  it("validates every policy against the schema: STRICT, the schema first, one policy per .cedar file", () => {
    const json = synth();
    expect(one(json, "aws_verifiedpermissions_policy_store").validation_settings).toEqual([{ mode: "STRICT" }]);
    const schema = one(json, "aws_verifiedpermissions_schema");
    expect(JSON.parse(schema.definition[0].value)).toEqual(JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "schema.cedarschema.json"), "utf8")));
    const cedar = fs.readdirSync(POLICY_DIR).filter((f) => f.endsWith(".cedar"));
    const policies = Object.values(byId(json, "aws_verifiedpermissions_policy"));
    expect(policies.map((p) => p.definition[0].static[0].description).sort()).toEqual(cedar.sort());
    for (const p of policies) expect(p.depends_on).toEqual([expect.stringMatching(/^aws_verifiedpermissions_schema\./)]);
  });

  it("names everything after the stage", () => {
    const json = synth();
    expect(one(json, "aws_lambda_function").function_name).toBe("pr-123-authorizer");
    expect(one(json, "aws_iam_role")).toMatchObject({ name: "pr-123-authorizer", path: "/apps-platform/ephemeral/" });
    expect(one(json, "aws_cloudwatch_log_group").name).toBe("/aws/lambda/pr-123-authorizer");
    expect(one(json, "aws_dynamodb_table").name).toBe("pr-123-data");
    expect(one(json, "aws_secretsmanager_secret").name).toBe("apps-platform/ephemeral/pr-123/jwt-secret");
    expect(one(json, "aws_cognito_user_pool").name).toBe("pr-123-users");
    expect(one(json, "aws_cognito_user_pool_client").name).toBe("pr-123-client");
  });

  it("costs nothing while idle and keeps nothing on destroy", () => {
    const json = synth();
    expect(one(json, "aws_lambda_function")).toMatchObject({ reserved_concurrent_executions: 1, memory_size: 256, timeout: 5, runtime: "nodejs20.x", source_code_hash: pkg.sha256 });
    expect(one(json, "aws_dynamodb_table")).toMatchObject({ billing_mode: "PAY_PER_REQUEST", stream_enabled: false, point_in_time_recovery: { enabled: false }, server_side_encryption: { enabled: true }, deletion_protection_enabled: false });
    expect(one(json, "aws_secretsmanager_secret").recovery_window_in_days).toBe(0);
    expect(one(json, "aws_cognito_user_pool").deletion_protection).toBe("INACTIVE");
    expect(one(json, "aws_cloudwatch_log_group").retention_in_days).toBe(7);
  });

  it("lets its role ask only its own policy store, read only its own secret and write only its own logs", () => {
    const json = synth();
    expect(policyOf(one(json, "aws_iam_role"), "assume_role_policy").Statement).toEqual([
      { Sid: "ServiceAssumesRoleForThisAccount", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } } },
    ]);
    const statements = policyOf(one(json, "aws_iam_role_policy")).Statement;
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ["AskThisPolicyStore", ["verifiedpermissions:IsAuthorized", "verifiedpermissions:IsAuthorizedWithToken"]],
      ["ReadTheSigningSecret", "secretsmanager:GetSecretValue"],
      ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]],
    ]);
    expect(statements[0].Resource).toMatch(/aws_verifiedpermissions_policy_store\..*\.arn/);
    expect(statements[1].Resource).toMatch(/aws_secretsmanager_secret\..*\.arn/);
  });

  it("never puts the signing secret in the function's environment or an output", () => {
    const json = synth();
    const variables = one(json, "aws_lambda_function").environment.variables;
    expect(Object.keys(variables).sort()).toEqual(["CLIENT_ID", "JWT_AUDIENCE", "JWT_ISSUER", "JWT_SECRET_ARN", "POLICY_STORE_ID", "USER_POOL_ID"]);
    expect(JSON.stringify(variables)).not.toMatch(/random_password/);
    expect(json.output).toBeUndefined();
  });

  it("goes without Cognito when told, and sends Cognito's mail through an SES identity when given one", () => {
    const without = synth({ cognito: false });
    expect(byId(without, "aws_cognito_user_pool")).toEqual({});
    expect(byId(without, "aws_verifiedpermissions_identity_source")).toEqual({});
    expect(Object.keys(one(without, "aws_lambda_function").environment.variables)).not.toContain("USER_POOL_ID");
    const ses = { identityArn: "arn:aws:ses:eu-central-1:222222222222:identity/acme.example", fromAddress: "no-reply@acme.example" };
    expect(one(synth({ ses }), "aws_cognito_user_pool").email_configuration).toEqual({ email_sending_account: "DEVELOPER", source_arn: ses.identityArn, from_email_address: ses.fromAddress });
  });

  it("puts its role under a permissions boundary when given one", () => {
    const boundary = "arn:aws:iam::222222222222:policy/apps-platform/ephemeral-provisioner/authz-authorizer-boundary";
    expect(one(synth({ permissionsBoundary: boundary }), "aws_iam_role").permissions_boundary).toBe(boundary);
    expect(one(synth(), "aws_iam_role").permissions_boundary).toBeUndefined();
  });

  it("keeps the template's workspace in its names, measured with the longest stage name a workspace may have", () => {
    expect(one(synth({ namePrefix: "${terraform.workspace}" }), "aws_lambda_function").function_name).toBe("${terraform.workspace}-authorizer");
  });

  it("refuses, with every problem at once, an SES identity elsewhere and a stage too long for its names", () => {
    const stage = "s".repeat(60);
    const error = validationError(
      () => new AuthorizerWithPolicyStore(emptyStack(), "authorizer", { ...base, namePrefix: stage, ses: { identityArn: "arn:aws:ses:us-east-1:999999999999:identity/acme.example", fromAddress: "a@acme.example" } }),
    );
    expect(error.problems).toEqual([
      `ses.identityArn must be in the user pool's region eu-central-1, got "arn:aws:ses:us-east-1:999999999999:identity/acme.example" in us-east-1`,
      `ses.identityArn must be in the user pool's account 222222222222, got "arn:aws:ses:us-east-1:999999999999:identity/acme.example" in 999999999999`,
      `namePrefix makes the authorizer function name "${stage}-authorizer" is 71 characters long; AWS allows at most 64`,
      `namePrefix makes the authorizer role name "${stage}-authorizer" is 71 characters long; AWS allows at most 64`,
    ]);
    expect(error.constructPath).toBe("test/authorizer");
  });

  it("checks an SES identity on its own too", () => {
    expect(() => checkSesIdentity("arn:aws:ses:eu-central-1:222222222222:identity/acme.example", "eu-central-1", "222222222222")).not.toThrow();
    expect(() => checkSesIdentity("arn:aws:ses:eu-west-1:222222222222:identity/acme.example", "eu-central-1", "222222222222")).toThrow(ValidationError);
  });
});

describe("authorizerPackage", () => {
  it("zips the bundled authorizer the same way every time, with its base64 SHA-256", () => {
    expect(authorizerPackage()).toBe(pkg);
    expect(pkg.sha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(pkg.zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  });
});
