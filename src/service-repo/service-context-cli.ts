import * as path from "node:path";
import { CliIo, CommandSpec, FileError, UsageError, formatHelp, parseArgs, runAsMain, shownPath, valueOf, writeTextFile } from "../cli/args";
import { ConfigError, configFileFrom, loadConfigFile } from "../config/loader";
import { serviceOf } from "./new-service-repo";
import { SERVICE_CONTEXT_FILE, serviceContextOf, serviceContextText } from "./service-context";

export type { CliIo };

export const SERVICE_CONTEXT_COMMAND: CommandSpec = {
  command: "npm run --silent service-context -- <slug>",
  summary:
    `Prints a service's ${SERVICE_CONTEXT_FILE} as the config gives it: the value of its onboarding's service_context output ` +
    "(organisation, region, each stage's account, zone, deploy and read roles, the CI roles and the state store), keys sorted.",
  options: [
    { name: "--config", value: "<file>", description: "the platform config", env: "PLATFORM_CONFIG", default: "config/example.yaml" },
    { name: "--out", value: "<file>", description: "write it to this file instead of printing it", default: "standard output" },
  ],
};

/** Exit codes: 0 printed; 2 wrong use, an unknown slug, a config that cannot be read or is invalid. */
export function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): number {
  try {
    const positional = argv.filter((a, i) => !a.startsWith("-") && !SERVICE_CONTEXT_COMMAND.options.some((o) => argv[i - 1] === o.name));
    const args = parseArgs(
      argv.filter((a) => !positional.includes(a)),
      SERVICE_CONTEXT_COMMAND,
    );
    if (args.help) {
      io.out(formatHelp(SERVICE_CONTEXT_COMMAND));
      return 0;
    }
    if (positional.length !== 1) throw new UsageError(`${positional.length ? "more than one slug" : "no slug"} given: npm run --silent service-context -- <slug>`);
    const given = valueOf(args, "--config");
    const { file: configFile, origin } = configFileFrom(given, env);
    const config = loadConfigFile(configFile, origin);
    const service = serviceOf(config, positional[0], shownPath(configFile));
    const text = serviceContextText(serviceContextOf(config, service));
    const out = valueOf(args, "--out");
    if (out) writeTextFile(path.resolve(out), text, "the output file", `${out} (from --out)`);
    else io.out(text);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run service-context: ${err.message.replace(/^--slug/, "the slug")} (see --help)\n`);
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
