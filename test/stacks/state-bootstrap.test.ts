import { exampleConfig, onlyResource, parsePolicy, synthPlatform } from "../helpers";

describe("the state-bootstrap stack", () => {
  const json = synthPlatform(exampleConfig()).json.get("state-bootstrap")!;

  it("works in the deployment account", () => {
    expect(json.provider!.aws[0]).toMatchObject({
      allowed_account_ids: ["111111111111"],
      assume_role: [{ role_arn: '${(var.ci_phase == "plan") ? "arn:aws:iam::111111111111:role/apps-platform/ci/apps-platform-read" : "arn:aws:iam::111111111111:role/apps-platform-provisioner"}' }],
    });
  });

  it("creates the configured state bucket: versioned, KMS with a bucket key, no public access, no ACLs", () => {
    expect(onlyResource(json, "aws_s3_bucket")).toMatchObject({ bucket: "acme-apps-platform-tfstate", force_destroy: false });
    expect(onlyResource(json, "aws_s3_bucket_versioning").versioning_configuration).toEqual({ status: "Enabled" });
    expect(onlyResource(json, "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      {
        apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: expect.stringMatching(/aws_kms_key\.state-key/) },
        bucket_key_enabled: true,
      },
    ]);
    expect(onlyResource(json, "aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(onlyResource(json, "aws_s3_bucket_ownership_controls").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  it("refuses every request to the bucket that does not use TLS", () => {
    const policy = parsePolicy(onlyResource(json, "aws_s3_bucket_policy").policy);
    expect(policy.Statement).toContainEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::acme-apps-platform-tfstate", "arn:aws:s3:::acme-apps-platform-tfstate/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("expires superseded state versions after 90 days", () => {
    expect(onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule[0]).toMatchObject({
      status: "Enabled",
      noncurrent_version_expiration: [{ noncurrent_days: 90 }],
    });
  });

  it("creates the lock table with the LockID key, point-in-time recovery and the state key", () => {
    expect(onlyResource(json, "aws_dynamodb_table")).toMatchObject({
      name: "acme-apps-platform-tflock",
      hash_key: "LockID",
      billing_mode: "PAY_PER_REQUEST",
      attribute: [{ name: "LockID", type: "S" }],
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/aws_kms_key\.state-key/) },
      deletion_protection_enabled: true,
    });
  });

  it("names its key with the alias the backend config refers to", () => {
    expect(onlyResource(json, "aws_kms_alias").name).toBe("alias/apps-platform/tfstate");
    expect(onlyResource(json, "aws_kms_key").enable_key_rotation).toBe(true);
  });
});
