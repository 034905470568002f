import * as fs from "node:fs";
import * as path from "node:path";
import type { ExtractorMessage } from "@microsoft/api-extractor";

/** Where the construct library and its report are, relative to the repository root. */
export const LIBRARY = {
  dir: "packages/constructs",
  config: "packages/constructs/api-extractor.json",
  report: "packages/constructs/api/apps-platform-constructs.api.md",
  changesets: ".changeset",
} as const;

export interface Extraction {
  /** The report as the built declarations (dist/index.d.ts) give it. */
  readonly report: string;
  /** The report committed in the tree, or undefined when there is none. */
  readonly committed: string | undefined;
  /** API Extractor's warnings and errors that the config does not quiet or write into the report, one line each. */
  readonly problems: readonly string[];
}

export type Extract = (root: string) => Extraction;

/**
 * Runs API Extractor on the built package (as a CI build: the committed report is not touched) and
 * returns the report it generates. Its chatter is dropped; each warning and error is kept as one line.
 */
export const extractApi: Extract = (root) => {
  const configFile = path.join(root, LIBRARY.config);
  const entry = path.join(root, LIBRARY.dir, "dist", "index.d.ts");
  if (!fs.existsSync(entry)) throw new Error(`${path.relative(root, entry)} is missing: build first (npm run build)`);
  // Loaded here: it brings a TypeScript compiler of its own, which nothing else needs.
  const { Extractor, ExtractorConfig, ExtractorLogLevel, ExtractorMessageCategory } = require("@microsoft/api-extractor") as typeof import("@microsoft/api-extractor");
  const config = ExtractorConfig.loadFileAndPrepare(configFile);
  const problems: string[] = [];
  const result = Extractor.invoke(config, {
    localBuild: false,
    messageCallback: (message: ExtractorMessage) => {
      // Console messages are API Extractor's own progress and the report-changed notice, which the
      // caller words itself.
      if (message.category === ExtractorMessageCategory.Console) {
        message.logLevel = ExtractorLogLevel.None;
        message.handled = true;
        return;
      }
      if (message.logLevel === ExtractorLogLevel.Warning || message.logLevel === ExtractorLogLevel.Error) {
        problems.push(`${message.logLevel}: ${message.formatMessageWithLocation(path.join(root, LIBRARY.dir))}`);
      }
      message.handled = true;
    },
  });
  if (result.errorCount + result.warningCount !== problems.length) problems.push(`API Extractor counted ${result.errorCount} errors and ${result.warningCount} warnings`);
  const generated = path.join(config.reportTempFolder, config.reportConfigs[0].fileName);
  const committedFile = path.join(root, LIBRARY.report);
  return {
    report: fs.readFileSync(generated, "utf8"),
    committed: fs.existsSync(committedFile) ? fs.readFileSync(committedFile, "utf8") : undefined,
    problems,
  };
};
