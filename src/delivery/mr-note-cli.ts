import { CliIo, CommandSpec, FileError, UsageError, formatHelp, parseArgs, readTextFile, runAsMain, shownPath, valueOf } from "../cli/args";
import { GitlabError, GitlabNotes, noteMarker, upsertNote } from "./mr-note";
import { NOTE_MARKER } from "./plan-summary";

export type { CliIo };

export const MR_NOTE_COMMAND: CommandSpec = {
  command: "npm run --silent mr-note -- <summary.md>",
  summary: `Creates the merge request's plan-summary note, or updates it in place: the token user's note carrying ${NOTE_MARKER}. Reads CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and GITLAB_NOTE_TOKEN (sent as PRIVATE-TOKEN, never printed).`,
  options: [
    {
      name: "--marker",
      value: "<name>",
      description: "which note to keep: the one carrying <!-- apps-platform:<name> --> (lowercase letters, digits, hyphens), e.g. ephemeral-stage",
      default: "plan-summary",
    },
  ],
};

const ENV = ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "GITLAB_NOTE_TOKEN"] as const;

/** A project's id as CI_PROJECT_ID has it, or its path, URL-encoded or not (each `%` starts a well-formed escape). */
const PROJECT_ID = /^(?:\d+|(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})+)$/;
const decodes = (text: string): boolean => {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

/** GitLab's access tokens are longer (a personal one is glpat- and 20 characters). */
const MIN_TOKEN_LENGTH = 16;

/** Exit codes: 0 note written; 1 GitLab refused or could not be reached; 2 wrong use, a missing variable or file. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo, fetchImpl?: typeof fetch): Promise<number> {
  try {
    // The values of options are not files.
    const files = argv.filter((a, i) => (!a.startsWith("-") || a === "-") && argv[i - 1] !== "--marker");
    const args = parseArgs(argv.filter((a, i) => !files.includes(a) || argv[i - 1] === "--marker"), MR_NOTE_COMMAND);
    if (args.help) {
      io.out(formatHelp(MR_NOTE_COMMAND));
      return 0;
    }
    if (files.length !== 1) throw new UsageError(`${files.length ? "more than one" : "no"} summary file given: npm run --silent mr-note -- <summary.md>`);
    const missing = ENV.filter((k) => !env[k]);
    if (missing.length) throw new UsageError(`${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set (a merge-request pipeline sets the CI_ ones; GITLAB_NOTE_TOKEN is a masked CI/CD variable)`);
    if (!/^https?:\/\//.test(env.CI_API_V4_URL!)) throw new UsageError(`CI_API_V4_URL must be an http(s) URL, got ${JSON.stringify(env.CI_API_V4_URL)}`);
    if (!PROJECT_ID.test(env.CI_PROJECT_ID!) || !decodes(env.CI_PROJECT_ID!)) {
      throw new UsageError(`CI_PROJECT_ID must be a project's number or its path (group/project or group%2Fproject), got ${JSON.stringify(env.CI_PROJECT_ID)}`);
    }
    // Short enough to be found inside ordinary words, it could not be kept out of messages.
    if (env.GITLAB_NOTE_TOKEN!.length < MIN_TOKEN_LENGTH) {
      const n = env.GITLAB_NOTE_TOKEN!.length;
      throw new UsageError(`GITLAB_NOTE_TOKEN is ${n} character${n === 1 ? "" : "s"} long; a GitLab access token has at least ${MIN_TOKEN_LENGTH}`);
    }
    if (!/^\d+$/.test(env.CI_MERGE_REQUEST_IID!)) throw new UsageError(`CI_MERGE_REQUEST_IID must be a number, got ${JSON.stringify(env.CI_MERGE_REQUEST_IID)}`);
    const name = valueOf(args, "--marker") ?? "plan-summary";
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) throw new UsageError(`--marker must be lowercase letters, digits and single hyphens, got ${JSON.stringify(name)}`);
    const summary = readTextFile(files[0], "the summary file", shownPath(files[0]));
    const client = new GitlabNotes(
      { apiUrl: env.CI_API_V4_URL!, projectId: env.CI_PROJECT_ID!, mergeRequestIid: env.CI_MERGE_REQUEST_IID!, token: env.GITLAB_NOTE_TOKEN! },
      fetchImpl,
    );
    const r = await upsertNote(client, summary, noteMarker(name));
    io.out(`mr-note: ${r.action} note ${r.id} on merge request !${env.CI_MERGE_REQUEST_IID}\n`);
    return 0;
  } catch (err) {
    // A token too short to be one was refused, and is in no message.
    const token = env.GITLAB_NOTE_TOKEN && env.GITLAB_NOTE_TOKEN.length >= MIN_TOKEN_LENGTH ? env.GITLAB_NOTE_TOKEN : undefined;
    const say = (m: string) => io.err(`mr-note: ${token ? m.split(token).join("[token]") : m}\n`);
    if (err instanceof UsageError || err instanceof FileError) {
      say(err.message);
      return 2;
    }
    if (err instanceof GitlabError) {
      say(err.message);
      return 1;
    }
    say(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

if (require.main === module) runAsMain((io) => runCli(process.argv.slice(2), process.env, io));
