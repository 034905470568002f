import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Problems } from "../errors";

export interface LockTableProps {
  /** The table name. */
  readonly tableName: string;
  /** The KMS key that encrypts the table. */
  readonly kmsKeyArn: string;
}

/**
 * The DynamoDB table of the S3 backend's legacy locking (`dynamodb_table`): on-demand, encrypted with
 * the state key, point-in-time recovery on and deletion protection, since losing it mid-apply would
 * let two applies write the same state.
 */
export class LockTable extends Construct {
  public readonly table: DynamodbTable;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: LockTableProps) {
    super(scope, id);
    new Problems()
      .check("tableName", props.tableName, (n) => /^[A-Za-z0-9_.-]{3,255}$/.test(n), 'must be 3 to 255 letters, digits, "_", "-" or "." (a DynamoDB table name)')
      .throwIfAny(this);
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "LockID",
      attribute: [{ name: "LockID", type: "S" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: true,
    });
    this.name = this.table.name;
    this.arn = this.table.arn;
  }
}
