import { Construct } from "constructs";
import { ApprunnerAutoScalingConfigurationVersion } from "@cdktf/provider-aws/lib/apprunner-auto-scaling-configuration-version";
import { ApprunnerService } from "@cdktf/provider-aws/lib/apprunner-service";
import { ApprunnerVpcConnector } from "@cdktf/provider-aws/lib/apprunner-vpc-connector";
import { WebContainer } from "./web-container";

export interface AppRunnerServiceProps {
  /** Service, auto scaling configuration and VPC connector name. */
  readonly name: string;
  /** `<repository url>:<tag>`. */
  readonly imageIdentifier: string;
  readonly container: WebContainer;
  /** The instance role: the service's execution role. */
  readonly instanceRoleArn: string;
  /** The role App Runner pulls the image with: the service's ECR access role. */
  readonly accessRoleArn: string;
  readonly kmsKeyArn: string;
  /** Route outbound traffic through the VPC (needed to reach a database). @default public egress */
  readonly vpcEgress?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
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
      autoScalingConfigurationName: props.name,
      minSize: c.minInstances,
      maxSize: c.maxInstances,
      maxConcurrency: 100,
    });
    const connector = props.vpcEgress
      ? new ApprunnerVpcConnector(this, "vpc-connector", {
          vpcConnectorName: props.name,
          subnets: props.vpcEgress.subnetIds,
          securityGroups: props.vpcEgress.securityGroupIds,
        })
      : undefined;
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
      networkConfiguration: connector
        ? { egressConfiguration: { egressType: "VPC", vpcConnectorArn: connector.arn } }
        : { egressConfiguration: { egressType: "DEFAULT" } },
    });
    this.url = `https://${this.service.serviceUrl}`;
    this.arn = this.service.arn;
  }
}
