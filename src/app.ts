import { Construct } from "constructs";
import { PlatformConfig } from "./config/schema";
import { PlatformStack } from "./constructs/core/platform-stack";
import { EnvironmentStack } from "../stacks/environment";
import { StateBootstrapStack } from "../stacks/state-bootstrap";
import { CiIdentityStack } from "../stacks/ci-identity";
import { OnboardingStack } from "../stacks/onboarding";
import { ServiceStack } from "../stacks/service";
import { EphemeralStack } from "../stacks/ephemeral";
import { onboardedStages } from "./policy/ci";

/**
 * Every stack of a platform config, in the order they are first applied. Pure: it only adds
 * constructs to `scope`, so tests build exactly what `npm run synth` builds.
 */
export function buildPlatform(scope: Construct, config: PlatformConfig, shard?: Shard): PlatformStack[] {
  return stackFactories(config)
    .filter((_, i) => !shard || i % shard.count === shard.index)
    .map((create) => create(scope));
}

/** One of `count` disjoint parts of the stacks, for synthesizing them in parallel processes. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

type StackFactory = (scope: Construct) => PlatformStack;

function stackFactories(config: PlatformConfig): StackFactory[] {
  return [
    ...(config.backend.kind === "s3" ? [(scope: Construct) => new StateBootstrapStack(scope, config)] : []),
    (scope: Construct) => new CiIdentityStack(scope, config),
    ...Object.keys(config.stages).map((stage) => (scope: Construct) => new EnvironmentStack(scope, config, stage)),
    ...config.services.map((service) => (scope: Construct) => new OnboardingStack(scope, config, service)),
    // A service stack once the service says what to run; until then onboarding is all there is.
    ...config.services
      .filter((service) => service.web)
      .flatMap((service) => onboardedStages(config, service).map((stage) => (scope: Construct) => new ServiceStack(scope, config, service, stage))),
    ...(config.ephemeral ? [(scope: Construct) => new EphemeralStack(scope, config)] : []),
  ];
}

/** How many stacks a config has, without building them. */
export function stackCount(config: PlatformConfig): number {
  return stackFactories(config).length;
}
