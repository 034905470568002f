import { LOG_RETENTION_DAYS, VpcFlowLogs, VpcFlowLogsProps } from "@acme/apps-platform-constructs/network";
import { emptyStack, one, policyOf, synthWith, validationError } from "../helpers";

const base: VpcFlowLogsProps = {
  vpcId: "vpc-0123",
  logGroupName: "/apps-platform/dev/vpc-flow-logs",
  roleName: "apps-platform-dev-flow-logs",
  kmsKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/1111",
  accountId: "222222222222",
};
const synth = (props: Partial<VpcFlowLogsProps> = {}) => synthWith((stack) => new VpcFlowLogs(stack, "flow-logs", { ...base, ...props }));

describe("VpcFlowLogs", () => {
  it("logs every accepted and rejected packet of the VPC, each minute, into its log group", () => {
    expect(one(synth(), "aws_flow_log")).toMatchObject({
      vpc_id: "vpc-0123",
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: expect.stringMatching(/aws_cloudwatch_log_group\..*\.arn/),
      iam_role_arn: expect.stringMatching(/aws_iam_role\..*\.arn/),
      max_aggregation_interval: 60,
    });
  });

  it("encrypts the log group with the given key and keeps the records a year unless told otherwise", () => {
    expect(one(synth(), "aws_cloudwatch_log_group")).toEqual({ name: base.logGroupName, kms_key_id: base.kmsKeyArn, retention_in_days: 365 });
    expect(one(synth({ retentionInDays: 30 }), "aws_cloudwatch_log_group").retention_in_days).toBe(30);
  });

  it("lets only VPC Flow Logs, for this account, assume its role, which writes only to this log group", () => {
    const json = synth();
    const role = one(json, "aws_iam_role");
    expect(role).toMatchObject({ name: base.roleName, path: "/apps-platform/platform/" });
    expect(policyOf(role, "assume_role_policy").Statement).toEqual([
      { Sid: "ServiceAssumesRoleForThisAccount", Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } } },
    ]);
    const [statement] = policyOf(one(json, "aws_iam_role_policy")).Statement;
    expect(statement.Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]);
    expect(statement.Resource).toHaveLength(2);
    expect(statement.Resource[1]).toMatch(/aws_cloudwatch_log_group\..*\.arn\}:\*$/);
  });

  it("refuses a retention CloudWatch Logs does not offer", () => {
    const error = validationError(() => new VpcFlowLogs(emptyStack(), "flow-logs", { ...base, retentionInDays: 100 }));
    expect(error.problems).toEqual([`retentionInDays must be one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")} days), got 100`]);
    expect(error.constructPath).toBe("test/flow-logs");
  });
});
