import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Problems } from "../errors";
import { IAM_PATHS } from "../naming";

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
import { policyJson } from "../policy/document";
import { serviceAssumesRole } from "../policy/statements";

/** Flow logs of one VPC. */
export interface VpcFlowLogsProps {
  /** The VPC whose traffic is logged. */
  readonly vpcId: string;
  /** The CloudWatch log group that receives the records. */
  readonly logGroupName: string;
  /** The role VPC Flow Logs assumes to write them. */
  readonly roleName: string;
  /** The KMS key that encrypts the log group. */
  readonly kmsKeyArn: string;
  /** The VPC's account: the role trusts VPC Flow Logs for it only. */
  readonly accountId: string;
  /** Days the records are kept, one of LOG_RETENTION_DAYS. @default 365 */
  readonly retentionInDays?: number;
}

/** Flow logs of every accepted and rejected packet of a VPC, into a KMS-encrypted log group. */
export class VpcFlowLogs extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    const retentionInDays = props.retentionInDays ?? 365;
    new Problems()
      .check("retentionInDays", retentionInDays, (d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")} days)`)
      .throwIfAny(this);

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: props.logGroupName,
      retentionInDays,
      kmsKeyId: props.kmsKeyArn,
    });
    const role = new IamRole(this, "role", {
      name: props.roleName,
      path: IAM_PATHS.platform,
      assumeRolePolicy: policyJson([serviceAssumesRole("vpc-flow-logs.amazonaws.com", props.accountId)]),
    });
    new IamRolePolicy(this, "role-policy", {
      role: role.id,
      name: "write-flow-logs",
      policy: policyJson([
        {
          Sid: "WriteThisLogGroupOnly",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [this.logGroup.arn, `${this.logGroup.arn}:*`],
        },
      ]),
    });
    this.flowLog = new FlowLog(this, "flow-log", {
      vpcId: props.vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
    });
  }
}
