import { EncryptionKey, EncryptionKeyProps } from "@acme/apps-platform-constructs/kms";
import { platformKeyPolicy } from "@acme/apps-platform-constructs/policy";
import { emptyStack, one, policyOf, synthWith, validationError } from "../helpers";

const policy = platformKeyPolicy({ partition: "aws", accountId: "222222222222", region: "eu-central-1" });
const base: EncryptionKeyProps = { alias: "alias/apps-platform/dev/platform", description: "apps-platform dev platform key", policy };

describe("EncryptionKey", () => {
  it("is a symmetric key that rotates yearly, waits 30 days before deletion and carries exactly the given policy", () => {
    const json = synthWith((stack) => new EncryptionKey(stack, "key", base));
    const key = one(json, "aws_kms_key");
    expect(key).toMatchObject({ description: base.description, enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30 });
    expect(key.customer_master_key_spec).toBeUndefined();
    expect(policyOf(key)).toEqual({ Version: "2012-10-17", Statement: policy });
    expect(one(json, "aws_kms_alias")).toEqual({ name: base.alias, target_key_id: expect.stringMatching(/^\$\{aws_kms_key\..*\.key_id\}$/) });
  });

  it("hands the key's administration to IAM in its account and denies execution roles every use outside Secrets Manager", () => {
    const statements = policyOf(one(synthWith((stack) => new EncryptionKey(stack, "key", base)), "aws_kms_key")).Statement;
    expect(statements[0]).toMatchObject({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: "kms:*" });
    expect(statements.find((s) => s.Sid === "ExecutionRolesUseKeyOnlyThroughSecretsManager")).toMatchObject({
      Effect: "Deny",
      Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/apps-platform/execution/*" }, StringNotEquals: { "kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com" } },
    });
  });

  it("exposes its ARN and alias", () => {
    const key = new EncryptionKey(emptyStack(), "key", { ...base, deletionWindowInDays: 7 });
    expect(key.arn).toMatch(/^\$\{TfToken/);
    expect(key.aliasName).toBe(base.alias);
  });

  it.each([
    ["an alias without alias/", { alias: "apps-platform/dev" }, 'alias must be "alias/" and 1 to 250 letters, digits, "/", "_" or "-", not under "alias/aws/", got "apps-platform/dev"'],
    ["an alias under AWS's own", { alias: "alias/aws/s3" }, 'alias must be "alias/" and 1 to 250 letters, digits, "/", "_" or "-", not under "alias/aws/", got "alias/aws/s3"'],
    ["a deletion window KMS does not offer", { deletionWindowInDays: 3 }, "deletionWindowInDays must be a whole number of days from 7 to 30 (KMS's waiting period), got 3"],
  ])("refuses %s", (_, props, problem) => {
    const error = validationError(() => new EncryptionKey(emptyStack(), "key", { ...base, ...props }));
    expect(error.problems).toEqual([problem]);
    expect(error.constructPath).toBe("test/key");
  });
});
