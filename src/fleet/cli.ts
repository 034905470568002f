import * as path from "path";
import { CliIo, CommandSpec, FileError, OptionSpec, UsageError, checkFolder, formatHelp, parseArgs, runAsMain, shownPath, valueOf } from "../cli/args";
import { FleetConfig } from "../config/fleet-schema";
import { ConfigError, configFileFrom, loadConfigFile } from "../config/loader";
import { PlatformConfig } from "../config/schema";
import { fleetLoadBalancerName, stackNames } from "@acme/apps-platform-constructs/naming";
import { PROJECT_ROOT } from "../paths";
import { capacityReport, formatCapacity } from "./capacity";
import { PLACEMENT_LOCK, lockOfProduct, placementLockProblem, readPlacementLock } from "./lock-file";
import { FleetStage, apexServices, fleetStage, loadBalancerCapacity, webServices } from "./model";
import { PlacementLock, tenantsPerLoadBalancer } from "./placement";

/**
 * `npm run fleet -- <command>`: what a tenant fleet looks like from its config and placement lock,
 * without synthesizing anything: quota use per stage (capacity), the rollout waves (waves), and each
 * tenant's place on the shared load balancers (placement). It reads the config and the lock and
 * writes nothing. Exit codes: 0 printed; 2 wrong use (an unknown command, flag or stage, a config
 * file that cannot be read, is invalid or has no fleet).
 */

export type FleetIo = CliIo;

const STAGE: OptionSpec = { name: "--stage", value: "<stage>", description: "a stage of the fleet (fleet.stages)" };
const CONFIG: OptionSpec = { name: "--config", value: "<file>", description: "the platform config, with a fleet: section", env: "PLATFORM_CONFIG", default: "config/example.yaml" };
const GENERATED: OptionSpec = {
  name: "--generated",
  value: "<dir>",
  description: `where the placement lock ${PLACEMENT_LOCK} is read (npm run synth writes it there); without one, places are those a first synth gives`,
  default: "generated",
};
const JSON_OUTPUT: OptionSpec = { name: "--json", description: "print JSON instead of text (its shape is in docs/fleet.md)" };

interface FleetCommand {
  readonly name: "capacity" | "waves" | "placement";
  readonly description: string;
  readonly spec: CommandSpec;
  /** Whether --stage must be given; otherwise every fleet stage is shown. */
  readonly stageRequired: boolean;
}

const command = (name: FleetCommand["name"], description: string, summary: string, options: OptionSpec[], stageRequired: boolean): FleetCommand => ({
  name,
  description,
  stageRequired,
  spec: { command: `npm run fleet -- ${name}`, summary, options },
});

export const FLEET_COMMANDS: readonly FleetCommand[] = [
  command(
    "capacity",
    "quota use per fleet stage, and the tenants to move to an account of their own when a quota is close",
    "Prints, per fleet stage (or the one of --stage), the use of each quota that binds in the stage account and, when one is above fleet.quotas.moveThreshold, the tenants to move to an account of their own.",
    [{ ...STAGE, default: "every fleet stage" }, CONFIG, GENERATED],
    false,
  ),
  command(
    "waves",
    "the rollout waves of a stage in promotion order, each with its image and tenants (needs --stage)",
    "Prints the rollout waves of a fleet stage in promotion order, each with its image tag and the tenants (in config order) that run it, paused ones marked, with the load balancer each sits on.",
    [{ ...STAGE, description: "the fleet stage (required)" }, JSON_OUTPUT, CONFIG, GENERATED],
    true,
  ),
  command(
    "placement",
    "which tenant is on which load balancer and position, with its listener rule priorities",
    "Prints, per fleet stage (or the one of --stage), each load balancer with the control plane's rules and each tenant's position and listener rule priorities, and what the next synth changes in the placement lock.",
    [{ ...STAGE, default: "every fleet stage" }, CONFIG, GENERATED],
    false,
  ),
];

export const FLEET_COMMAND: CommandSpec = {
  command: "npm run fleet --",
  summary: "Shows a tenant fleet from the platform config and its placement lock, writing nothing. `npm run fleet -- <command> --help` lists a command's options.",
  subcommands: FLEET_COMMANDS.map((c) => ({ name: c.name, description: c.description })),
  options: [
    { ...STAGE, description: "a stage of the fleet: required by waves; capacity and placement show every fleet stage without it" },
    { ...JSON_OUTPUT, description: "waves only: print JSON instead of text (its shape is in docs/fleet.md)" },
    CONFIG,
    GENERATED,
  ],
};

/** One tenant in the `waves` report. */
export interface WaveTenant {
  readonly id: string;
  readonly tier: "pool" | "silo";
  /** Paused itself or by its stage: its services run no tasks. */
  readonly paused: boolean;
  /** The load balancer it sits on, 1-based (as in its stack's provisioning output and the fleet contract). */
  readonly loadBalancer: number;
  /** Its stack: `tenant-<id>-<stage>`. */
  readonly stack: string;
}

export interface Wave {
  /** 1 for the first wave promoted. */
  readonly order: number;
  readonly name: string;
  readonly image: string;
  /** In config order. */
  readonly tenants: readonly WaveTenant[];
}

/** What `waves --json` prints. */
export interface WavesReport {
  readonly product: string;
  readonly stage: string;
  readonly routing: FleetConfig["routing"];
  /** The stage is paused (fleet.stages.<stage>.paused): every tenant in it is. */
  readonly paused: boolean;
  /** The lock the places come from, as given; null when there is none. */
  readonly placementLock: string | null;
  readonly waves: readonly Wave[];
}

/** The waves of a fleet stage, in promotion order. */
export function wavesReport(fleet: FleetConfig, stage: FleetStage, placementLock: string | null): WavesReport {
  return {
    product: fleet.product,
    stage: stage.stage,
    routing: fleet.routing,
    paused: stage.paused,
    placementLock,
    waves: fleet.waves.map((w, i) => ({
      order: i + 1,
      name: w.name,
      image: w.image,
      tenants: stage.tenants
        .filter((t) => t.waveIndex === i)
        .map((t) => ({ id: t.tenant.id, tier: t.tenant.tier, paused: t.paused, loadBalancer: t.place.loadBalancer + 1, stack: stackNames.tenant(t.tenant.id, stage.stage) })),
    })),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The waves report as text: one line per wave. */
export function formatWaves(report: WavesReport): string {
  const tenants = report.waves.reduce((n, w) => n + w.tenants.length, 0);
  const lines = [`${report.product} in ${report.stage}: ${plural(report.waves.length, "wave")} in promotion order, ${plural(tenants, "tenant")}`];
  if (report.paused) lines.push(`  the stage is paused (fleet.stages.${report.stage}.paused): none of its tenants runs tasks`);
  for (const w of report.waves) {
    const where = (t: WaveTenant) => [report.routing === "router" ? "router" : `lb ${t.loadBalancer}`, ...(t.paused ? ["paused"] : [])].join(", ");
    const list = w.tenants.map((t) => `${t.id} [${where(t)}]`).join(", ");
    lines.push(`${w.order}. ${w.name}  image ${w.image}  (${plural(w.tenants.length, "tenant")})${list ? `: ${list}` : ""}`);
  }
  lines.push(`promoting a wave (a new image in fleet.waves) plans only its tenants' stacks, tenant-<id>-${report.stage}`);
  return lines.join("\n");
}

/** The placement of a fleet stage as text: per load balancer, the control plane's rules and each tenant's place and priorities. */
export function formatPlacement(fleet: FleetConfig, stage: FleetStage, lock: PlacementLock | undefined): string {
  const capacity = loadBalancerCapacity(fleet);
  const router = fleet.routing === "router";
  const web = router ? [] : webServices(fleet.services);
  const lines = [`${fleet.product} in ${stage.stage}: ${plural(stage.tenants.length, "tenant")} on ${plural(stage.placement.loadBalancers, "load balancer")} (routing ${fleet.routing})`];
  const width = Math.max(0, ...stage.tenants.map((t) => t.tenant.id.length));
  for (let alb = 0; alb < stage.placement.loadBalancers; alb++) {
    const here = stage.tenants.filter((t) => t.place.loadBalancer === alb).sort((a, b) => a.place.position - b.place.position);
    const room = tenantsPerLoadBalancer(capacity, alb);
    const fits = Number.isFinite(room) ? `${here.length} of ${room} places used` : `${plural(here.length, "tenant")}, no rules of their own`;
    lines.push(`  load balancer ${alb + 1} (${fleetLoadBalancerName(fleet.product, stage.stage, alb)}): ${fits}`);
    if (alb === 0) {
      const rules = apexServices(fleet).map((w) => `${w.ruleIndex + 1} ${w.name} (${stage.domain}${w.path ?? ""})`);
      if (router) rules.push(`99 router (*.${stage.domain})`);
      if (rules.length > 0) lines.push(`    control plane: ${rules.join(", ")}`);
    }
    for (const t of here) {
      const rules = router ? "reached through the router" : web.map((w) => `${t.priorities.get(w.name)} ${w.name}`).join(", ");
      lines.push(`    position ${String(t.place.position).padEnd(4)} ${t.tenant.id.padEnd(width)}  ${rules}`);
    }
  }
  const locked = lock?.stages[stage.stage];
  if (locked) {
    const added = stage.tenants.filter((t) => !locked[t.tenant.id] && !stage.placement.moved.includes(t.tenant.id)).map((t) => t.tenant.id);
    if (added.length > 0) lines.push(`  new since the lock (the lowest free places): ${added.join(", ")}`);
    if (stage.placement.moved.length > 0) lines.push(`  moved (their locked place no longer fits the service set or quota): ${stage.placement.moved.join(", ")}`);
    for (const [id, t] of [...stage.placement.removed].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(
        t.allowDestroy
          ? `  gone since the lock: ${id} (its place on load balancer ${t.loadBalancer + 1}, position ${t.position}, is freed)`
          : `  gone since the lock: ${id}, whose data is protected (allowDestroy: false): synth refuses this config until it is destroyed with allowDestroy: true (docs/fleet.md)`,
      );
    }
  }
  return lines.join("\n");
}

interface Context {
  readonly config: PlatformConfig;
  readonly fleet: FleetConfig;
  readonly lock?: PlacementLock;
  /** The lock file as shown to the user, when it is used. */
  readonly lockShown: string | null;
  readonly stages: readonly string[];
}

function header(configFile: string, ctx: Context, generatedDir: string): string {
  const lock = ctx.lockShown ? `placement lock ${ctx.lockShown}` : `no placement lock in ${shownPath(generatedDir)} (places as the first synth gives them)`;
  return `${ctx.fleet.product}: ${shownPath(configFile)}, ${lock}`;
}

/** `npm run fleet -- <command> [options]`: 0 printed, 2 wrong use. */
export function run(argv: string[], env: NodeJS.ProcessEnv, io: FleetIo): number {
  try {
    const args = parseArgs(argv, FLEET_COMMAND);
    const cmd = FLEET_COMMANDS.find((c) => c.name === args.subcommand);
    if (args.help) {
      io.out(formatHelp(cmd ? cmd.spec : FLEET_COMMAND));
      return 0;
    }
    if (!cmd) throw new UsageError(`a command is required: ${FLEET_COMMANDS.map((c) => c.name).join(", ")}`);
    for (const flag of args.values.keys()) {
      if (!cmd.spec.options.some((o) => o.name === flag)) {
        const users = FLEET_COMMANDS.filter((c) => c.spec.options.some((o) => o.name === flag)).map((c) => c.name);
        throw new UsageError(`${flag} is not used by ${cmd.name} (only by ${users.join(", ")})`);
      }
    }
    const configFlag = valueOf(args, "--config");
    const { file: configFile, origin } = configFileFrom(configFlag, env);
    const config = loadConfigFile(configFile, origin);
    if (!config.fleet) {
      io.err(`the platform config ${shownPath(configFile)} has no fleet: section, so there is no tenant fleet to show\n`);
      return 2;
    }
    const fleet = config.fleet;
    const fleetStageNames = Object.keys(fleet.stages);
    const stage = valueOf(args, "--stage");
    if (stage === undefined && cmd.stageRequired) throw new UsageError(`--stage is required for ${cmd.name}: one of the fleet's stages, ${fleetStageNames.join(", ")}`);
    if (stage !== undefined && !fleetStageNames.includes(stage)) {
      const platform = config.stages[stage] ? ` (a stage of the platform the fleet is not in)` : "";
      throw new UsageError(`unknown stage ${JSON.stringify(stage)}${platform}: the fleet's stages are ${fleetStageNames.join(", ")} (fleet.stages)`);
    }

    const givenGenerated = valueOf(args, "--generated");
    const generatedDir = path.resolve(givenGenerated ?? path.join(PROJECT_ROOT, "generated"));
    // A folder named that is not there (or no folder) is a mistake; the default one may be missing before the first synth.
    if (givenGenerated !== undefined) checkFolder(generatedDir, "the folder of the generated HCL", `${shownPath(generatedDir)} (from --generated)`);
    const file = readPlacementLock(generatedDir);
    const lockFile = shownPath(path.join(generatedDir, PLACEMENT_LOCK));
    // What synth refuses to place tenants with, the fleet's reports refuse too: they show what synth would do.
    const lockProblem = placementLockProblem(fleet.product, file, generatedDir);
    if (lockProblem) throw new FileError(lockFile, lockProblem);
    const lock = lockOfProduct(file.lock, fleet.product);
    const ctx: Context = { config, fleet, lock, lockShown: lock ? lockFile : null, stages: stage ? [stage] : fleetStageNames };

    switch (cmd.name) {
      case "capacity": {
        const reports = ctx.stages.map((st) => formatCapacity(fleet, capacityReport(config as unknown as Record<string, unknown>, fleet, fleetStage(fleet, st, lock))));
        io.out(`${header(configFile, ctx, generatedDir)}\n\n${reports.join("\n\n")}\n`);
        return 0;
      }
      case "waves": {
        const report = wavesReport(fleet, fleetStage(fleet, stage!, lock), ctx.lockShown);
        io.out(valueOf(args, "--json") !== undefined ? `${JSON.stringify(report, null, 2)}\n` : `${header(configFile, ctx, generatedDir)}\n\n${formatWaves(report)}\n`);
        return 0;
      }
      case "placement": {
        const stages = ctx.stages.map((st) => formatPlacement(fleet, fleetStage(fleet, st, lock), lock));
        io.out(`${header(configFile, ctx, generatedDir)}\n\n${stages.join("\n\n")}\n`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run fleet: ${err.message} (see --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof FileError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) runAsMain((io) => run(process.argv.slice(2), process.env, io));
