import { ACCESS_LOG_PREFIX, SecureBucket, SecureBucketProps } from "@acme/apps-platform-constructs/fleet";
import { byId, emptyStack, one, policyOf, synthWith, validationError } from "../helpers";

const base: SecureBucketProps = { bucketName: "acme-accessos-dev-evidence", purpose: "pool evidence", kmsKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/3333" };
const synth = (props: Partial<SecureBucketProps> = {}) => synthWith((stack) => new SecureBucket(stack, "evidence", { ...base, ...props }));

describe("SecureBucket", () => {
  it("is versioned, KMS-encrypted with a bucket key, private and TLS only", () => {
    const json = synth();
    expect(one(json, "aws_s3_bucket_versioning").versioning_configuration).toEqual({ status: "Enabled" });
    expect(one(json, "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: base.kmsKeyArn }, bucket_key_enabled: true },
    ]);
    expect(one(json, "aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(policyOf(one(json, "aws_s3_bucket_policy")).Statement[0]).toMatchObject({ Sid: "DenyInsecureTransport", Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  it("survives a destroy unless told otherwise: prevent_destroy and objects kept", () => {
    expect(one(synth(), "aws_s3_bucket")).toMatchObject({ bucket: base.bucketName, force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(one(synth({ protect: false }), "aws_s3_bucket")).toMatchObject({ force_destroy: true, lifecycle: { prevent_destroy: false } });
  });

  it("falls back to SSE-S3 without a key, for buckets an AWS service writes, and can go without a bucket key", () => {
    expect(one(synth({ kmsKeyArn: undefined }), "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    expect(one(synth({ bucketKey: false }), "aws_s3_bucket_server_side_encryption_configuration").rule[0].bucket_key_enabled).toBe(false);
  });

  it("expires superseded versions after 90 days, and current objects only when asked", () => {
    const [rule] = one(synth(), "aws_s3_bucket_lifecycle_configuration").rule;
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
    expect(rule.expiration).toBeUndefined();
    expect(one(synth({ expireAfterDays: 400, noncurrentVersionDays: 7 }), "aws_s3_bucket_lifecycle_configuration").rule[0]).toMatchObject({
      expiration: [{ days: 400 }],
      noncurrent_version_expiration: [{ noncurrent_days: 7 }],
    });
  });

  it("logs access into the log bucket when given one, under partitioned keys", () => {
    expect(byId(synth(), "aws_s3_bucket_logging")).toEqual({});
    expect(one(synth({ accessLogBucket: "acme-accessos-dev-alb-logs" }), "aws_s3_bucket_logging")).toMatchObject({
      target_bucket: "acme-accessos-dev-alb-logs",
      target_prefix: ACCESS_LOG_PREFIX,
      target_object_key_format: { partitioned_prefix: { partition_date_source: "EventTime" } },
    });
  });

  it("adds the caller's statements after the TLS one, by the bucket's literal ARN", () => {
    const statements = policyOf(one(synth({ policyStatements: (arn) => [{ Sid: "Own", Effect: "Allow", Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: "s3:GetObject", Resource: `${arn}/tenants/*` }] }), "aws_s3_bucket_policy")).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(["DenyInsecureTransport", "Own"]);
    expect(statements[1].Resource).toBe("arn:aws:s3:::acme-accessos-dev-evidence/tenants/*");
  });

  it("refuses, with every problem at once, a bad name and day counts S3 does not take", () => {
    const error = validationError(() => new SecureBucket(emptyStack(), "evidence", { ...base, bucketName: "Evidence", noncurrentVersionDays: 0, expireAfterDays: 1.5 }));
    expect(error.problems).toEqual([
      'bucketName must be 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, got "Evidence"',
      "noncurrentVersionDays must be a whole number of days from 1 to 36500, got 0",
      "expireAfterDays must be a whole number of days from 1 to 36500, got 1.5",
    ]);
    expect(error.constructPath).toBe("test/evidence");
  });
});
