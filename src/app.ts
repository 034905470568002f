import { Construct } from "constructs";
import { PlatformConfig } from "./config/schema";
import { PlatformStack } from "./constructs/core/platform-stack";
import { EnvironmentStack } from "../stacks/environment";
import { StateBootstrapStack } from "../stacks/state-bootstrap";
import { CiIdentityStack } from "../stacks/ci-identity";
import { OnboardingStack } from "../stacks/onboarding";

/**
 * Every stack of a platform config, in the order they are first applied. Pure: it only adds
 * constructs to `scope`, so tests build exactly what `npm run synth` builds.
 */
export function buildPlatform(scope: Construct, config: PlatformConfig): PlatformStack[] {
  const stacks: PlatformStack[] = [];
  if (config.backend.kind === "s3") stacks.push(new StateBootstrapStack(scope, config));
  stacks.push(new CiIdentityStack(scope, config));
  for (const stage of Object.keys(config.stages)) stacks.push(new EnvironmentStack(scope, config, stage));
  for (const service of config.services) stacks.push(new OnboardingStack(scope, config, service));
  return stacks;
}
