import * as fs from "node:fs";
import * as path from "node:path";
import { CliIo, CommandSpec, UsageError, formatHelp, parseArgs, runAsMain, valueOf } from "../cli/args";
import { GitError, fileAt, git, resolveBase } from "../delivery/pipeline-changes";
import { PROJECT_ROOT } from "../paths";
import { gate, gateReport } from "./api-gate";
import { Extract, LIBRARY, extractApi } from "./api-extractor";
import { ReportError, compareReports } from "./api-report";
import { Changeset, ChangesetError, readChangesets } from "./changesets";

/**
 * npm run api: writes the construct library's API report (packages/constructs/api/*.api.md) from the
 * built declarations. npm run api:check: fails when the committed report is not what the package
 * exports, when API Extractor finds a problem, or when the change of the API against the base needs a
 * larger release than the change's changesets declare (api-gate.ts).
 */

export const API_COMMAND: CommandSpec = {
  command: "npm run api --",
  summary: `Builds the construct library and writes its public API report, ${LIBRARY.report}, from dist/index.d.ts; commit the report with the change.`,
  options: [],
};

export const API_CHECK_COMMAND: CommandSpec = {
  command: "npm run api:check --",
  summary: `Builds the construct library and fails when ${LIBRARY.report} is not what it exports, when API Extractor reports a problem, or when the API's change against the base needs a larger release than the change's changesets (${LIBRARY.changesets}/*.md) declare: a removed or changed API line needs major, added lines only minor.`,
  options: [
    {
      name: "--base",
      value: "<ref>",
      description: "the commit the change is measured against (env CI_MERGE_REQUEST_DIFF_BASE_SHA in GitLab merge requests, else GITHUB_BASE_REF in GitHub pull requests)",
      default: "git merge-base HEAD main",
    },
  ],
};

export type Io = CliIo;

export interface Options {
  readonly root?: string;
  readonly extract?: Extract;
}

export interface Base {
  readonly commit: string;
  /** As messages name it: `main (1a2b3c4d5e6f)`. */
  readonly name: string;
}

const short = (c: string) => c.slice(0, 12);

/** The commit to compare with: --base, then the CI's variables, then the merge base with main. */
export function resolveCheckBase(root: string, given: string | undefined, env: NodeJS.ProcessEnv): Base {
  const named = (ref: string, commit: string): Base => ({ commit, name: ref === commit ? short(commit) : `${ref} (${short(commit)})` });
  if (given) return named(given, resolveBase(root, given));
  if (env.CI_MERGE_REQUEST_DIFF_BASE_SHA) return named(env.CI_MERGE_REQUEST_DIFF_BASE_SHA, resolveBase(root, env.CI_MERGE_REQUEST_DIFF_BASE_SHA));
  if (env.GITHUB_BASE_REF) {
    const ref = env.GITHUB_BASE_REF;
    for (const candidate of [`origin/${ref}`, ref]) {
      try {
        return named(candidate, resolveBase(root, candidate));
      } catch {
        // the next
      }
    }
    throw new GitError(`the base branch ${ref} (GITHUB_BASE_REF) is not in this clone: check out with fetch-depth: 0, or fetch it (git fetch origin ${ref})`);
  }
  for (const branch of ["main", "origin/main"]) {
    let commit: string;
    try {
      commit = git(root, ["merge-base", "HEAD", branch]).trim();
    } catch {
      continue;
    }
    return { commit, name: `${branch} (merge base ${short(commit)})` };
  }
  throw new GitError("no base to compare with: this clone has no branch main; pass --base <ref>");
}

function readJson(file: string): { name: string; version: string } {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The changesets that are new or edited against `base`: a base's changesets are earlier changes'. */
export function changesetsOfChange(root: string, base: string, all: readonly Changeset[]): Changeset[] {
  return all.filter((c) => fileAt(root, base, c.file) !== fs.readFileSync(path.join(root, c.file), "utf8"));
}

const lf = (t: string | undefined) => t?.replace(/\r\n/g, "\n");

export async function run(mode: "update" | "check", argv: readonly string[], env: NodeJS.ProcessEnv, io: Io, opts: Options = {}): Promise<number> {
  const spec = mode === "update" ? API_COMMAND : API_CHECK_COMMAND;
  const command = mode === "update" ? "npm run api" : "npm run api:check";
  const root = opts.root ?? PROJECT_ROOT;
  try {
    const args = parseArgs(argv, spec);
    if (args.help) {
      io.out(formatHelp(spec));
      return 0;
    }
    const pkg = readJson(path.join(root, LIBRARY.dir, "package.json"));
    // The base first: a wrong --base is said before the minutes of a build-and-extract.
    const base = mode === "check" ? resolveCheckBase(root, valueOf(args, "--base"), env) : undefined;
    const all = readChangesets(path.join(root, LIBRARY.changesets), [pkg.name]);
    const ex = (opts.extract ?? extractApi)(root);
    let failed = false;
    if (ex.problems.length) {
      failed = true;
      io.err(
        [
          `${command}: API Extractor reports ${ex.problems.length} problem${ex.problems.length === 1 ? "" : "s"} in the package's declarations:`,
          ...ex.problems.map((p) => `  ${p}`),
          `Fix them in the doc comments or exports of ${LIBRARY.dir}/src, or quiet the category in ${LIBRARY.config} with the reason.`,
        ].join("\n") + "\n",
      );
    }
    if (mode === "update") {
      const before = lf(ex.committed);
      if (before === lf(ex.report)) {
        io.out(`${command}: ${LIBRARY.report} is up to date\n`);
      } else {
        fs.mkdirSync(path.dirname(path.join(root, LIBRARY.report)), { recursive: true });
        fs.writeFileSync(path.join(root, LIBRARY.report), ex.report);
        const c = compareReports(before, ex.report);
        io.out(
          `${command}: wrote ${LIBRARY.report}: ${c.removed.length} API lines removed or changed, ${c.added.length} added${before === undefined ? " (a new report)" : ""}. ` +
            `Commit it; npm run api:check says which changeset the change needs.\n`,
        );
      }
      return failed ? 1 : 0;
    }

    const b = base!;
    const baseReport = fileAt(root, b.commit, LIBRARY.report);
    const basePkgText = fileAt(root, b.commit, `${LIBRARY.dir}/package.json`);
    const input = {
      packageName: pkg.name,
      baseName: b.name,
      baseReport,
      currentReport: ex.report,
      baseVersion: basePkgText === undefined ? undefined : (JSON.parse(basePkgText) as { version: string }).version,
      currentVersion: pkg.version,
      changesets: changesetsOfChange(root, b.commit, all),
    };
    const result = gate(input);
    const stale = lf(ex.committed) !== lf(ex.report);
    if (stale) {
      failed = true;
      const c = ex.committed === undefined ? undefined : compareReports(ex.committed, ex.report);
      const what = c === undefined ? "is missing" : c.removed.length + c.added.length ? `is not what the package exports (${c.removed.length + c.added.length} API lines differ)` : "differs from what API Extractor writes in its comments only";
      const changeset =
        result.needed === "none"
          ? "; no changeset is needed, the API is the same as the base's"
          : result.ok
            ? `; the changesets already declare the ${result.needed} release the change needs`
            : `, and add a ${result.needed} changeset (npx changeset), as the change against ${b.name} needs`;
      io.err(`${command}: ${LIBRARY.report} ${what}. Run npm run api, commit the report${changeset}.\n`);
    }
    const lines = gateReport(input, result);
    if (result.ok) io.out(`${command}: ${lines.join("\n")}\n`);
    else {
      failed = true;
      io.err(`${command}: ${lines.join("\n")}\n`);
    }
    if (!failed) io.out(`${command}: ${LIBRARY.report} is up to date\n`);
    return failed ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${command}: ${err.message} (see --help)\n`);
      return 2;
    }
    if (err instanceof GitError || err instanceof ChangesetError || err instanceof ReportError) {
      io.err(`${command}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode !== "update" && mode !== "check") {
    process.stderr.write(`api-cli: the first argument must be update or check, got ${JSON.stringify(mode)}\n`);
    process.exitCode = 2;
  } else {
    runAsMain((io) => run(mode, rest, process.env, io));
  }
}
