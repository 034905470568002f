import { Construct } from "constructs";
import { PlatformConfig } from "./config/schema";
import type { PlatformStack } from "../stacks/platform-stack";
import { onboardedStages } from "./policy/ci";
import { stackNames } from "@acme/apps-platform-constructs/naming";
import { fleetStages } from "./fleet/model";
import { PlacementLock } from "./fleet/placement";
import { TFC_STACK } from "./tfc/names";

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The stack modules, each loaded when a stack of its kind is first built: a synth that reuses its
 * stacks from the cache loads none, and one that builds a service's stack only that one's.
 */
const kinds = {
  stateBootstrap: () => require("../stacks/state-bootstrap") as typeof import("../stacks/state-bootstrap"),
  tfc: () => require("../stacks/tfc") as typeof import("../stacks/tfc"),
  ciIdentity: () => require("../stacks/ci-identity") as typeof import("../stacks/ci-identity"),
  environment: () => require("../stacks/environment") as typeof import("../stacks/environment"),
  onboarding: () => require("../stacks/onboarding") as typeof import("../stacks/onboarding"),
  service: () => require("../stacks/service") as typeof import("../stacks/service"),
  ephemeral: () => require("../stacks/ephemeral") as typeof import("../stacks/ephemeral"),
  fleet: () => require("../stacks/fleet") as typeof import("../stacks/fleet"),
  tenant: () => require("../stacks/tenant") as typeof import("../stacks/tenant"),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Loads every stack module now: a synth worker does it while it waits for the stacks it is to build. */
export function loadStackModules(): void {
  for (const load of Object.values(kinds)) load();
}
import { FleetStage } from "./fleet/model";
import { guarded, omitted } from "./synth-inputs";

/** Which stacks of a config to build: a shard (every n-th), the names listed, or both (the shard of those). */
export interface StackSelection {
  readonly shard?: Shard;
  readonly names?: ReadonlySet<string>;
}

/**
 * Every stack of a platform config, in the order they are first applied. Pure: it only adds
 * constructs to `scope`, so tests build exactly what `npm run synth` builds. Each stack is given the
 * config with the fields its factory leaves out guarded (see src/synth-inputs.ts).
 */
export function buildPlatform(scope: Construct, config: PlatformConfig, selection?: Shard | StackSelection, placementLock?: PlacementLock): PlatformStack[] {
  return selectedFactories(stackFactories(config, placementLock), selection).map((s) => {
    const stack = s.create(scope, guardedConfig(config, s));
    if (stack.node.id !== s.name) throw new Error(`stack ${stack.node.id} is listed as ${s.name}`);
    return stack;
  });
}

export function selectedFactories(factories: StackFactory[], selection?: Shard | StackSelection): StackFactory[] {
  const sel: StackSelection | undefined = selection && "count" in selection ? { shard: selection } : selection;
  const named = sel?.names ? factories.filter((f) => sel.names!.has(f.name)) : factories;
  return named.filter((_, i) => !sel?.shard || i % sel.shard.count === sel.shard.index);
}

/** One of `count` disjoint parts of the stacks, for synthesizing them in parallel processes. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Config fields a factory may declare it never reads: the lists whose entries have stacks of their own. */
export type LeftOut = "services" | "fleet.tenants";

/** A stack's name (its folder in generated/), how to build it, and what it is built from. */
export interface StackFactory {
  readonly name: string;
  /** The factory: the kind of stack (`onboarding`, `tenant`, ...). */
  readonly kind: string;
  /** Fields of the config the stack never reads: left out of its inputs hash and unreadable while it is built. */
  readonly leftOut: readonly LeftOut[];
  /** The stack's own inputs besides the config (its service entry, stage, tenant and placement), for its inputs hash. */
  readonly own: unknown;
  readonly create: (scope: Construct, config: PlatformConfig) => PlatformStack;
}

/** The config as a stack of this factory sees it: its left-out fields throw when read. */
export function guardedConfig(config: PlatformConfig, factory: Pick<StackFactory, "name" | "leftOut">): PlatformConfig {
  if (factory.leftOut.length === 0) return config;
  const top = factory.leftOut.filter((f) => !f.includes("."));
  const fleet = factory.leftOut.filter((f) => f.startsWith("fleet.")).map((f) => f.slice("fleet.".length));
  const guardedFleet = config.fleet && fleet.length > 0 ? guarded(config.fleet, fleet, factory.name, "fleet.") : config.fleet;
  const copy = guarded(config, top, factory.name, "");
  return guardedFleet === config.fleet ? copy : Object.defineProperty(copy, "fleet", { value: guardedFleet, enumerable: true });
}

/** The config as hashed for a factory: without its left-out fields. */
export function hashedConfig(config: PlatformConfig, leftOut: readonly LeftOut[]): Record<string, unknown> {
  const top = leftOut.filter((f) => !f.includes("."));
  const fleet = leftOut.filter((f) => f.startsWith("fleet.")).map((f) => f.slice("fleet.".length));
  const out = omitted(config, top);
  if (config.fleet && fleet.length > 0 && "fleet" in out) out.fleet = omitted(config.fleet, fleet);
  return out;
}

/** The fleet stage as a tenant's stack sees it: the other tenants and the stage's placement are not its inputs (its own place is). */
const tenantView = (fs: FleetStage, stack: string): FleetStage => guarded(fs, ["tenants", "placement"], stack, "the fleet stage's ");

export function stackFactories(config: PlatformConfig, placementLock?: PlacementLock): StackFactory[] {
  const f = (name: string, kind: string, leftOut: readonly LeftOut[], own: unknown, create: (scope: Construct, config: PlatformConfig) => PlatformStack): StackFactory => ({
    name,
    kind,
    leftOut,
    own,
    create,
  });
  // Every factory but the HCP Terraform one (which makes a workspace per stack) reads neither list: a
  // stack of one service or tenant is given its own entry, the fleet stack its stage's tenants.
  const NONE: LeftOut[] = [];
  const LISTS: LeftOut[] = ["services", "fleet.tenants"];
  const fleet = config.fleet ? fleetStages(config.fleet, placementLock) : [];
  return [
    ...(config.backend.kind === "s3" ? [f(stackNames.stateBootstrap(), "state-bootstrap", LISTS, null, (scope, c) => new (kinds.stateBootstrap().StateBootstrapStack)(scope, c))] : []),
    // In HCP Terraform, the workspaces and the runs' AWS identities exist before any stack runs there.
    ...(config.backend.kind === "cloud" ? [f(TFC_STACK, "tfc", NONE, null, (scope, c) => new (kinds.tfc().TfcStack)(scope, c))] : []),
    f(stackNames.ciIdentity(), "ci-identity", LISTS, null, (scope, c) => new (kinds.ciIdentity().CiIdentityStack)(scope, c)),
    ...Object.keys(config.stages).map((stage) => f(stackNames.environment(stage), "environment", LISTS, { stage }, (scope, c) => new (kinds.environment().EnvironmentStack)(scope, c, stage))),
    ...config.services.map((service) =>
      f(stackNames.onboarding(service.slug), "onboarding", LISTS, { service }, (scope, c) => new (kinds.onboarding().OnboardingStack)(scope, c, service)),
    ),
    // A service stack once the service says what to run; until then onboarding is all there is.
    ...config.services
      .filter((service) => service.web)
      .flatMap((service) =>
        onboardedStages(config, service).map((stage) =>
          f(stackNames.service(service.slug, stage), "service", LISTS, { service, stage }, (scope, c) => new (kinds.service().ServiceStack)(scope, c, service, stage)),
        ),
      ),
    ...(config.ephemeral ? [f(stackNames.ephemeral(), "ephemeral", LISTS, null, (scope, c) => new (kinds.ephemeral().EphemeralStack)(scope, c))] : []),
    ...Object.keys(config.ephemeral?.stableStages ?? {}).map((name) => f(stackNames.authorizer(name), "authorizer", LISTS, { name }, (scope, c) => new (kinds.ephemeral().AuthorizerStack)(scope, c, name))),
    // A fleet stage before its tenants: they attach to its load balancers and read its contract.
    ...fleet.flatMap((fs) => [
      f(stackNames.fleet(fs.stage), "fleet", LISTS, { fleetStage: fs }, (scope, c) => new (kinds.fleet().FleetStack)(scope, c, fs)),
      ...fs.tenants.map((t) => {
        const name = stackNames.tenant(t.tenant.id, fs.stage);
        return f(name, "tenant", LISTS, { fleetStage: omitted(fs, ["tenants", "placement"]), tenant: t }, (scope, c) => new (kinds.tenant().TenantStack)(scope, c, tenantView(fs, name), t));
      }),
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
