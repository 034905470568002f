import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { PROJECT_ROOT } from "../paths";
import { platformConfigSchema } from "./schema";

export const SCHEMA_FILE = path.join(PROJECT_ROOT, "platform-config.schema.json");

/**
 * The JSON Schema of the config as a user writes it (defaults optional), for editors: config files
 * name it with `# yaml-language-server: $schema=../platform-config.schema.json`.
 */
export function platformConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(platformConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...schema, $id: "https://apps-platform.invalid/platform-config.schema.json", title: "apps-platform config" };
}

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, `${JSON.stringify(platformConfigJsonSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}
