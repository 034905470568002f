import { Construct } from "constructs";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { isUnresolved } from "../errors";

/** S3's rule for general purpose bucket names: 3 to 63 lowercase letters, digits, `.` and `-`. */
const BUCKET_NAME = /^[a-z0-9](?:[a-z0-9.-]{1,61})[a-z0-9]$/;

/** The problems of a bucket name, every one; none for a name known only at plan. */
export function bucketNameProblems(name: string, field = "bucketName"): string[] {
  if (isUnresolved(name)) return [];
  const problems: string[] = [];
  if (!BUCKET_NAME.test(name)) {
    problems.push(`${field} must be 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, got ${JSON.stringify(name)}`);
  }
  if (name.includes("..")) problems.push(`${field} must not hold two adjacent periods, got ${JSON.stringify(name)}`);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) problems.push(`${field} must not be an IP address, got ${JSON.stringify(name)}`);
  return problems;
}

/**
 * Blocks every form of public access to a bucket and turns ACLs off (the bucket owner owns every
 * object). Returns the public access block, which a bucket policy must wait for: S3 refuses a policy
 * while the block is being written.
 */
export function makePrivate(scope: Construct, bucket: string): S3BucketPublicAccessBlock {
  const block = new S3BucketPublicAccessBlock(scope, "public-access", {
    bucket,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
  return block;
}
