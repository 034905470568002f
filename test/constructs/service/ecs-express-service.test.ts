import { EcsExpressService, EcsExpressServiceProps, webContainer } from "@acme/apps-platform-constructs/service";
import { one, synthWith } from "../helpers";

const base: EcsExpressServiceProps = {
  name: "orders-dev",
  cluster: "default",
  image: "222222222222.dkr.ecr.eu-central-1.amazonaws.com/apps-platform/orders/dev:1.0.0",
  container: webContainer({ port: 3000, cpu: 512, memory: 1024, environment: { LOG_LEVEL: "info" }, secrets: { TOKEN: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:x" } }),
  executionRoleArn: "arn:aws:iam::222222222222:role/apps-platform/execution/orders-dev-exec",
  infrastructureRoleArn: "arn:aws:iam::222222222222:role/apps-platform/infrastructure/orders-dev-infra",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-0service"],
  logGroupName: "/apps-platform/dev/orders/web",
  kmsKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/1111",
};

describe("EcsExpressService", () => {
  const json = synthWith((stack) => new EcsExpressService(stack, "ecs-express", base));
  const service = one(json, "aws_ecs_express_gateway_service");

  it("runs Fargate tasks in the private subnets and the service's group, as the execution role, managed with the infrastructure role", () => {
    expect(service).toMatchObject({
      service_name: "orders-dev",
      cluster: "default",
      execution_role_arn: base.executionRoleArn,
      task_role_arn: base.executionRoleArn,
      infrastructure_role_arn: base.infrastructureRoleArn,
      cpu: "512",
      memory: "1024",
      health_check_path: "/health",
      network_configuration: [{ subnets: ["subnet-a", "subnet-b"], security_groups: ["sg-0service"] }],
    });
  });

  it("scales on CPU between the container's bounds", () => {
    expect(service.scaling_target).toEqual([{ min_task_count: 1, max_task_count: 2, auto_scaling_metric: "AVERAGE_CPU", auto_scaling_target_value: 60 }]);
  });

  it("passes variables plainly and secrets by ARN, and logs into a KMS-encrypted group of its own kept a year", () => {
    const [container] = service.primary_container;
    expect(container).toMatchObject({ image: base.image, container_port: 3000, environment: [{ name: "LOG_LEVEL", value: "info" }], secret: [{ name: "TOKEN", value_from: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:x" }] });
    expect(container.aws_logs_configuration).toEqual([{ log_group: expect.stringMatching(/aws_cloudwatch_log_group\..*\.name/), log_stream_prefix: "web" }]);
    expect(one(json, "aws_cloudwatch_log_group")).toEqual({ name: base.logGroupName, retention_in_days: 365, kms_key_id: base.kmsKeyArn });
  });

  it("answers on the endpoint ECS gives its load balancer", () => {
    synthWith((stack) => expect(new EcsExpressService(stack, "ecs-express", base).url).toMatch(/^https:\/\/\$\{TfToken/));
  });
});
