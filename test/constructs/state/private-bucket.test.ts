import * as fc from "fast-check";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { bucketNameProblems, makePrivate } from "@acme/apps-platform-constructs/state";
import { one, synthWith } from "../helpers";

describe("makePrivate", () => {
  it("blocks public ACLs and policies, ignores existing public ACLs, restricts public buckets, and enforces the owner's ownership", () => {
    const json = synthWith((stack) => makePrivate(stack, new S3Bucket(stack, "bucket", { bucket: "acme-x" }).id));
    expect(one(json, "aws_s3_bucket_public_access_block")).toEqual({
      bucket: expect.stringMatching(/aws_s3_bucket\.bucket\.id/),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(json, "aws_s3_bucket_ownership_controls")).toEqual({ bucket: expect.stringMatching(/aws_s3_bucket\.bucket\.id/), rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  it("returns the block, for a bucket policy to wait for", () => {
    synthWith((stack) => {
      const block = makePrivate(stack, "acme-x");
      expect(block.blockPublicPolicyInput).toBe(true);
    });
  });
});

describe("bucketNameProblems", () => {
  it("accepts every name of lowercase labels joined by hyphens or single dots, 3 to 63 long", () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const name = labels.join(".");
        fc.pre(name.length >= 3 && name.length <= 63 && !/^\d+\.\d+\.\d+\.\d+$/.test(name));
        expect(bucketNameProblems(name)).toEqual([]);
      }),
    );
  });

  it("refuses names S3 refuses, each problem once, under the caller's field name", () => {
    expect(bucketNameProblems("a", "bucket")).toEqual(['bucket must be 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, got "a"']);
    expect(bucketNameProblems("-acme")).toHaveLength(1);
    expect(bucketNameProblems("x".repeat(64))).toHaveLength(1);
  });

  it("leaves a name known only at plan to S3", () => {
    expect(bucketNameProblems("${var.bucket}")).toEqual([]);
  });
});
