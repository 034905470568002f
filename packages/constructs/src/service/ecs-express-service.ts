import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsExpressGatewayService } from "@cdktf/provider-aws/lib/ecs-express-gateway-service";
import { WebContainer } from "./web-container";

/** An ECS Express Mode service. */
export interface EcsExpressServiceProps {
  /** The service's name. */
  readonly name: string;
  /** The cluster the service runs in; the tenant's deploy role may create services in this one only. */
  readonly cluster: string;
  /** `<repository url>:<tag>`. */
  readonly image: string;
  /** What runs: port, size, health check, scaling bounds, variables. */
  readonly container: WebContainer;
  /** Pulls the image and writes logs; also the task's role. */
  readonly executionRoleArn: string;
  /** The role ECS manages the load balancer, security groups and scaling with. */
  readonly infrastructureRoleArn: string;
  /** The private subnets the tasks run in (ECS Express needs at least two). */
  readonly subnetIds: string[];
  /** The tasks' security groups. */
  readonly securityGroupIds: string[];
  /** The log group, under the service's own prefix. */
  readonly logGroupName: string;
  /** The key that encrypts the log group. */
  readonly kmsKeyArn: string;
}

/** An ECS Express Mode service: Fargate tasks behind a load balancer and scaling that ECS manages. */
export class EcsExpressService extends Construct {
  public readonly service: EcsExpressGatewayService;
  public readonly url: string;
  /** The host name the service's endpoint answers on. */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: EcsExpressServiceProps) {
    super(scope, id);
    const c = props.container;
    const logs = new CloudwatchLogGroup(this, "logs", { name: props.logGroupName, retentionInDays: 365, kmsKeyId: props.kmsKeyArn });
    this.service = new EcsExpressGatewayService(this, "service", {
      serviceName: props.name,
      cluster: props.cluster,
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.executionRoleArn,
      infrastructureRoleArn: props.infrastructureRoleArn,
      cpu: String(c.cpu),
      memory: String(c.memory),
      healthCheckPath: c.healthCheckPath,
      networkConfiguration: [{ subnets: props.subnetIds, securityGroups: props.securityGroupIds }],
      scalingTarget: [{ minTaskCount: c.minInstances, maxTaskCount: c.maxInstances, autoScalingMetric: "AVERAGE_CPU", autoScalingTargetValue: 60 }],
      primaryContainer: [
        {
          image: props.image,
          containerPort: c.port,
          environment: Object.entries(c.environment).map(([name, value]) => ({ name, value })),
          secret: Object.entries(c.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
          awsLogsConfiguration: [{ logGroup: logs.name, logStreamPrefix: "web" }],
        },
      ],
    });
    this.endpoint = this.service.ingressPaths.get(0).endpoint;
    this.url = `https://${this.endpoint}`;
  }
}
