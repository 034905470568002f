import * as path from "node:path";
import { CliIo, CommandSpec, FileError, UsageError, formatHelp, parseArgs, runAsMain, shownPath, valueOf } from "../cli/args";
import { ConfigError, configFileFrom, loadConfigFile } from "../config/loader";
import { createServiceRepo, libraryVersionRange } from "./new-service-repo";

export type { CliIo };

export const NEW_SERVICE_REPO_COMMAND: CommandSpec = {
  command: "npm run new-service-repo -- <dir>",
  summary:
    "Creates a service repository from templates/service-repo in <dir> (new or empty, outside this repository): the template's program, " +
    "package.json with the construct library, cdktf.json with the slug, .npmrc, .gitlab-ci.yml with a plan and an apply job per stage, " +
    "and apps-platform.json, the service's onboarding as the config gives it.",
  options: [
    { name: "--slug", value: "<slug>", description: "the service, by its slug in the config's services: (required)" },
    { name: "--config", value: "<file>", description: "the platform config", env: "PLATFORM_CONFIG", default: "config/example.yaml" },
    { name: "--library-version", value: "<range>", description: "the version range of @acme/apps-platform-constructs", default: "^ and the library's version" },
    { name: "--registry", value: "<url>", description: "the npm registry of the @acme scope, for .npmrc and the CI", default: "<ciIdentity.gitlab.url>/api/v4/packages/npm/" },
  ],
};

/** Exit codes: 0 created; 2 wrong use, a config that cannot be read or is invalid, a folder that is taken. */
export function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): number {
  try {
    const positional = argv.filter((a, i) => !a.startsWith("-") && !NEW_SERVICE_REPO_COMMAND.options.some((o) => o.value && argv[i - 1] === o.name));
    const args = parseArgs(
      argv.filter((a) => !positional.includes(a)),
      NEW_SERVICE_REPO_COMMAND,
    );
    if (args.help) {
      io.out(formatHelp(NEW_SERVICE_REPO_COMMAND));
      return 0;
    }
    if (positional.length !== 1) throw new UsageError(`${positional.length ? "more than one folder" : "no folder"} given: npm run new-service-repo -- <dir> --slug <slug>`);
    const slug = valueOf(args, "--slug");
    if (!slug) throw new UsageError("--slug is required: the slug of the service in the config's services:, e.g. --slug payments-api");
    const given = valueOf(args, "--config");
    const { file: configFile, origin } = configFileFrom(given, env);
    const config = loadConfigFile(configFile, origin);
    const dir = path.resolve(positional[0]);
    const made = createServiceRepo({
      dir,
      slug,
      config,
      configName: shownPath(configFile),
      libraryVersion: valueOf(args, "--library-version"),
      registry: valueOf(args, "--registry"),
    });
    io.out(
      [
        `created ${dir} for ${slug}: ${made.files.join(", ")}`,
        `  @acme/apps-platform-constructs ${valueOf(args, "--library-version") ?? libraryVersionRange()}; stages ${Object.keys(made.context.stages).join(", ")}`,
        ...made.notes.map((n) => `  note: ${n}`),
        "next, in that folder: npm install (commit package-lock.json), then STAGE=<stage> npm run synth; push it to the repository the service is onboarded with",
        "",
      ].join("\n"),
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run new-service-repo: ${err.message} (see --help)\n`);
      return 2;
    }
    if (err instanceof FileError || err instanceof ConfigError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) runAsMain((io) => runCli(process.argv.slice(2), process.env, io));
