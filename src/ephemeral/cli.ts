import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CliIo, CommandSpec, FileError, UsageError, checkFolder, formatHelp, parseArgs, readTextFile, runAsMain, shownPath, valueOf } from "../cli/args";
import { ConfigError, configFileFrom, loadConfigFile } from "../config/loader";
import { PROJECT_ROOT } from "../paths";
import { Lifecycle, LifecycleError, STAGE_NAME_RULE, StableStage, TerraformDriver, checkStage, formatStages } from "./lifecycle";
import { stackNames } from "@acme/apps-platform-constructs/naming";
import { TerraformCli, TerraformError } from "./terraform-cli";

export type { CliIo };

/** The subcommands that act on one stage, and so need `--stage`. */
const STAGE_COMMANDS = ["up", "destroy", "outputs"];

export const EPHEMERAL_COMMAND: CommandSpec = {
  command: "npm run ephemeral --",
  summary: "Creates, lists and destroys ephemeral stages: one Terraform workspace of generated/ephemeral per stage.",
  subcommands: [
    { name: "up", description: "create or update a stage (needs --stage, or --stable for a long-lived one); refused beyond ephemeral.maxStages" },
    { name: "destroy", description: "destroy a stage, then delete its workspace (needs --stage; --stable also needs --destroy-stable)" },
    { name: "outputs", description: "print a stage's non-sensitive outputs as JSON (needs --stage or --stable)" },
    { name: "list", description: "list the per-PR stages with their age and time to live" },
    { name: "reap", description: "destroy every per-PR stage past its TTL (ephemeral.ttlHours); never a stable stage" },
  ],
  options: [
    { name: "--stage", value: "<stage>", description: `the stage, e.g. pr-123: ${STAGE_NAME_RULE}` },
    { name: "--stable", value: "<name>", description: "a long-lived stage of ephemeral.stableStages (dev, stage, prod), deployed from generated/authorizer-<name>" },
    { name: "--destroy-stable", description: "with destroy --stable: really destroy a long-lived stage and its data" },
    { name: "--markdown", description: "with outputs: print them as a markdown table (the merge-request note), not JSON" },
    { name: "--config", value: "<file>", description: "the platform config, with an ephemeral: section", env: "PLATFORM_CONFIG", default: "config/example.yaml" },
    { name: "--terraform", value: "<binary>", description: "the terraform binary to run", env: "TERRAFORM", default: "terraform on PATH" },
    { name: "--template", value: "<dir>", description: "the synthesized template", default: "generated/ephemeral, or generated/authorizer-<name> with --stable" },
    { name: "--backend-config", value: "<file>", description: "a -backend-config file for terraform init (an emulator's endpoints)", repeatable: true },
    { name: "--override", value: "<file>", description: "a Terraform override file copied next to main.tf (an emulator's provider settings)", repeatable: true },
  ],
};

/**
 * `npm run ephemeral -- <command> [options]`. Exit codes: 0 done; 1 refused by the lifecycle or
 * failed in terraform; 2 wrong use (bad flag, missing --stage, unreadable or invalid config).
 */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, driver?: TerraformDriver): Promise<number> {
  try {
    const args = parseArgs(argv, EPHEMERAL_COMMAND);
    if (args.help) {
      io.out(formatHelp(EPHEMERAL_COMMAND));
      return 0;
    }
    const command = args.subcommand!;
    const givenStage = valueOf(args, "--stage");
    const stable = valueOf(args, "--stable");
    const destroyStable = args.values.has("--destroy-stable");
    if (givenStage !== undefined && stable !== undefined) throw new UsageError("--stage and --stable name different kinds of stage; give one");
    if (STAGE_COMMANDS.includes(command) && givenStage === undefined && stable === undefined) {
      throw new UsageError(`--stage is required for up, destroy and outputs: ${STAGE_NAME_RULE}, e.g. --stage pr-123 (or --stable <name> for a long-lived stage)`);
    }
    if (!STAGE_COMMANDS.includes(command) && givenStage !== undefined) throw new UsageError(`--stage is not used by ${command}`);
    const stage = givenStage === undefined ? undefined : stageArgument(givenStage);
    if (!STAGE_COMMANDS.includes(command) && stable !== undefined) {
      throw new UsageError(`--stable is not used by ${command}: ${command === "reap" ? "stable stages have no TTL and are never reaped" : "it lists per-PR stages only"}`);
    }
    if (destroyStable && !(command === "destroy" && stable !== undefined)) throw new UsageError("--destroy-stable is only used by destroy --stable <name>");
    const configFlag = valueOf(args, "--config");
    const { file: configFile, origin } = configFileFrom(configFlag, env);
    const config = loadConfigFile(configFile, origin);
    if (!config.ephemeral) {
      io.err("the platform config has no `ephemeral:` section\n");
      return 2;
    }
    const stableStages = config.ephemeral.stableStages ?? {};
    const stableNames = Object.keys(stableStages);
    if (stable !== undefined && !stableNames.includes(stable)) {
      io.err(`--stable ${JSON.stringify(stable)} is not a stable stage: ephemeral.stableStages has ${stableNames.length ? stableNames.join(", ") : "none"}\n`);
      return 2;
    }
    if (stage !== undefined && stableNames.includes(stage)) {
      io.err(`${stage} is a stable stage (ephemeral.stableStages), not a per-PR one: use --stable ${stage}${command === "destroy" ? " --destroy-stable" : ""}\n`);
      return 1;
    }
    if (command === "destroy" && stable !== undefined && !destroyStable) {
      io.err(`refusing to destroy the stable stage ${stable} and its data: add --destroy-stable if that is what you mean\n`);
      return 1;
    }
    const templateName = stable !== undefined ? stackNames.authorizer(stable) : "ephemeral";
    const template = path.resolve(valueOf(args, "--template") ?? path.join(PROJECT_ROOT, "generated", templateName));
    const backendConfig = (args.values.get("--backend-config") ?? []).map((f) => path.resolve(f));
    const overrideFiles = (args.values.get("--override") ?? []).map((f) => path.resolve(f));
    // An empty TERRAFORM (a variable defined without a value) is as good as none.
    const terraformBinary = valueOf(args, "--terraform") ?? (env.TERRAFORM || "terraform");
    const terraformOrigin = valueOf(args, "--terraform") !== undefined ? "--terraform" : env.TERRAFORM ? "TERRAFORM" : undefined;
    if (!driver) checkTerraformInputs(template, valueOf(args, "--template") !== undefined, backendConfig, overrideFiles, terraformBinary, terraformOrigin);
    const terraform =
      driver ??
      new TerraformCli({
        terraform: terraformBinary,
        templateDir: template,
        workDir: workDirOf(template),
        backendConfig,
        overrideFiles,
      });
    const lifecycle = new Lifecycle(terraform, {
      accountAlias: config.ephemeral.accountAlias,
      region: config.region,
      maxStages: config.ephemeral.maxStages,
      ttlHours: config.ephemeral.ttlHours,
    });
    const markdown = args.values.has("--markdown");
    if (markdown && command !== "outputs") throw new UsageError(`--markdown goes with outputs only, got ${command}`);
    const show = (name: string, outputs: Record<string, string>) => io.out(markdown ? outputsMarkdown(name, outputs) : `${JSON.stringify(outputs, null, 2)}\n`);
    if (stable !== undefined) return await runStable(command, stable, new StableStage(terraform, stable), io, show);
    return await runCommand(command, stage, lifecycle, io, show);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run ephemeral: ${err.message} (see --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof FileError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    if (err instanceof LifecycleError || err instanceof TerraformError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The --stage given, checked: a name that is no stage name is wrong use (exit 2), said in one line. */
function stageArgument(stage: string): string {
  try {
    return checkStage(stage);
  } catch (err) {
    if (err instanceof LifecycleError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Where terraform runs a template: a working copy of its own under .tmp/ephemeral, named by the
 * template's folder and a hash of its whole path, so two templates of one name never share one.
 */
export function workDirOf(template: string): string {
  const hash = createHash("sha256").update(path.resolve(template)).digest("hex").slice(0, 8);
  return path.join(PROJECT_ROOT, ".tmp", "ephemeral", `${path.basename(template)}-${hash}`);
}

/**
 * The template and the files given for terraform, checked before anything is copied or run: the
 * template a folder with the synthesized main.tf, each --backend-config and --override a readable file.
 */
function checkTerraformInputs(template: string, given: boolean, backendConfig: readonly string[], overrideFiles: readonly string[], terraform: string, terraformOrigin?: string): void {
  // A path (not a name looked up on PATH) must be a program.
  if (terraform.includes("/")) {
    const shown = `the terraform binary ${terraform}${terraformOrigin ? ` (from ${terraformOrigin})` : ""}`;
    const program = statOf(terraform);
    if (!program) throw new FileError(terraform, `${shown}: not found; install Terraform or name it with --terraform or TERRAFORM`);
    if (program.isDirectory()) throw new FileError(terraform, `${shown}: is a directory, not a program`);
    if ((program.mode & 0o111) === 0) throw new FileError(terraform, `${shown}: is not executable`);
  }
  const shownTemplate = `${shownPath(template)}${given ? " (from --template)" : ""}`;
  checkFolder(template, "the template folder", shownTemplate, given ? "not found" : "not found; run npm run synth first");
  if (!statOf(path.join(template, "main.tf"))?.isFile()) {
    throw new FileError(template, `the template folder ${shownTemplate}: has no main.tf (a folder of generated/, written by npm run synth)`);
  }
  for (const [flag, files] of [["--backend-config", backendConfig], ["--override", overrideFiles]] as const) {
    for (const file of files) readTextFile(file, `the ${flag} file`, shownPath(file));
  }
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

type ShowOutputs = (stage: string, outputs: Record<string, string>) => void;

/** A stage's outputs as the merge request's note shows them: identifiers only (the stack has no secret output). */
export function outputsMarkdown(stage: string, outputs: Record<string, string>): string {
  const cell = (v: string) => `\`${v.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}\``;
  const rows = Object.entries(outputs).map(([k, v]) => `| ${k} | ${cell(v)} |`);
  return [`Ephemeral stage \`${stage}\` is up:`, "", "| output | value |", "|---|---|", ...rows, ""].join("\n");
}

async function runStable(command: string, name: string, stage: StableStage, io: CliIo, show: ShowOutputs): Promise<number> {
  switch (command) {
    case "up":
      await stage.up();
      io.out(`stable stage ${name} is up\n`);
      return 0;
    case "destroy":
      await stage.destroy();
      io.out(`stable stage ${name} destroyed\n`);
      return 0;
    default:
      show(name, await stage.outputs());
      return 0;
  }
}

async function runCommand(command: string, stage: string | undefined, lifecycle: Lifecycle, io: CliIo, show: ShowOutputs): Promise<number> {
  switch (command) {
    case "up": {
      const info = await lifecycle.up(stage);
      io.out(`stage ${info.stage} is up as ${info.stackName}, expires ${info.expiresAt?.toISOString()}\n`);
      return 0;
    }
    case "destroy":
      await lifecycle.destroy(stage);
      io.out(`stage ${stage} destroyed and its workspace deleted\n`);
      return 0;
    case "outputs":
      show(stage!, await lifecycle.outputs(stage));
      return 0;
    case "list":
      io.out(`${formatStages(await lifecycle.list(), new Date())}\n`);
      return 0;
    default: {
      const { destroyed, failed } = await lifecycle.reap();
      io.out(`reaped ${destroyed.length} expired stage(s)${destroyed.length ? `: ${destroyed.join(", ")}` : ""}\n`);
      for (const f of failed) io.err(`could not reap ${f.stage}: ${f.error}\n`);
      return failed.length ? 1 : 0;
    }
  }
}

if (require.main === module) runAsMain((io) => runCli(process.argv.slice(2), process.env, io));
