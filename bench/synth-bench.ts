import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { CommandSpec, UsageError, formatHelp, parseArgs, valueOf } from "../src/cli/args";
import { PROJECT_ROOT } from "../src/paths";

/**
 * `npm run bench`: synthesizes configs of 1, 50 and 500 services, and a tenant fleet of 250 tenants
 * in both of its stages, generated from the example, the project's way (`npm run synth`:
 * incremental tsc, then the compiled app) and the naive way (`cdktf synth` running the TypeScript
 * sources with ts-node), and prints wall time, CPU time and peak RSS.
 */

export const BENCH_COMMAND: CommandSpec = {
  command: "npm run bench --",
  summary: "Times npm run synth against cdktf synth with ts-node on configs of many services and on a large tenant fleet; prints Markdown tables.",
  options: [
    { name: "--sizes", value: "<n,n,...>", description: "the numbers of services to synthesize, comma-separated", env: "BENCH_SIZES", default: "1,50,500" },
    { name: "--fleet", value: "<tenants>", description: "the tenants of the fleet to synthesize, each in both fleet stages (0: no fleet run)", env: "BENCH_FLEET", default: "250" },
  ],
};

/** The fleet size of `--fleet` or BENCH_FLEET: a whole number, 0 for none. */
export function benchFleet(text: string, from: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text.trim())) throw new UsageError(`${from} must be a whole number of tenants (0 for no fleet run), e.g. 250, got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

/** The sizes of `--sizes` or BENCH_SIZES: positive whole numbers. */
export function benchSizes(text: string, from: string): number[] {
  const sizes = text.split(",").map((s) => s.trim());
  if (sizes.some((s) => !/^[1-9][0-9]*$/.test(s))) throw new UsageError(`${from} must be positive whole numbers separated by commas, e.g. 1,50, got ${JSON.stringify(text)}`);
  return sizes.map(Number);
}
const WORK = path.join(PROJECT_ROOT, ".tmp", "bench");
const BIN = path.join(PROJECT_ROOT, "node_modules", ".bin");

interface Measurement {
  readonly wall: number;
  /** User and system CPU seconds of every process of the run. */
  readonly cpu: number;
  readonly peakMiB: number;
}

/**
 * The example with `count` services and without its fleet: the fleet is measured on its own, and
 * 500 services' roles (five each per stage account) are over the IAM roles quota its checks count.
 */
function configWithServices(count: number): string {
  const example = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "config", "example.yaml"), "utf8"));
  delete example.fleet;
  example.services = Array.from({ length: count }, (_, i) => {
    const slug = `svc-${String(i + 1).padStart(4, "0")}`;
    return { slug, gitlabProjectPath: `acme/services/${slug}`, branchRestriction: "protected" };
  });
  const file = path.join(WORK, `services-${count}.yaml`);
  fs.writeFileSync(file, YAML.stringify(example));
  return file;
}

/**
 * The example with `count` fleet tenants in both fleet stages (one in ten a silo, so the stage stays
 * under the Aurora cluster quota) and its services as they are.
 */
function configWithFleet(count: number): string {
  const example = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "config", "example.yaml"), "utf8"));
  example.fleet.tenants = Array.from({ length: count }, (_, i) => ({
    id: `t-${String(i + 1).padStart(4, "0")}`,
    tier: i % 10 === 0 ? "silo" : "pool",
    wave: i < count / 10 ? example.fleet.waves[0].name : example.fleet.waves[example.fleet.waves.length - 1].name,
  }));
  const file = path.join(WORK, `fleet-${count}.yaml`);
  fs.writeFileSync(file, YAML.stringify(example));
  return file;
}

/** The stack folders a synth wrote (the placement lock beside them is a file, not a stack). */
function stackFolders(generated: string): number {
  return fs.readdirSync(generated, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
}

function measure(command: string[], cwd: string): Measurement {
  const result = spawnSync("python3", [path.join(PROJECT_ROOT, "bench", "measure.py"), ...command], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  const parsed = JSON.parse(result.stdout);
  if (parsed.code !== 0) throw new Error(`${command.join(" ")} failed (${parsed.code}):\n${parsed.stderr}`);
  return { wall: parsed.wall, cpu: parsed.cpu, peakMiB: parsed.peakMiB };
}

/** The project's path: exactly what `npm run synth` runs. */
function projectWay(config: string, out: string): Measurement {
  return measure(["npm", "run", "--silent", "synth", "--", "--config", config, "--out", `${out}/cdktf.out`, "--generated", `${out}/generated`], PROJECT_ROOT);
}

/** The naive path: `cdktf synth` with an app that runs the sources through ts-node. */
function naiveWay(config: string, out: string): Measurement {
  fs.mkdirSync(out, { recursive: true });
  const app = [
    path.join(BIN, "ts-node"),
    "--project",
    path.join(PROJECT_ROOT, "tsconfig.json"),
    path.join(PROJECT_ROOT, "src", "main.ts"),
    "--config",
    config,
    "--generated",
    path.join(out, "generated"),
  ].join(" ");
  fs.writeFileSync(path.join(out, "cdktf.json"), JSON.stringify({ language: "typescript", app, sendCrashReports: "false" }));
  return measure([path.join(BIN, "cdktf"), "synth", "--output", path.join(out, "cdktf.out")], out);
}

/** Synthesizes one config both ways and returns its table row's cells after the first. */
function bothWays(config: string, name: string): string {
  const fast = projectWay(config, path.join(WORK, `fast-${name}`));
  const stacks = stackFolders(path.join(WORK, `fast-${name}`, "generated"));
  const naive = naiveWay(config, path.join(WORK, `naive-${name}`));
  const cells = (m: Measurement) => `${m.wall.toFixed(2)} s | ${m.cpu.toFixed(1)} s | ${m.peakMiB.toFixed(0)} MiB`;
  return `${stacks} | ${cells(fast)} | ${cells(naive)} | ${(naive.wall / fast.wall).toFixed(1)}× |`;
}

function main(argv: string[]): number {
  let SIZES: number[];
  let FLEET: number;
  try {
    const args = parseArgs(argv, BENCH_COMMAND);
    if (args.help) {
      process.stdout.write(formatHelp(BENCH_COMMAND));
      return 0;
    }
    const flag = valueOf(args, "--sizes");
    SIZES = benchSizes(flag ?? process.env.BENCH_SIZES ?? "1,50,500", flag !== undefined ? "--sizes" : "BENCH_SIZES");
    const fleetFlag = valueOf(args, "--fleet");
    FLEET = benchFleet(fleetFlag ?? process.env.BENCH_FLEET ?? "250", fleetFlag !== undefined ? "--fleet" : "BENCH_FLEET");
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`npm run bench: ${err.message} (see --help)\n`);
      return 2;
    }
    throw err;
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const rows: string[] = [];
  const columns = "npm run synth: wall | CPU | peak RSS | cdktf synth + ts-node: wall | CPU | peak RSS | speed-up (wall) |";
  const align = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  rows.push(`| services | stacks | ${columns}`, align);
  for (const size of SIZES) {
    const row = `| ${size} | ${bothWays(configWithServices(size), String(size))}`;
    rows.push(row);
    process.stdout.write(`${row}\n`);
  }
  if (FLEET > 0) {
    const row = `| ${FLEET} × 2 | ${bothWays(configWithFleet(FLEET), `fleet-${FLEET}`)}`;
    rows.push("", `| fleet tenants × stages | stacks | ${columns}`, align, row);
    process.stdout.write(`${row}\n`);
  }
  process.stdout.write(`\n${rows.join("\n")}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
