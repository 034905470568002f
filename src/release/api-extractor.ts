import { createHash } from "node:crypto";
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

function declarationFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? declarationFiles(path.join(dir, e.name)) : e.name.endsWith(".d.ts") ? [path.join(dir, e.name)] : []))
    .sort();
}

/**
 * What the report depends on: the package's declarations, its name, API Extractor's config and
 * version, and the lockfile (the declarations of the dependencies). Equal inputs give an equal report.
 */
export function extractionKey(root: string): string {
  const h = createHash("sha256");
  const add = (label: string, file: string) => h.update(`${label}\0`).update(fs.existsSync(file) ? fs.readFileSync(file) : "").update("\0");
  add("config", path.join(root, LIBRARY.config));
  add("tsdoc", path.join(root, LIBRARY.dir, "tsdoc.json"));
  add("lock", path.join(root, "package-lock.json"));
  h.update(`name\0${(JSON.parse(fs.readFileSync(path.join(root, LIBRARY.dir, "package.json"), "utf8")) as { name: string }).name}\0`);
  h.update(`extractor\0${(require("@microsoft/api-extractor/package.json") as { version: string }).version}\0`);
  const dist = path.join(root, LIBRARY.dir, "dist");
  for (const f of declarationFiles(dist)) add(path.relative(dist, f), f);
  return h.digest("hex");
}

/**
 * Runs API Extractor on the built package (as a CI build: the committed report is not touched) and
 * returns the report it generates. Its chatter is dropped; each warning and error is kept as one line.
 * The result is kept in .tmp/ with the key of its inputs, so that a second check of the same build
 * (npm run api, then api:check, then the release) does not analyse it again.
 */
export const extractApi: Extract = (root) => {
  const entry = path.join(root, LIBRARY.dir, "dist", "index.d.ts");
  if (!fs.existsSync(entry)) throw new Error(`${path.relative(root, entry)} is missing: build first (npm run build)`);
  const committedFile = path.join(root, LIBRARY.report);
  const committed = fs.existsSync(committedFile) ? fs.readFileSync(committedFile, "utf8") : undefined;
  const key = extractionKey(root);
  const cacheFile = path.join(root, ".tmp", "api-extractor", "extraction.json");
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as { key: string; report: string; problems: string[] };
    if (cached.key === key) return { report: cached.report, committed, problems: cached.problems };
  } catch {
    // none yet, or unreadable: analyse
  }
  const fresh = analyse(root);
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify({ key, ...fresh }));
  return { ...fresh, committed };
};

function analyse(root: string): { report: string; problems: string[] } {
  const configFile = path.join(root, LIBRARY.config);
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
  return { report: fs.readFileSync(generated, "utf8"), problems };
}
