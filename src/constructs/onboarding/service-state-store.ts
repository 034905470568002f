import { Construct } from "constructs";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { stateKeyPolicy } from "@acme/apps-platform-constructs/policy";
import { EncryptionKey } from "@acme/apps-platform-constructs/kms";
import { LockTable } from "@acme/apps-platform-constructs/state";
import { StateBucket } from "@acme/apps-platform-constructs/state";

export interface ServiceStateStoreProps {
  readonly partition: string;
  readonly region: string;
  /** The deployment account, where the store lives. */
  readonly accountId: string;
  readonly bucketName: string;
  readonly lockTableName: string;
  readonly keyAlias: string;
  /** What the store holds, for the key's description. */
  readonly description: string;
  /** Bucket policy statements beyond TLS-only, given the bucket's ARN. */
  readonly bucketPolicy: (bucketArn: string) => PolicyStatement[];
}

/** A service's own Terraform state store: KMS key, bucket and lock table. */
export class ServiceStateStore extends Construct {
  public readonly key: EncryptionKey;
  public readonly bucket: StateBucket;
  public readonly table: LockTable;

  constructor(scope: Construct, id: string, props: ServiceStateStoreProps) {
    super(scope, id);
    this.key = new EncryptionKey(this, "key", {
      alias: props.keyAlias,
      description: props.description,
      policy: stateKeyPolicy({ partition: props.partition, accountId: props.accountId, region: props.region }),
    });
    this.bucket = new StateBucket(this, "bucket", {
      bucketName: props.bucketName,
      kmsKeyArn: this.key.arn,
      partition: props.partition,
      policyStatements: props.bucketPolicy,
    });
    this.table = new LockTable(this, "lock-table", { tableName: props.lockTableName, kmsKeyArn: this.key.arn });
  }
}
