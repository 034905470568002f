import { FargateService, FargateServiceProps } from "@acme/apps-platform-constructs/fleet";
import { byId, emptyStack, one, synthWith, validationError } from "../helpers";

const base: FargateServiceProps = {
  cluster: "accessos-dev",
  clusterName: "accessos-dev",
  serviceName: "acme-corp-web",
  family: "accessos-acme-corp-dev-web",
  image: "111111111111.dkr.ecr.eu-central-1.amazonaws.com/accessos/web:1.8.0",
  cpu: 512,
  memory: 1024,
  desiredCount: 2,
  taskRoleArn: "arn:aws:iam::222222222222:role/apps-platform/fleet/task/accessos-acme-corp-dev-task",
  executionRoleArn: "arn:aws:iam::222222222222:role/apps-platform/fleet/execution/accessos-acme-corp-dev-exec",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-tasks"],
  logGroupName: "/accessos/dev/tenants/acme-corp/web",
  logKmsKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/3333",
  region: "eu-central-1",
  alarmTopicArn: "arn:aws:sns:eu-central-1:222222222222:accessos-dev-alarms",
  alarmPrefix: "accessos-acme-corp-dev-web-",
};
const routing = {
  listenerArn: "arn:aws:elasticloadbalancing:eu-central-1:222222222222:listener/app/accessos-dev-1/abc/def",
  loadBalancerArnSuffix: "app/accessos-dev-1/abc",
  vpcId: "vpc-0123",
  targetGroupName: "acme-corp-0123456789",
  hosts: ["acme-corp.accessos.dev.apps.acme.example"],
  priority: 101,
};
const synth = (props: Partial<FargateServiceProps> = {}) => synthWith((stack) => new FargateService(stack, "web", { ...base, ...props }));

describe("FargateService", () => {
  it("runs private Fargate tasks without public IPs, rolling back a failed deployment", () => {
    const service = one(synth(), "aws_ecs_service");
    expect(service).toMatchObject({
      name: "acme-corp-web",
      cluster: "accessos-dev",
      launch_type: "FARGATE",
      desired_count: 2,
      network_configuration: { subnets: ["subnet-a", "subnet-b"], security_groups: ["sg-tasks"], assign_public_ip: false },
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_minimum_healthy_percent: 100,
      propagate_tags: "SERVICE",
    });
    expect(service.load_balancer).toBeUndefined();
  });

  it("runs a read-only container with its variables sorted, secrets by ARN, and logs into its KMS-encrypted group", () => {
    const json = synth({ environment: { B: "2", A: "1" }, secrets: { TOKEN: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:/accessos/dev/acme-corp/token" } });
    const task = one(json, "aws_ecs_task_definition");
    expect(task).toMatchObject({ family: base.family, cpu: "512", memory: "1024", network_mode: "awsvpc", requires_compatibilities: ["FARGATE"], task_role_arn: base.taskRoleArn, execution_role_arn: base.executionRoleArn });
    const [container] = JSON.parse(task.container_definitions);
    expect(container).toMatchObject({ readonlyRootFilesystem: true, essential: true, image: base.image });
    expect(container.environment).toEqual([{ name: "A", value: "1" }, { name: "B", value: "2" }]);
    expect(container.secrets).toEqual([{ name: "TOKEN", valueFrom: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:/accessos/dev/acme-corp/token" }]);
    expect(container.logConfiguration.options).toEqual({ "awslogs-group": base.logGroupName, "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "app" });
    expect(one(json, "aws_cloudwatch_log_group")).toEqual({ name: base.logGroupName, kms_key_id: base.logKmsKeyArn, retention_in_days: 365 });
  });

  it("scales on CPU between its desired count and twice that, with a policy named after the service", () => {
    const json = synth();
    expect(one(json, "aws_appautoscaling_target")).toMatchObject({ min_capacity: 2, max_capacity: 4, resource_id: "service/accessos-dev/acme-corp-web" });
    expect(one(json, "aws_appautoscaling_policy")).toMatchObject({ name: "acme-corp-web-cpu", policy_type: "TargetTrackingScaling" });
  });

  it("pauses at zero tasks and zero capacity, keeping everything else", () => {
    const json = synth({ paused: true });
    expect(one(json, "aws_ecs_service").desired_count).toBe(0);
    expect(one(json, "aws_appautoscaling_target")).toMatchObject({ min_capacity: 0, max_capacity: 0 });
    expect(one(json, "aws_ecs_task_definition")).toBeDefined();
  });

  it("alarms on CPU and memory into the fleet's topic; a web service also on 5xx and unhealthy targets, and rolls back on 5xx", () => {
    const worker = Object.values(byId(synth(), "aws_cloudwatch_metric_alarm"));
    expect(worker.map((a) => a.alarm_name).sort()).toEqual(["accessos-acme-corp-dev-web-cpu", "accessos-acme-corp-dev-web-memory"]);
    for (const a of worker) expect(a).toMatchObject({ alarm_actions: [base.alarmTopicArn], ok_actions: [base.alarmTopicArn] });
    const web = synth({ port: 8080, routing });
    expect(Object.values(byId(web, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name).sort()).toEqual([
      "accessos-acme-corp-dev-web-5xx",
      "accessos-acme-corp-dev-web-cpu",
      "accessos-acme-corp-dev-web-memory",
      "accessos-acme-corp-dev-web-unhealthy",
    ]);
    expect(one(web, "aws_ecs_service").alarms).toEqual({ alarm_names: ["accessos-acme-corp-dev-web-5xx"], enable: true, rollback: true });
  });

  it("takes a web service's requests from its listener rule on the shared load balancer, through a target group of its own", () => {
    const json = synth({ port: 8080, routing: { ...routing, path: "/api" } });
    expect(one(json, "aws_lb_target_group")).toMatchObject({ name: routing.targetGroupName, port: 8080, protocol: "HTTP", target_type: "ip", vpc_id: "vpc-0123", health_check: { path: "/health" } });
    expect(one(json, "aws_lb_listener_rule")).toMatchObject({
      listener_arn: routing.listenerArn,
      priority: 101,
      condition: [{ host_header: { values: routing.hosts } }, { path_pattern: { values: ["/api", "/api/*"] } }],
    });
    expect(one(json, "aws_ecs_service").load_balancer).toEqual([{ container_name: "app", container_port: 8080, target_group_arn: expect.stringMatching(/aws_lb_target_group/) }]);
  });

  it("registers in Cloud Map when asked", () => {
    expect(one(synth({ discovery: { namespaceId: "ns-1", name: "acme-corp-web" } }), "aws_service_discovery_service")).toMatchObject({
      name: "acme-corp-web",
      dns_config: { namespace_id: "ns-1", routing_policy: "MULTIVALUE", dns_records: [{ type: "A", ttl: 10 }] },
    });
  });

  it("refuses, with every problem at once, names over their limits, a negative count, a port out of range and a long target group name", () => {
    const long = "a".repeat(253);
    const error = validationError(
      () => new FargateService(emptyStack(), "web", { ...base, serviceName: long, alarmPrefix: `${long}-`, desiredCount: -1, port: 70000, routing: { ...routing, targetGroupName: "t".repeat(33) } }),
    );
    expect(error.problems).toEqual([
      `the CPU scaling policy name "${long}-cpu" is 257 characters long; AWS allows at most 256`,
      `the cpu alarm name "${long}-cpu" is 257 characters long; AWS allows at most 255`,
      `the memory alarm name "${long}-memory" is 260 characters long; AWS allows at most 255`,
      `the 5xx alarm name "${long}-5xx" is 257 characters long; AWS allows at most 255`,
      `the unhealthy alarm name "${long}-unhealthy" is 263 characters long; AWS allows at most 255`,
      "desiredCount must be a whole number of tasks from 0 to 5000, got -1",
      "port must be a port from 1 to 65535, got 70000",
      `routing.targetGroupName must be at most 32 characters (an ELB target group name), got "${"t".repeat(33)}"`,
    ]);
    expect(error.constructPath).toBe("test/web");
  });
});
