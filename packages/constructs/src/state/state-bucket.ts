import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { PolicyStatement, policyJson } from "../policy/document";
import { denyInsecureTransport } from "../policy/statements";
import { Problems, integerBetween } from "../errors";
import { bucketNameProblems, makePrivate } from "./private-bucket";
import { skipCheck } from "../checks";

export interface StateBucketProps {
  /** The bucket name (globally unique). */
  readonly bucketName: string;
  /** The KMS key that encrypts every object. */
  readonly kmsKeyArn: string;
  /** Days a superseded state version is kept, for rollback after a bad apply. @default 90 */
  readonly noncurrentVersionDays?: number;
  /** The partition, for the bucket ARN written into its policy. @default "aws" */
  readonly partition?: string;
  /** Statements added to the TLS-only bucket policy, given the bucket's ARN. @default none: the policy only refuses requests without TLS */
  readonly policyStatements?: (bucketArn: string) => PolicyStatement[];
}

/**
 * A bucket for Terraform state: versioned (every state write is recoverable), KMS-encrypted with a
 * bucket key, TLS only, no public access and no ACLs, superseded versions expired after a while.
 */
export class StateBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly arn: string;
  public readonly name: string;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    const noncurrentVersionDays = props.noncurrentVersionDays ?? 90;
    new Problems()
      .addAll(bucketNameProblems(props.bucketName))
      .check("noncurrentVersionDays", noncurrentVersionDays, integerBetween(1, 36500), "must be a whole number of days from 1 to 36500")
      .throwIfAny(this);
    const extraStatements = props.policyStatements ?? (() => []);
    // The policy names the bucket by a literal ARN, so the plan shows exactly what S3 will enforce.
    const literalArn = `arn:${props.partition ?? "aws"}:s3:::${props.bucketName}`;

    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName, forceDestroy: false });
    skipCheck(this.bucket, "CKV_AWS_18", "only the roles the bucket policy names touch state; object access is audited by CloudTrail data events, not a log bucket per state bucket");
    skipCheck(this.bucket, "CKV_AWS_144", "versioning keeps every state version for rollback; a copy in a second region is an organisation's disaster-recovery choice, not a default");
    skipCheck(this.bucket, "CKV2_AWS_62", "nothing consumes state-change events: Terraform reads state when it runs");
    this.arn = this.bucket.arn;
    this.name = this.bucket.bucket;
    const bucket = this.bucket.id;

    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccess = makePrivate(this, bucket);
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-superseded-state",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: noncurrentVersionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    // S3 rejects a bucket policy while the public access block is being written; order them.
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyJson([denyInsecureTransport(literalArn), ...extraStatements(literalArn)]),
      dependsOn: [publicAccess],
    });
  }
}
