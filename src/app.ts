import { Construct } from "constructs";
import { PlatformConfig } from "./config/schema";
import { PlatformStack } from "../stacks/platform-stack";
import { EnvironmentStack } from "../stacks/environment";
import { StateBootstrapStack } from "../stacks/state-bootstrap";
import { CiIdentityStack } from "../stacks/ci-identity";
import { OnboardingStack } from "../stacks/onboarding";
import { ServiceStack } from "../stacks/service";
import { AuthorizerStack, EphemeralStack } from "../stacks/ephemeral";
import { onboardedStages } from "./policy/ci";
import { stackNames } from "@acme/apps-platform-constructs/naming";
import { FleetStack } from "../stacks/fleet";
import { TenantStack } from "../stacks/tenant";
import { fleetStages } from "./fleet/model";
import { PlacementLock } from "./fleet/placement";
import { TfcStack } from "../stacks/tfc";
import { TFC_STACK } from "./tfc/names";

/**
 * Every stack of a platform config, in the order they are first applied. Pure: it only adds
 * constructs to `scope`, so tests build exactly what `npm run synth` builds.
 */
export function buildPlatform(scope: Construct, config: PlatformConfig, shard?: Shard, placementLock?: PlacementLock): PlatformStack[] {
  return stackFactories(config, placementLock)
    .filter((_, i) => !shard || i % shard.count === shard.index)
    .map((s) => {
      const stack = s.create(scope);
      if (stack.node.id !== s.name) throw new Error(`stack ${stack.node.id} is listed as ${s.name}`);
      return stack;
    });
}

/** One of `count` disjoint parts of the stacks, for synthesizing them in parallel processes. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** A stack's name (its folder in generated/) and how to build it. */
interface StackFactory {
  readonly name: string;
  readonly create: (scope: Construct) => PlatformStack;
}

function stackFactories(config: PlatformConfig, placementLock?: PlacementLock): StackFactory[] {
  const f = (name: string, create: (scope: Construct) => PlatformStack): StackFactory => ({ name, create });
  const fleet = config.fleet ? fleetStages(config.fleet, placementLock) : [];
  return [
    ...(config.backend.kind === "s3" ? [f(stackNames.stateBootstrap(), (scope) => new StateBootstrapStack(scope, config))] : []),
    // In HCP Terraform, the workspaces and the runs' AWS identities exist before any stack runs there.
    ...(config.backend.kind === "cloud" ? [f(TFC_STACK, (scope) => new TfcStack(scope, config))] : []),
    f(stackNames.ciIdentity(), (scope) => new CiIdentityStack(scope, config)),
    ...Object.keys(config.stages).map((stage) => f(stackNames.environment(stage), (scope) => new EnvironmentStack(scope, config, stage))),
    ...config.services.map((service) => f(stackNames.onboarding(service.slug), (scope) => new OnboardingStack(scope, config, service))),
    // A service stack once the service says what to run; until then onboarding is all there is.
    ...config.services
      .filter((service) => service.web)
      .flatMap((service) =>
        onboardedStages(config, service).map((stage) => f(stackNames.service(service.slug, stage), (scope) => new ServiceStack(scope, config, service, stage))),
      ),
    ...(config.ephemeral ? [f(stackNames.ephemeral(), (scope) => new EphemeralStack(scope, config))] : []),
    ...Object.keys(config.ephemeral?.stableStages ?? {}).map((name) => f(stackNames.authorizer(name), (scope) => new AuthorizerStack(scope, config, name))),
    // A fleet stage before its tenants: they attach to its load balancers and read its contract.
    ...fleet.flatMap((fs) => [
      f(stackNames.fleet(fs.stage), (scope) => new FleetStack(scope, config, fs)),
      ...fs.tenants.map((t) => f(stackNames.tenant(t.tenant.id, fs.stage), (scope) => new TenantStack(scope, config, fs, t))),
    ]),
  ];
}

/** How many stacks a config has, without building them. */
export function stackCount(config: PlatformConfig): number {
  return stackFactories(config).length;
}

/** The names of the stacks (of one shard) of a config, without building them: their folders in generated/. */
export function stackNamesOf(config: PlatformConfig, shard?: Shard): string[] {
  return stackFactories(config)
    .filter((_, i) => !shard || i % shard.count === shard.index)
    .map((s) => s.name);
}
