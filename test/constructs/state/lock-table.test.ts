import { LockTable } from "@acme/apps-platform-constructs/state";
import { emptyStack, one, synthWith, validationError } from "../helpers";

const kmsKeyArn = "arn:aws:kms:eu-central-1:111111111111:key/2222";

describe("LockTable", () => {
  it("is the S3 backend's lock table: LockID as its key, on demand, encrypted with the state key, recoverable and protected from deletion", () => {
    expect(one(synthWith((stack) => new LockTable(stack, "lock", { tableName: "acme-orders-tflock", kmsKeyArn })), "aws_dynamodb_table")).toEqual({
      name: "acme-orders-tflock",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "LockID",
      attribute: [{ name: "LockID", type: "S" }],
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: kmsKeyArn },
      deletion_protection_enabled: true,
    });
  });

  it.each(["ab", "acme orders", "t".repeat(256)])("refuses the table name %s", (tableName) => {
    const error = validationError(() => new LockTable(emptyStack(), "lock", { tableName, kmsKeyArn }));
    expect(error.problems).toEqual([`tableName must be 3 to 255 letters, digits, "_", "-" or "." (a DynamoDB table name), got ${JSON.stringify(tableName)}`]);
    expect(error.constructPath).toBe("test/lock");
  });
});
