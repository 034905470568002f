import { Construct } from "constructs";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";

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
