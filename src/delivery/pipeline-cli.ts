import * as fs from "node:fs";
import * as path from "node:path";
import { CliIo, CommandSpec, FileError, UsageError, checkFolder, formatHelp, parseArgs, readTextFile, runAsMain, shownPath, valueOf, writeTextFile } from "../cli/args";
import { ConfigError, configFileFrom, loadConfigFile } from "../config/loader";
import { GENERATED_MARKER, PROJECT_ROOT } from "../paths";
import { GitError, changedFiles, fileAt, git, mergeReasons, parseRaw, resolveBase, stacksOfChangedFiles, stacksOfConfigChange } from "./pipeline-changes";
import { IMAGE_VARIABLE, MODES, Mode, SelectedStack, applyPipeline, childPipeline, defaultImage, jobsOf, pipelineText, planVerdict } from "./pipeline";
import { applyPredecessors, pipelineStacks, selectedPredecessors } from "./pipeline-stacks";

/** An image reference as GitLab's `image:` takes it, CI variables included; nothing YAML or a shell would read otherwise. */
const IMAGE_REFERENCE = /^(?=.{1,512}$)[A-Za-z0-9$][A-Za-z0-9._/:@${}-]*$/;

/**
 * The folder of the synthesized stacks the jobs run in: a folder, holding a stack folder synth wrote
 * (with its marker) for a stack of the config.
 */
function checkGenerated(generated: string, given: boolean, stacks: readonly { name: string }[]): void {
  const shown = `${shownPath(generated)}${given ? " (from --generated)" : ""}`;
  checkFolder(generated, "the folder of the generated HCL", shown, "not found; run npm run synth first");
  if (!stacks.some((s) => fs.existsSync(path.join(generated, s.name, GENERATED_MARKER)))) {
    throw new FileError(generated, `the folder of the generated HCL ${shown}: holds no stack of the config that npm run synth wrote (a folder with ${GENERATED_MARKER}); name the folder synth writes, or run npm run synth`);
  }
}

export const PIPELINE_COMMAND: CommandSpec = {
  command: "npm run pipeline --",
  summary:
    "Writes the GitLab child pipeline of the platform repository: plan jobs for the stacks a merge request changes (mr), their applies in dependency order after merge (main), or a drift check of every stack (drift).",
  options: [
    { name: "--mode", value: "<mr|main|drift|apply>", description: "mr: plan changed stacks; main: re-plan and apply changed stacks in order; drift: plan every stack; apply: the apply pipeline of one stack (with --stack and --plan)", default: "mr" },
    {
      name: "--base",
      value: "<ref>",
      description: "the commit the change is measured against (mr: env CI_MERGE_REQUEST_DIFF_BASE_SHA; main: env CI_COMMIT_BEFORE_SHA, every stack when there is none)",
    },
    { name: "--all", description: "mr and main: every stack, changed or not" },
    { name: "--out", value: "<file>", description: "where the pipeline YAML goes", default: "standard output" },
    { name: "--config", value: "<file>", description: "the platform config generated/ is synthesized from", env: "PLATFORM_CONFIG", default: "config/example.yaml" },
    { name: "--generated", value: "<dir>", description: "the synthesized stacks", default: "generated" },
    { name: "--image", value: "<ref>", description: "the CI image the jobs run in", env: IMAGE_VARIABLE, default: "$CI_REGISTRY_IMAGE/ci:<hash of ci/image inputs>" },
    { name: "--stack", value: "<name>", description: "apply: the stack" },
    { name: "--plan", value: "<plan.json>", description: "apply: terraform show -json of the stack's plan after merge, which decides between a manual and an automatic apply" },
  ],
};

export type Io = CliIo;

const ZERO_SHA = /^0+$/;

function repoRoot(cwd: string): string {
  return git(cwd, ["rev-parse", "--show-toplevel"]).trim();
}

/** A path relative to the repository root, with forward slashes. */
function inRepo(root: string, file: string): string {
  const rel = path.relative(root, path.resolve(file));
  if (rel.startsWith("..") || path.isAbsolute(rel)) throw new UsageError(`${file} is outside the repository ${root}`);
  return rel.split(path.sep).join("/");
}

export async function run(argv: string[], env: NodeJS.ProcessEnv, io: Io, cwd = process.cwd()): Promise<number> {
  try {
    const args = parseArgs(argv, PIPELINE_COMMAND);
    if (args.help) {
      io.out(formatHelp(PIPELINE_COMMAND));
      return 0;
    }
    const mode = (valueOf(args, "--mode") ?? "mr") as Mode | "apply";
    if (![...MODES, "apply"].includes(mode)) throw new UsageError(`--mode must be one of mr, main, drift, apply, got ${JSON.stringify(mode)}`);
    const { file: configFile, origin: configOrigin } = configFileFrom(valueOf(args, "--config"), env, cwd);
    const generated = path.resolve(cwd, valueOf(args, "--generated") ?? path.join(PROJECT_ROOT, "generated"));
    const out = valueOf(args, "--out");
    const all = args.values.has("--all");
    for (const [flag, modes] of [["--stack", ["apply"]], ["--plan", ["apply"]], ["--base", ["mr", "main"]], ["--all", ["mr", "main"]]] as const) {
      if (args.values.has(flag) && !(modes as readonly string[]).includes(mode)) throw new UsageError(`${flag} is for --mode ${modes.join(" or ")}, not --mode ${mode}`);
    }
    if (all && args.values.has("--base")) throw new UsageError("--all and --base exclude each other: --all plans every stack");
    const config = loadConfigFile(configFile, configOrigin);
    const stacks = pipelineStacks(config);
    const root = repoRoot(path.dirname(configFile));
    const image = valueOf(args, "--image") ?? (env[IMAGE_VARIABLE] || defaultImage(PROJECT_ROOT));
    // Written into the pipeline's YAML as the jobs' image: one reference, no white space or quotes.
    if (!IMAGE_REFERENCE.test(image)) {
      throw new UsageError(`${valueOf(args, "--image") !== undefined ? "--image" : IMAGE_VARIABLE} must be an image reference (registry/path:tag or @sha256:digest, CI variables such as $CI_REGISTRY_IMAGE allowed), got ${JSON.stringify(image)}`);
    }
    checkGenerated(generated, valueOf(args, "--generated") !== undefined, stacks);
    const relConfig = inRepo(root, configFile);
    const relGenerated = inRepo(root, generated);
    let text: string;
    let summary: string;

    if (mode === "apply") {
      const name = valueOf(args, "--stack");
      const planFile = valueOf(args, "--plan");
      if (!name || !planFile) throw new UsageError("--mode apply needs --stack <name> and --plan <plan.json>");
      const stack = stacks.find((s) => s.name === name);
      if (!stack) throw new UsageError(`--stack ${name} is not a stack of ${shownPath(configFile)}; its stacks: ${stacks.map((s) => s.name).join(", ")}`);
      if (stack.outOfPipeline) throw new UsageError(`--stack ${name} ${stack.outOfPipeline}`);
      const planText = readTextFile(path.resolve(cwd, planFile), "the plan file", `${planFile} (from --plan)`);
      let verdict;
      try {
        verdict = planVerdict(JSON.parse(planText));
      } catch (err) {
        throw new FileError(planFile, `the plan file ${planFile} (from --plan) ${err instanceof SyntaxError ? "is not JSON" : (err as Error).message}`);
      }
      const p = applyPipeline({ config, stack, verdict, generatedDir: relGenerated, configFile: relConfig, image });
      text = pipelineText(p);
      summary = p.header[0];
    } else {
      const inPipeline = stacks.filter((s) => !s.outOfPipeline);
      let selected: SelectedStack[];
      let base: string | undefined;
      let removed: string[] = [];
      const baseRef = valueOf(args, "--base") ?? (mode === "mr" ? env.CI_MERGE_REQUEST_DIFF_BASE_SHA : mode === "main" ? env.CI_COMMIT_BEFORE_SHA : undefined);
      if (mode === "drift" || all) {
        selected = inPipeline.map((stack) => ({ stack, reasons: [mode === "drift" ? "drift check of every stack" : "--all"] }));
      } else if (!baseRef || ZERO_SHA.test(baseRef)) {
        if (mode === "mr") throw new UsageError("--mode mr needs the target branch's commit: --base <ref>, or CI_MERGE_REQUEST_DIFF_BASE_SHA (set in merge-request pipelines)");
        selected = inPipeline.map((stack) => ({ stack, reasons: ["no previous commit to compare with (CI_COMMIT_BEFORE_SHA): every stack"] }));
      } else {
        const commit = resolveBase(root, baseRef);
        base = baseRef === commit ? commit.slice(0, 12) : `${baseRef} (${commit.slice(0, 12)})`;
        const files = changedFiles(root, commit);
        const fromFiles = stacksOfChangedFiles(files, relGenerated, stacks);
        removed = fromFiles.removed;
        const before = parseRaw(fileAt(root, commit, relConfig));
        const after = parseRaw(fs.readFileSync(configFile, "utf8"));
        const fromConfig = !files.includes(relConfig)
          ? new Map()
          : before.ok && after.ok
            ? stacksOfConfigChange(before.value, after.value, stacks, relConfig)
            : new Map(stacks.map((s) => [s.name, [`${relConfig} changed and its base version is not YAML`]]));
        const reasons = mergeReasons(fromFiles.reasons, fromConfig);
        selected = inPipeline.filter((s) => reasons.has(s.name)).map((stack) => ({ stack, reasons: reasons.get(stack.name)! }));
      }
      const predecessors = mode === "main" ? selectedPredecessors(applyPredecessors(config, stacks), new Set(selected.map((s) => s.stack.name))) : undefined;
      const p = childPipeline({ mode, config, selected, predecessors, generatedDir: relGenerated, configFile: relConfig, image, base, removed, mergeRequestIid: env.CI_MERGE_REQUEST_IID });
      text = pipelineText(p);
      const skipped = stacks.filter((s) => s.outOfPipeline).map((s) => `${s.name} (${s.outOfPipeline})`);
      summary = [
        `${mode}: ${selected.length} of ${stacks.length} stacks${base ? ` changed against ${base}` : ""}, ${jobsOf(p.doc).length} jobs`,
        ...selected.map((s) => `  ${s.stack.name}: ${s.reasons.join("; ")}`),
        ...removed.map((r) => `  ${r}: removed; nothing destroys its resources`),
        ...skipped.map((s) => `  not in the pipeline: ${s}`),
      ].join("\n");
    }
    if (out) {
      writeTextFile(path.resolve(cwd, out), text, "the output file", `${out} (from --out)`, true);
      io.err(`${summary}\nwrote ${out}\n`);
    } else {
      io.out(text);
      io.err(`${summary}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run pipeline: ${err.message} (see --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof FileError || err instanceof GitError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) runAsMain((io) => run(process.argv.slice(2), process.env, io));
