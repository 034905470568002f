import { Construct } from "constructs";
import { ApprunnerAutoScalingConfigurationVersion } from "@cdktf/provider-aws/lib/apprunner-auto-scaling-configuration-version";
import { ApprunnerService } from "@cdktf/provider-aws/lib/apprunner-service";
import { WebContainer } from "./web-container";

/** An App Runner service. */
export interface AppRunnerServiceProps {
  /** The service's name. */
  readonly name: string;
  /** The auto scaling configuration's name (at most 32 characters). */
  readonly autoScalingName: string;
  /** `<repository url>:<tag>`. */
  readonly imageIdentifier: string;
  /** What runs: port, size, health check, scaling bounds, variables. */
  readonly container: WebContainer;
  /** The instance role: the service's execution role. */
  readonly instanceRoleArn: string;
  /** The role App Runner pulls the image with: the service's ECR access role. */
  readonly accessRoleArn: string;
  /** The key App Runner encrypts the service's source and logs with. */
  readonly kmsKeyArn: string;
  /**
   * Route outbound traffic through the VPC (needed to reach a database), with the VPC connector
   * onboarding made for the service. @default public egress
   */
  readonly vpcConnectorArn?: string;
}

/** An App Runner service on an ECR image, with its auto scaling configuration and optional VPC connector. */
export class AppRunnerService extends Construct {
  public readonly service: ApprunnerService;
  public readonly url: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: AppRunnerServiceProps) {
    super(scope, id);
    const c = props.container;
    const scaling = new ApprunnerAutoScalingConfigurationVersion(this, "auto-scaling", {
      autoScalingConfigurationName: props.autoScalingName,
      minSize: c.minInstances,
      maxSize: c.maxInstances,
      maxConcurrency: 100,
    });
    this.service = new ApprunnerService(this, "service", {
      serviceName: props.name,
      autoScalingConfigurationArn: scaling.arn,
      sourceConfiguration: {
        authenticationConfiguration: { accessRoleArn: props.accessRoleArn },
        // Deployments follow the tag in the configuration, never a push: what runs is what was planned.
        autoDeploymentsEnabled: false,
        imageRepository: {
          imageIdentifier: props.imageIdentifier,
          imageRepositoryType: "ECR",
          imageConfiguration: {
            port: String(c.port),
            runtimeEnvironmentVariables: c.environment,
            runtimeEnvironmentSecrets: c.secrets,
          },
        },
      },
      instanceConfiguration: { cpu: String(c.cpu), memory: String(c.memory), instanceRoleArn: props.instanceRoleArn },
      healthCheckConfiguration: { protocol: "HTTP", path: c.healthCheckPath },
      encryptionConfiguration: { kmsKey: props.kmsKeyArn },
      networkConfiguration: props.vpcConnectorArn
        ? { egressConfiguration: { egressType: "VPC", vpcConnectorArn: props.vpcConnectorArn } }
        : { egressConfiguration: { egressType: "DEFAULT" } },
    });
    this.url = `https://${this.service.serviceUrl}`;
    this.arn = this.service.arn;
  }
}
