import { AppRunnerService, AppRunnerServiceProps, WEB_SERVICE_DEFAULTS, webContainer } from "@acme/apps-platform-constructs/service";
import { one, synthWith } from "../helpers";

const base: AppRunnerServiceProps = {
  name: "orders-dev",
  autoScalingName: "orders-dev",
  imageIdentifier: "222222222222.dkr.ecr.eu-central-1.amazonaws.com/apps-platform/orders/dev:1.0.0",
  container: webContainer({ environment: { LOG_LEVEL: "info" }, secrets: { TOKEN: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:apps-platform/services/dev/orders/token" } }),
  instanceRoleArn: "arn:aws:iam::222222222222:role/apps-platform/execution/orders-dev-exec",
  accessRoleArn: "arn:aws:iam::222222222222:role/apps-platform/ecr-access/orders-dev-ecr",
  kmsKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/1111",
};
const synth = (props: Partial<AppRunnerServiceProps> = {}) => synthWith((stack) => new AppRunnerService(stack, "app-runner", { ...base, ...props }));

describe("AppRunnerService", () => {
  it("runs the planned image tag, never a push, pulled with the ECR access role", () => {
    const source = one(synth(), "aws_apprunner_service").source_configuration;
    expect(source).toMatchObject({ auto_deployments_enabled: false, authentication_configuration: { access_role_arn: base.accessRoleArn } });
    expect(source.image_repository).toEqual({
      image_identifier: base.imageIdentifier,
      image_repository_type: "ECR",
      image_configuration: { port: "8080", runtime_environment_variables: { LOG_LEVEL: "info" }, runtime_environment_secrets: base.container.secrets },
    });
  });

  it("runs as the execution role at the container's size, checks its health path and encrypts with the platform key", () => {
    const service = one(synth(), "aws_apprunner_service");
    expect(service).toMatchObject({
      service_name: "orders-dev",
      instance_configuration: { cpu: String(WEB_SERVICE_DEFAULTS.cpu), memory: String(WEB_SERVICE_DEFAULTS.memory), instance_role_arn: base.instanceRoleArn },
      health_check_configuration: { protocol: "HTTP", path: "/health" },
      encryption_configuration: { kms_key: base.kmsKeyArn },
    });
  });

  it("scales between the container's bounds under its own configuration", () => {
    const json = synth({ container: webContainer({ minInstances: 2, maxInstances: 5 }) });
    expect(one(json, "aws_apprunner_auto_scaling_configuration_version")).toEqual({ auto_scaling_configuration_name: "orders-dev", min_size: 2, max_size: 5, max_concurrency: 100 });
    expect(one(json, "aws_apprunner_service").auto_scaling_configuration_arn).toMatch(/aws_apprunner_auto_scaling_configuration_version\..*\.arn/);
  });

  it("sends egress through the VPC connector when given one, and to the internet otherwise", () => {
    expect(one(synth(), "aws_apprunner_service").network_configuration).toEqual({ egress_configuration: { egress_type: "DEFAULT" } });
    const connector = "arn:aws:apprunner:eu-central-1:222222222222:vpcconnector/orders-dev/1/abc";
    expect(one(synth({ vpcConnectorArn: connector }), "aws_apprunner_service").network_configuration).toEqual({ egress_configuration: { egress_type: "VPC", vpc_connector_arn: connector } });
  });
});
