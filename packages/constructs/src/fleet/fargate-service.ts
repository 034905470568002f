import { Construct } from "constructs";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { ServiceDiscoveryService } from "@cdktf/provider-aws/lib/service-discovery-service";
import { skipCheck } from "../checks";
import { Problems, integerBetween } from "../errors";
import { fargateServiceNames, limitProblem, overLimit } from "../naming";

/** Where a web service takes requests on a shared load balancer. */
export interface FargateServiceRouting {
  /** The HTTPS listener its rule is attached to. */
  readonly listenerArn: string;
  /** The load balancer's ARN suffix, for the target group's alarms. */
  readonly loadBalancerArnSuffix: string;
  /** The VPC of the target group. */
  readonly vpcId: string;
  /** At most 32 characters, from naming.ts. */
  readonly targetGroupName: string;
  /** Host names the rule matches. */
  readonly hosts: string[];
  /** The path prefix the rule matches. @default every path of the hosts */
  readonly path?: string;
  /** The rule's priority, unique on the listener by construction (see fleet/placement.ts). */
  readonly priority: number;
  /** The path the target group's health check asks for. @default "/health" */
  readonly healthCheckPath?: string;
}

/** One ECS Fargate service of a fleet. */
export interface FargateServiceProps {
  /** The cluster, by ARN (a reference in the same stack) or by name (ECS looks it up in the stack's account and Region). */
  readonly cluster: string;
  /** The cluster's name, for the autoscaling target and the alarms' dimensions. */
  readonly clusterName: string;
  /** The ECS service's name, from naming.ts; its scaling policy is named after it. */
  readonly serviceName: string;
  /** The task definition family, from naming.ts. */
  readonly family: string;
  /** The image, `<repository URL>:<tag>`. */
  readonly image: string;
  /** The task's CPU units (a Fargate size: 256, 512, 1024, ...). */
  readonly cpu: number;
  /** The task's memory in MiB, a size Fargate offers with `cpu`. */
  readonly memory: number;
  /** Tasks when running (the autoscaling minimum). */
  readonly desiredCount: number;
  /** The autoscaling maximum. @default max(1, 2 × desiredCount) */
  readonly maxCount?: number;
  /** Scale to zero tasks (and autoscaling bounds 0..0); everything else stays. @default false */
  readonly paused?: boolean;
  /** The container port; none for a worker. @default none: a worker, with no port, target group or listener rule */
  readonly port?: number;
  /** Plain environment variables (never secrets). @default none: no variables */
  readonly environment?: Record<string, string>;
  /** Environment variables ECS reads from Secrets Manager when a task starts: name → secret ARN. @default none: no secrets */
  readonly secrets?: Record<string, string>;
  /** The role the task's code runs as. */
  readonly taskRoleArn: string;
  /** The role ECS starts the task with: pulls the image, reads the secrets, writes the logs. */
  readonly executionRoleArn: string;
  /** The private subnets the tasks run in. */
  readonly subnetIds: string[];
  /** The tasks' security groups. */
  readonly securityGroupIds: string[];
  /** The tasks' log group, from naming.ts. */
  readonly logGroupName: string;
  /** The key that encrypts the log group. */
  readonly logKmsKeyArn: string;
  /** Days the tasks' logs are kept. @default 365 */
  readonly logRetentionDays?: number;
  /** The Region, for the awslogs driver. */
  readonly region: string;
  /** Routing from the shared load balancer (web services). @default none: no target group, no listener rule */
  readonly routing?: FargateServiceRouting;
  /** Registration in a Cloud Map namespace (the router reaches services by name). @default none: not registered */
  readonly discovery?: {
    /** The Cloud Map namespace. */
    readonly namespaceId: string;
    /** The service's name in it. */
    readonly name: string;
  };
  /** The SNS topic alarms notify. */
  readonly alarmTopicArn: string;
  /** Alarm names start with this. */
  readonly alarmPrefix: string;
}

/**
 * An ECS Fargate service with its task definition and log group: private subnets, no public IP,
 * deployment circuit breaker with rollback (and, for web services, rollback on the 5xx alarm), CPU
 * target-tracking autoscaling, CPU and memory alarms, and for web services a target group with its
 * health check and a listener rule on the shared load balancer.
 */
export class FargateService extends Construct {
  public readonly service: EcsService;
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly targetGroup?: LbTargetGroup;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    const names = fargateServiceNames(props.serviceName, props.alarmPrefix);
    const metrics = ["cpu", "memory", ...(props.routing && props.port ? ["5xx", "unhealthy"] : [])];
    const problems = new Problems();
    problems.addAll(overLimit([names.scalingPolicy, ...metrics.map(names.alarm)]).map(limitProblem));
    problems.check("desiredCount", props.desiredCount, integerBetween(0, 5000), "must be a whole number of tasks from 0 to 5000");
    problems.check("port", props.port, integerBetween(1, 65535), "must be a port from 1 to 65535");
    problems.check("routing.targetGroupName", props.routing?.targetGroupName, (n) => n.length <= 32, "must be at most 32 characters (an ELB target group name)");
    problems.throwIfAny(this);
    const paused = props.paused ?? false;
    const running = paused ? 0 : props.desiredCount;
    const maxCount = paused ? 0 : Math.max(props.maxCount ?? Math.max(1, props.desiredCount * 2), props.desiredCount);

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: props.logGroupName,
      kmsKeyId: props.logKmsKeyArn,
      retentionInDays: props.logRetentionDays ?? 365,
    });
    const container = {
      name: "app",
      image: props.image,
      essential: true,
      readonlyRootFilesystem: true,
      ...(props.port ? { portMappings: [{ containerPort: props.port, protocol: "tcp" }] } : {}),
      environment: Object.entries(props.environment ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value })),
      secrets: Object.entries(props.secrets ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, valueFrom]) => ({ name, valueFrom })),
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": props.logGroupName, "awslogs-region": props.region, "awslogs-stream-prefix": "app" },
      },
    };
    this.taskDefinition = new EcsTaskDefinition(this, "task", {
      family: props.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(props.cpu),
      memory: String(props.memory),
      taskRoleArn: props.taskRoleArn,
      executionRoleArn: props.executionRoleArn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      containerDefinitions: JSON.stringify([container]),
    });

    const alarm = (name: string, a: Omit<ConstructorParameters<typeof CloudwatchMetricAlarm>[2], "alarmName" | "alarmActions" | "okActions">) => {
      const resource = new CloudwatchMetricAlarm(this, `alarm-${name}`, {
        alarmName: names.alarm(name).name,
        alarmActions: [props.alarmTopicArn],
        okActions: [props.alarmTopicArn],
        ...a,
      });
      this.alarms.push(resource);
      return resource;
    };
    const serviceDimensions = { ClusterName: props.clusterName, ServiceName: props.serviceName };
    for (const metric of ["CPUUtilization", "MemoryUtilization"]) {
      alarm(metric === "CPUUtilization" ? "cpu" : "memory", {
        alarmDescription: `${props.serviceName}: ${metric} above 85% for 5 minutes`,
        namespace: "AWS/ECS",
        metricName: metric,
        dimensions: serviceDimensions,
        statistic: "Average",
        period: 60,
        evaluationPeriods: 5,
        threshold: 85,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
    }

    let deploymentAlarm: CloudwatchMetricAlarm | undefined;
    if (props.routing && props.port) {
      const r = props.routing;
      this.targetGroup = new LbTargetGroup(this, "target-group", {
        name: r.targetGroupName,
        port: props.port,
        protocol: "HTTP",
        targetType: "ip",
        vpcId: r.vpcId,
        deregistrationDelay: "30",
        healthCheck: { path: r.healthCheckPath ?? "/health", matcher: "200-399", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3, timeout: 5 },
        lifecycle: { createBeforeDestroy: true },
      });
      skipCheck(this.targetGroup, "CKV_AWS_378", "TLS ends at the shared load balancer; targets are reached inside the VPC, from its security group only");
      new LbListenerRule(this, "rule", {
        listenerArn: r.listenerArn,
        priority: r.priority,
        condition: [
          { hostHeader: { values: r.hosts } },
          ...(r.path ? [{ pathPattern: { values: [r.path, `${r.path}/*`] } }] : []),
        ],
        action: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      });
      const tgDimensions = { TargetGroup: this.targetGroup.arnSuffix, LoadBalancer: r.loadBalancerArnSuffix };
      deploymentAlarm = alarm("5xx", {
        alarmDescription: `${props.serviceName}: more than 10 5xx responses from its targets in 5 minutes`,
        namespace: "AWS/ApplicationELB",
        metricName: "HTTPCode_Target_5XX_Count",
        dimensions: tgDimensions,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 10,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
      alarm("unhealthy", {
        alarmDescription: `${props.serviceName}: unhealthy targets for 5 minutes`,
        namespace: "AWS/ApplicationELB",
        metricName: "UnHealthyHostCount",
        dimensions: tgDimensions,
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 5,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
    }

    const discovery = props.discovery
      ? new ServiceDiscoveryService(this, "discovery", {
          name: props.discovery.name,
          // No custom health check: its only argument is deprecated (an empty block would replace the
          // service on every plan); ECS deregisters a task's address as the task stops.
          dnsConfig: { namespaceId: props.discovery.namespaceId, routingPolicy: "MULTIVALUE", dnsRecords: [{ type: "A", ttl: 10 }] },
          forceDestroy: true,
        })
      : undefined;

    this.service = new EcsService(this, "service", {
      name: props.serviceName,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition.arn,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      desiredCount: running,
      networkConfiguration: { subnets: props.subnetIds, securityGroups: props.securityGroupIds, assignPublicIp: false },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // By name: the service's deployments roll back while the alarm is in ALARM.
      ...(deploymentAlarm ? { alarms: { alarmNames: [names.alarm("5xx").name], enable: true, rollback: true } } : {}),
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      ...(this.targetGroup ? { loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: "app", containerPort: props.port! }], healthCheckGracePeriodSeconds: 60 } : {}),
      ...(discovery ? { serviceRegistries: { registryArn: discovery.arn } } : {}),
    });

    const target = new AppautoscalingTarget(this, "scaling-target", {
      serviceNamespace: "ecs",
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      scalableDimension: "ecs:service:DesiredCount",
      minCapacity: running,
      maxCapacity: maxCount,
      dependsOn: [this.service],
    });
    new AppautoscalingPolicy(this, "scaling-cpu", {
      name: names.scalingPolicy.name,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: 60,
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        scaleInCooldown: 120,
        scaleOutCooldown: 60,
      },
    });
  }
}
