import { StateBucket, StateBucketProps } from "@acme/apps-platform-constructs/state";
import { emptyStack, one, policyOf, synthWith, validationError } from "../helpers";

const base: StateBucketProps = { bucketName: "acme-orders-tfstate", kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/2222" };
const synth = (props: Partial<StateBucketProps> = {}) => synthWith((stack) => new StateBucket(stack, "state", { ...base, ...props }));

describe("StateBucket", () => {
  it("keeps every state version, and superseded ones 90 days", () => {
    const json = synth();
    expect(one(json, "aws_s3_bucket_versioning").versioning_configuration).toEqual({ status: "Enabled" });
    expect(one(json, "aws_s3_bucket_lifecycle_configuration").rule).toEqual([
      {
        id: "expire-superseded-state",
        status: "Enabled",
        filter: [{ prefix: "" }],
        noncurrent_version_expiration: [{ noncurrent_days: 90 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
    expect(one(synth({ noncurrentVersionDays: 30 }), "aws_s3_bucket_lifecycle_configuration").rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
  });

  it("encrypts every object with the state key and a bucket key", () => {
    expect(one(synth(), "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: base.kmsKeyArn }, bucket_key_enabled: true },
    ]);
  });

  it("blocks every form of public access and turns ACLs off", () => {
    const json = synth();
    expect(one(json, "aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(one(json, "aws_s3_bucket_ownership_controls").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  it("refuses every request without TLS, by the bucket's literal ARN, and adds the caller's statements after it", () => {
    const json = synth({
      partition: "aws-us-gov",
      policyStatements: (arn) => [{ Sid: "OnlyCiRoles", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `${arn}/*`, Condition: { ArnNotLike: { "aws:PrincipalArn": "arn:aws-us-gov:iam::*:role/apps-platform/ci/orders-*" } } }],
    });
    const policy = one(json, "aws_s3_bucket_policy");
    const [tls, own] = policyOf(policy).Statement;
    expect(tls).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws-us-gov:s3:::acme-orders-tfstate", "arn:aws-us-gov:s3:::acme-orders-tfstate/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(own).toMatchObject({ Sid: "OnlyCiRoles", Resource: "arn:aws-us-gov:s3:::acme-orders-tfstate/*" });
    // S3 refuses a bucket policy while the public access block is being written.
    expect(policy.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
  });

  it("is never destroyed with its objects, and says why it skips the scanner's log and replication checks", () => {
    const stack = emptyStack();
    const bucket = new StateBucket(stack, "state", base);
    const json = synthWith((s) => new StateBucket(s, "state", base));
    expect(one(json, "aws_s3_bucket")).toMatchObject({ bucket: "acme-orders-tfstate", force_destroy: false });
    const skipped = bucket.bucket.node.metadata.filter((m) => m.type === "apps-platform:checkov-skip").map((m) => (m.data as { check: string }).check);
    expect(skipped.sort()).toEqual(["CKV2_AWS_62", "CKV_AWS_144", "CKV_AWS_18"]);
    expect(bucket.name).toMatch(/TfToken/);
  });

  it.each([
    ["an upper-case bucket name", { bucketName: "Acme-Orders" }, ['bucketName must be 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, got "Acme-Orders"']],
    [
      "a name with two adjacent periods and too short a retention",
      { bucketName: "acme..orders", noncurrentVersionDays: 0 },
      ['bucketName must not hold two adjacent periods, got "acme..orders"', "noncurrentVersionDays must be a whole number of days from 1 to 36500, got 0"],
    ],
    ["an IP address", { bucketName: "192.168.10.1" }, ['bucketName must not be an IP address, got "192.168.10.1"']],
  ])("refuses %s", (_, props, problems) => {
    const error = validationError(() => new StateBucket(emptyStack(), "state", { ...base, ...props }));
    expect(error.problems).toEqual(problems);
    expect(error.constructPath).toBe("test/state");
  });
});
