import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { bucketNameProblems, makePrivate } from "../state/private-bucket";
import { Problems, integerBetween } from "../errors";
import { skipCheck } from "../checks";
import { PolicyStatement, policyJson } from "../policy/document";
import { denyInsecureTransport } from "../policy/statements";

/** Where S3 server access logs go in an access log bucket. */
export const ACCESS_LOG_PREFIX = "s3/";

export interface SecureBucketProps {
  /** The bucket name (globally unique), from naming.ts. */
  readonly bucketName: string;
  /** What the bucket holds, for the reasons written beside accepted scanner findings. */
  readonly purpose: string;
  /**
   * The KMS key that encrypts every object. @default none: SSE-S3, for buckets an AWS service writes
   * that cannot use a customer key (load balancer access logs)
   */
  readonly kmsKeyArn?: string;
  /**
   * Encrypt with an S3 bucket key (fewer KMS calls, one encryption context for the whole bucket).
   * Off where the key's use is confined by object ARN. @default true
   */
  readonly bucketKey?: boolean;
  /** Days superseded object versions are kept. @default 90 */
  readonly noncurrentVersionDays?: number;
  /** Days current objects are kept. @default forever */
  readonly expireAfterDays?: number;
  /** The partition, for the bucket ARN in its policy. @default "aws" */
  readonly partition?: string;
  /** Statements added to the TLS-only bucket policy, given the bucket's ARN. @default none: the policy only refuses requests without TLS */
  readonly policyStatements?: (bucketArn: string) => PolicyStatement[];
  /** Send S3 server access logs to this bucket, under `s3/<account>/<region>/<bucket>/`. @default no access logs (the reason is recorded) */
  readonly accessLogBucket?: string;
  /** What must exist before access logging is set: the log bucket's policy, when it is made in the same stack. @default none: no ordering beyond references */
  readonly accessLogDependsOn?: ITerraformDependable[];
  /** Data that must survive a destroy: `prevent_destroy`, and objects kept. @default true */
  readonly protect?: boolean;
}

/**
 * A private, versioned bucket: encrypted (KMS by default), TLS only, public access blocked, ACLs
 * off, superseded versions expired after a while. Protected from destroy unless told otherwise.
 */
export class SecureBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly name: string;
  public readonly arn: string;
  /** The bucket policy: what a writer to the bucket (an AWS service) must wait for. */
  public readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const protect = props.protect ?? true;
    const days = "must be a whole number of days from 1 to 36500";
    new Problems()
      .addAll(bucketNameProblems(props.bucketName))
      .check("noncurrentVersionDays", props.noncurrentVersionDays, integerBetween(1, 36500), days)
      .check("expireAfterDays", props.expireAfterDays, integerBetween(1, 36500), days)
      .throwIfAny(this);
    const literalArn = `arn:${props.partition ?? "aws"}:s3:::${props.bucketName}`;
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName, forceDestroy: !protect, lifecycle: { preventDestroy: protect } });
    skipCheck(this.bucket, "CKV_AWS_144", `${props.purpose}: versioned in one Region; a replica in another is an organisation's disaster-recovery choice`);
    skipCheck(this.bucket, "CKV2_AWS_62", `${props.purpose}: nothing consumes object events`);
    if (!props.accessLogBucket) skipCheck(this.bucket, "CKV_AWS_18", `${props.purpose}: the access log bucket itself; logging it into itself would loop`);
    if (!props.kmsKeyArn) skipCheck(this.bucket, "CKV_AWS_145", `${props.purpose}: written by an AWS service that supports only SSE-S3`);
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    const bucket = this.bucket.id;

    if (props.accessLogBucket) {
      // S3 checks that the target's policy admits its logging service when logging is set.
      // Partitioned keys, s3/<account>/<region>/<bucket>/<date>/…: one prefix serves every source bucket.
      new S3BucketLoggingA(this, "access-logs", {
        bucket,
        targetBucket: props.accessLogBucket,
        targetPrefix: ACCESS_LOG_PREFIX,
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
        dependsOn: props.accessLogDependsOn,
      });
    }
    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        props.kmsKeyArn
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: props.bucketKey ?? true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    const publicAccess = makePrivate(this, bucket);
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-superseded-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          ...(props.expireAfterDays ? { expiration: [{ days: props.expireAfterDays }] } : {}),
        },
      ],
    });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyJson([denyInsecureTransport(literalArn), ...(props.policyStatements ?? (() => []))(literalArn)]),
      dependsOn: [publicAccess],
    });
  }
}
