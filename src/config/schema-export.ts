import * as path from "path";
import { z } from "zod";
import { CliIo, CommandSpec, FileError, UsageError, formatHelp, parseArgs, runAsMain, shownPath, writeTextFile } from "../cli/args";
import { provisioningJsonSchema } from "../fleet/provisioning";
import { PROJECT_ROOT } from "../paths";
import { platformConfigSchema } from "./schema";

export const SCHEMA_FILE = path.join(PROJECT_ROOT, "platform-config.schema.json");
/** The fleet's tenant provisioning input and output (src/fleet/provisioning.ts), for the automation around it. */
export const PROVISIONING_SCHEMA_FILE = path.join(PROJECT_ROOT, "docs", "fleet-provisioning.schema.json");

/**
 * The JSON Schema of the config as a user writes it (defaults optional), for editors: config files
 * name it with `# yaml-language-server: $schema=../platform-config.schema.json`.
 */
export function platformConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(platformConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...schema, $id: "https://apps-platform.invalid/platform-config.schema.json", title: "apps-platform config" };
}

export const SCHEMA_COMMAND: CommandSpec = {
  command: "npm run schema --",
  summary:
    "Writes the JSON Schema of the platform config to platform-config.schema.json, for editors, and that of a fleet tenant's provisioning input and output to docs/fleet-provisioning.schema.json.",
  options: [],
};

/** `npm run schema`: 0 written or help printed, 2 for any argument (it takes none but --help), 1 a file that cannot be written. */
export function runSchemaExport(
  argv: string[],
  io: CliIo,
  file = SCHEMA_FILE,
  provisioningFile = PROVISIONING_SCHEMA_FILE,
): number {
  try {
    if (parseArgs(argv, SCHEMA_COMMAND).help) {
      io.out(formatHelp(SCHEMA_COMMAND));
      return 0;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run schema: ${err.message} (see --help)\n`);
      return 2;
    }
    throw err;
  }
  try {
    for (const [target, schema] of [
      [file, platformConfigJsonSchema()],
      [provisioningFile, provisioningJsonSchema()],
    ] as const) {
      writeTextFile(target, `${JSON.stringify(schema, null, 2)}\n`, "the schema file", shownPath(target));
      io.out(`wrote ${shownPath(target)}\n`);
    }
  } catch (err) {
    if (err instanceof FileError) {
      io.err(`npm run schema: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return 0;
}

if (require.main === module) runAsMain((io) => runSchemaExport(process.argv.slice(2), io));
