import { Construct } from "constructs";
import { AppsPlatformStack, AppsPlatformStackProps } from "@acme/apps-platform-constructs/core";
import { PlatformConfig } from "../src/config/schema";

export { DYNAMIC_CREDENTIALS_VARIABLE, OutputDescriptionError, REQUIRED_TERRAFORM_VERSION, UndescribedOutput } from "@acme/apps-platform-constructs/core";

export interface PlatformStackProps extends Omit<AppsPlatformStackProps, "region" | "backend"> {
  readonly config: PlatformConfig;
}

/**
 * A stack of the platform: the library's AppsPlatformStack (backend, workspace guard, mandatory tags,
 * Terraform version, described outputs) with the region and backend of the platform config.
 * The Terraform version range is tested against .terraform-version in test/stacks/platform-stack.test.ts.
 */
export class PlatformStack extends AppsPlatformStack {
  public readonly config: PlatformConfig;

  constructor(scope: Construct, name: string, props: PlatformStackProps) {
    const { config, ...rest } = props;
    super(scope, name, { ...rest, region: config.region, backend: config.backend });
    this.config = config;
  }
}
