import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { CommandSpec, UsageError, formatHelp, parseArgs, valueOf } from "../src/cli/args";
import { PROJECT_ROOT } from "../src/paths";

/**
 * `npm run bench`: synthesizes configs of 1, 50, 500 and 2,000 services, and a tenant fleet of 250
 * tenants in both of its stages, generated from the example, the project's way (`npm run synth`:
 * incremental tsc, then the compiled app, with an empty cache) and the naive way (`cdktf synth`
 * running a plain CDKTF app of the same stacks, bench/naive-app.ts, with ts-node); then the
 * incremental case: one service added to the largest config, synthesized again with the cache of
 * its first synth. It prints wall time, CPU time and peak RSS, and checks that both ways wrote the
 * same main.tf for every stack.
 */

export const BENCH_COMMAND: CommandSpec = {
  command: "npm run bench --",
  summary: "Times npm run synth against cdktf synth with ts-node on configs of many services and on a large tenant fleet; prints Markdown tables.",
  options: [
    { name: "--sizes", value: "<n,n,...>", description: "the numbers of services to synthesize, comma-separated", env: "BENCH_SIZES", default: "1,50,500,2000" },
    { name: "--fleet", value: "<tenants>", description: "the tenants of the fleet to synthesize, each in both fleet stages (0: no fleet run)", env: "BENCH_FLEET", default: "250" },
    { name: "--naive-max", value: "<services>", description: "run the naive way only for configs of at most this many services", env: "BENCH_NAIVE_MAX", default: "2000" },
    { name: "--no-incremental", description: "leave out the incremental case (one service added to the largest size, synthesized with the cache)" },
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

/** The project's path: exactly what `npm run synth` runs, with the cache in `cache`. */
function projectWay(config: string, out: string, cache: string): Measurement {
  return measure(
    ["npm", "run", "--silent", "synth", "--", "--config", config, "--out", `${out}/cdktf.out`, "--generated", `${out}/generated`, "--cache", cache],
    PROJECT_ROOT,
  );
}

/** The naive path: `cdktf synth` with a plain CDKTF app of the same stacks (bench/naive-app.ts) run through ts-node. */
function naiveWay(config: string, out: string): Measurement {
  fs.mkdirSync(out, { recursive: true });
  const app = [
    path.join(BIN, "ts-node"),
    "--project",
    path.join(PROJECT_ROOT, "tsconfig.json"),
    path.join(PROJECT_ROOT, "bench", "naive-app.ts"),
    config,
    path.join(out, "generated"),
  ].join(" ");
  fs.writeFileSync(path.join(out, "cdktf.json"), JSON.stringify({ language: "typescript", app, sendCrashReports: "false" }));
  return measure([path.join(BIN, "cdktf"), "synth", "--output", path.join(out, "cdktf.out")], out);
}

/** Throws unless both ways wrote the same main.tf (and Lambda package) for every stack. */
function sameStacks(fast: string, naive: string): void {
  const stacks = fs.readdirSync(fast, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const other = fs.readdirSync(naive, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  if (stacks.sort().join() !== other.sort().join()) throw new Error(`npm run synth and the naive way wrote different stacks into ${fast} and ${naive}`);
  for (const stack of stacks) {
    for (const file of fs.readdirSync(path.join(naive, stack))) {
      if (!fs.readFileSync(path.join(fast, stack, file)).equals(fs.readFileSync(path.join(naive, stack, file)))) {
        throw new Error(`npm run synth and the naive way wrote different ${stack}/${file}`);
      }
    }
  }
}

const cells = (m: Measurement) => `${m.wall.toFixed(2)} s | ${m.cpu.toFixed(1)} s | ${m.peakMiB.toFixed(0)} MiB`;
const NO_NAIVE = "– | – | – | – |";

/** Synthesizes one config both ways (the naive one when `naive`) and returns its table row's cells after the first. */
function bothWays(config: string, name: string, naive: boolean): { row: string; naive?: Measurement } {
  const fast = projectWay(config, path.join(WORK, `fast-${name}`), path.join(WORK, `cache-${name}`));
  const stacks = stackFolders(path.join(WORK, `fast-${name}`, "generated"));
  if (!naive) return { row: `${stacks} | ${cells(fast)} | ${NO_NAIVE}` };
  const slow = naiveWay(config, path.join(WORK, `naive-${name}`));
  sameStacks(path.join(WORK, `fast-${name}`, "generated"), path.join(WORK, `naive-${name}`, "generated"));
  return { row: `${stacks} | ${cells(fast)} | ${cells(slow)} | ${(slow.wall / fast.wall).toFixed(1)}× |`, naive: slow };
}

/**
 * One service added to the config of `size` services synthesized by bothWays: `npm run synth` again
 * with the same outputs and cache. Beside it, the naive way's full synth of the config before.
 */
function incremental(size: number, naive: Measurement | undefined): string {
  const name = String(size);
  const file = path.join(WORK, `services-${size}.yaml`);
  const raw = YAML.parse(fs.readFileSync(file, "utf8"));
  raw.services.push({ slug: "svc-added", gitlabProjectPath: "acme/services/svc-added", branchRestriction: "protected" });
  fs.writeFileSync(file, YAML.stringify(raw));
  const fast = projectWay(file, path.join(WORK, `fast-${name}`), path.join(WORK, `cache-${name}`));
  const stacks = stackFolders(path.join(WORK, `fast-${name}`, "generated"));
  return `${stacks} | ${cells(fast)} | ${naive ? `${cells(naive)} | ${(naive.wall / fast.wall).toFixed(1)}× |` : NO_NAIVE}`;
}

function main(argv: string[]): number {
  let SIZES: number[];
  let FLEET: number;
  let NAIVE_MAX: number;
  let INCREMENTAL: boolean;
  try {
    const args = parseArgs(argv, BENCH_COMMAND);
    if (args.help) {
      process.stdout.write(formatHelp(BENCH_COMMAND));
      return 0;
    }
    const flag = valueOf(args, "--sizes");
    SIZES = benchSizes(flag ?? process.env.BENCH_SIZES ?? "1,50,500,2000", flag !== undefined ? "--sizes" : "BENCH_SIZES");
    const fleetFlag = valueOf(args, "--fleet");
    FLEET = benchFleet(fleetFlag ?? process.env.BENCH_FLEET ?? "250", fleetFlag !== undefined ? "--fleet" : "BENCH_FLEET");
    const naiveFlag = valueOf(args, "--naive-max");
    NAIVE_MAX = benchFleet(naiveFlag ?? process.env.BENCH_NAIVE_MAX ?? "2000", naiveFlag !== undefined ? "--naive-max" : "BENCH_NAIVE_MAX");
    INCREMENTAL = !args.values.has("--no-incremental");
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
  const columns = "npm run synth: wall | CPU | peak RSS | naive (cdktf synth + ts-node): wall | CPU | peak RSS | speed-up (wall) |";
  const align = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  rows.push(`| services | stacks | ${columns}`, align);
  const naiveOf = new Map<number, Measurement>();
  for (const size of SIZES) {
    const result = bothWays(configWithServices(size), String(size), size <= NAIVE_MAX);
    if (result.naive) naiveOf.set(size, result.naive);
    const row = `| ${size} | ${result.row}`;
    rows.push(row);
    process.stdout.write(`${row}\n`);
  }
  if (FLEET > 0) {
    const row = `| ${FLEET} × 2 | ${bothWays(configWithFleet(FLEET), `fleet-${FLEET}`, true).row}`;
    rows.push("", `| fleet tenants × stages | stacks | ${columns}`, align, row);
    process.stdout.write(`${row}\n`);
  }
  if (INCREMENTAL && SIZES.length > 0) {
    const size = Math.max(...SIZES);
    const row = `| one added to ${size} | ${incremental(size, naiveOf.get(size))}`;
    rows.push(
      "",
      `| incremental: services | stacks | npm run synth (cache of the synth above): wall | CPU | peak RSS | naive: the full synth above: wall | CPU | peak RSS | speed-up (wall) |`,
      align,
      row,
    );
    process.stdout.write(`${row}\n`);
  }
  process.stdout.write(`\n${rows.join("\n")}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
