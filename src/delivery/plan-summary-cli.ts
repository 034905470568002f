import * as path from "node:path";
import { CliIo, CommandSpec, FileError, UsageError, allOptions, formatHelp, parseArgs, readTextFile, runAsMain, shownPath, valueOf, writeTextFile } from "../cli/args";
import { NotAPlanError, Plan, readPlan } from "./plan-model";
import { GITLAB_NOTE_LIMIT, gitlabReport, renderSummary } from "./plan-summary";

export type { CliIo };

export const PLAN_SUMMARY_COMMAND: CommandSpec = {
  command: "npm run --silent plan-summary -- <plan.json | <stack>=<plan.json>>...",
  summary:
    "Prints the merge-request markdown of one or more `terraform show -json` plans: counts per stack and service, IAM, DNS, replacements, destroys, drift; sensitive values masked.",
  options: [
    { name: "--title", value: "<text>", description: "the note's heading", default: '"Terraform plan" ("Terraform drift report" with --drift)' },
    { name: "--drift", description: "title it as the drift report of a scheduled plan, drift first in each stack" },
    { name: "--gitlab-report", value: "<file>", description: "write GitLab's artifacts:reports:terraform JSON (create/update/delete totals)" },
    { name: "--full", value: "<file>", description: "write the whole markdown, every stack's section, to this file" },
    { name: "--details-url", value: "<url>", description: "where the --full file is published: linked when the note leaves sections out" },
  ],
};

/** The stack a plan file is of: `<stack>=<file>`, else its name, else (for plan.json, tfplan.json) its folder's. */
export function stackOf(arg: string): { stack: string; file: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._/-]*)=(.+)$/.exec(arg);
  if (m) return { stack: m[1], file: m[2] };
  const base = path.basename(arg).replace(/(\.tfplan)?\.json$/i, "");
  const generic = /^(tf)?plan(\.out|\.cache)?$/i.test(base) || base === "";
  return { stack: generic ? path.basename(path.dirname(path.resolve(arg))) : base, file: arg };
}

/** Splits the plan files from the options (parseArgs takes only options). */
function splitArgs(argv: readonly string[]): { options: string[]; files: string[] } {
  const options: string[] = [];
  const files: string[] = [];
  const specs = allOptions(PLAN_SUMMARY_COMMAND);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      options.push(a);
      const spec = specs.find((s) => s.name === a || s.alias === a);
      if (spec?.value && i + 1 < argv.length) options.push(argv[++i]);
    } else files.push(a);
  }
  return { options, files };
}

export function loadPlan(arg: string): Plan {
  const { stack, file } = stackOf(arg);
  const shown = shownPath(file);
  const text = readTextFile(file, "the plan file", shown);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FileError(file, `the plan file ${shown}: not JSON (${(err as Error).message.split("\n")[0].slice(0, 120)}): write it with terraform show -json <planfile>`);
  }
  try {
    return readPlan(doc, stack);
  } catch (err) {
    if (err instanceof NotAPlanError) throw new FileError(file, `the plan file ${shown}: ${err.message}`);
    throw err;
  }
}

function write(file: string, text: string, what: string): void {
  writeTextFile(file, text, what, shownPath(file));
}

/** Exit codes: 0 written; 2 wrong use or a plan file that is missing, unreadable or not a plan. */
export function runCli(argv: readonly string[], io: CliIo): number {
  try {
    const { options, files } = splitArgs(argv);
    const args = parseArgs(options, PLAN_SUMMARY_COMMAND);
    if (args.help) {
      io.out(formatHelp(PLAN_SUMMARY_COMMAND));
      return 0;
    }
    if (!files.length) throw new UsageError("no plan file given: npm run --silent plan-summary -- <plan.json | <stack>=<plan.json>>... (see --help)");
    const plans = files.map(loadPlan);
    const seen = new Map<string, string>();
    for (const [i, p] of plans.entries()) {
      if (seen.has(p.stack)) throw new UsageError(`two plans are named stack ${JSON.stringify(p.stack)} (${seen.get(p.stack)} and ${files[i]}): name them with <stack>=<plan.json>`);
      seen.set(p.stack, files[i]);
    }
    const detailsUrl = valueOf(args, "--details-url");
    if (detailsUrl !== undefined && !/^https?:\/\/\S+$/.test(detailsUrl)) throw new UsageError(`--details-url must be an http(s) URL, got ${JSON.stringify(detailsUrl)}`);
    const summary = renderSummary(plans, { title: valueOf(args, "--title"), drift: args.values.has("--drift"), detailsUrl });
    if (summary.note.length >= GITLAB_NOTE_LIMIT) throw new Error(`the summary is ${summary.note.length} characters, over GitLab's note limit`);
    const full = valueOf(args, "--full");
    if (full) write(full, summary.full, "the --full file");
    const report = valueOf(args, "--gitlab-report");
    if (report) write(report, `${JSON.stringify(gitlabReport(plans))}\n`, "the --gitlab-report file");
    io.out(summary.note);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof FileError) {
      io.err(`plan-summary: ${err.message}\n`);
      return 2;
    }
    io.err(`plan-summary: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) runAsMain((io) => runCli(process.argv.slice(2), io));
