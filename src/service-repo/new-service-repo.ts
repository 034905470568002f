import * as fs from "node:fs";
import * as path from "node:path";
import { PlatformConfig, ServiceConfig, StageConfig } from "../config/schema";
import { UsageError, makeFolder, writeTextFile } from "../cli/args";
import { PROJECT_ROOT } from "../paths";
import { SERVICE_CONTEXT_FILE, ServiceContextDocument, serviceContextOf, serviceContextText } from "./service-context";

/** The service repository template: a working repository of the example service, payments-api. */
export const TEMPLATE_DIR = path.join(PROJECT_ROOT, "templates", "service-repo");

/** The construct library's package, whose version a new repository depends on. */
export const LIBRARY_PACKAGE = "@acme/apps-platform-constructs";
const LIBRARY_DIR = path.join(PROJECT_ROOT, "packages", "constructs");

/** What the template holds besides its files: what a run of it leaves there, which is never copied. */
const NOT_COPIED = new Set(["node_modules", "dist", "cdktf.out", ".terraform", SERVICE_CONTEXT_FILE, "package-lock.json"]);

/** The line of .gitlab-ci.yml after which the per-stage jobs follow. */
export const STAGE_JOBS_MARKER = "# One plan and one apply job per stage of apps-platform.json (npm run new-service-repo writes them).";

export interface NewServiceRepoOptions {
  /** The folder to create: new, or empty. */
  readonly dir: string;
  readonly slug: string;
  readonly config: PlatformConfig;
  /** How the config was named, for messages. */
  readonly configName: string;
  /** The version range of the construct library. @default `^<the library's version>` */
  readonly libraryVersion?: string;
  /** The npm registry of the @acme scope. @default the GitLab instance's npm endpoint */
  readonly registry?: string;
}

export interface NewServiceRepo {
  /** The files written, relative to the folder. */
  readonly files: string[];
  /** What the reader should know: files left out and why. */
  readonly notes: string[];
  readonly context: ServiceContextDocument;
}

/** `^0.1.0` for the library's own version. */
export function libraryVersionRange(): string {
  const version = JSON.parse(fs.readFileSync(path.join(LIBRARY_DIR, "package.json"), "utf8")).version as string;
  return `^${version}`;
}

/** The npm endpoint of the GitLab instance that serves scoped packages of every group. */
export function defaultRegistry(config: PlatformConfig): string {
  const url = config.ciIdentity.gitlab?.url ?? "https://gitlab.com";
  return `${url.replace(/\/+$/, "")}/api/v4/packages/npm/`;
}

/** The service of a config by slug, or a UsageError listing the ones there are. */
export function serviceOf(config: PlatformConfig, slug: string, configName: string): ServiceConfig {
  const service = config.services.find((s) => s.slug === slug);
  if (!service) {
    const known = config.services.map((s) => s.slug);
    throw new UsageError(`--slug must be a service of ${configName} (${known.length ? known.join(", ") : "it has none"}), got ${JSON.stringify(slug)}`);
  }
  return service;
}

/**
 * Creates a service repository from the template: its files as they are, then the service's slug, the
 * library's version range, the registry of the @acme scope, the CI's audience and one plan and apply
 * job per stage filled in, and apps-platform.json written from the config.
 */
export function createServiceRepo(options: NewServiceRepoOptions): NewServiceRepo {
  const service = serviceOf(options.config, options.slug, options.configName);
  const dir = path.resolve(options.dir);
  checkTarget(dir);
  const context = serviceContextOf(options.config, service);
  const registry = options.registry ?? defaultRegistry(options.config);
  // No quotes, backticks, `$`, backslashes or credentials: the URL is written into .npmrc, the CI file and the README.
  if (!/^https?:\/\/[^\s/@$`'"\\]+(?:\/[^\s$`'"\\]*)?\/$/.test(registry)) {
    throw new UsageError(`--registry must be an http(s) URL ending in /, without credentials, quotes, backticks or $, got ${JSON.stringify(registry)}`);
  }
  const libraryVersion = options.libraryVersion ?? libraryVersionRange();
  if (!/^[\^~]?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(libraryVersion)) {
    throw new UsageError(`--library-version must be a version or a ^ or ~ range such as ^0.1.0, got ${JSON.stringify(libraryVersion)}`);
  }

  const notes: string[] = [];
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(TEMPLATE_DIR)) {
    if (NOT_COPIED.has(name)) continue;
    files.set(name, fs.readFileSync(path.join(TEMPLATE_DIR, name), "utf8"));
  }
  const edit = (name: string, change: (text: string) => string) => files.set(name, change(files.get(name) ?? missing(name)));
  edit("package.json", (text) => {
    const pkg = JSON.parse(text);
    pkg.name = `${service.slug}-infrastructure`;
    pkg.description = `The infrastructure of ${service.slug} on the apps-platform: its service stack, one per stage`;
    if (!(LIBRARY_PACKAGE in pkg.dependencies)) throw new Error(`the template's package.json has no dependency ${LIBRARY_PACKAGE}`);
    pkg.dependencies[LIBRARY_PACKAGE] = libraryVersion;
    return `${JSON.stringify(pkg, null, 2)}\n`;
  });
  edit("cdktf.json", (text) => {
    const cdktf = JSON.parse(text);
    cdktf.projectId = `${service.slug}-infrastructure`;
    cdktf.context = { ...cdktf.context, slug: service.slug };
    return `${JSON.stringify(cdktf, null, 2)}\n`;
  });
  // The registry's token line, in .npmrc's guidance and the README's.
  const tokenLine = (text: string) => text.replace(/\/\/[^\s`]+:_authToken/g, `${registry.replace(/^https?:/, "")}:_authToken`);
  edit(".npmrc", (text) => tokenLine(replaceLine(text, /^@acme:registry=.*$/m, `@acme:registry=${registry}`, ".npmrc")));
  edit("README.md", tokenLine);
  if (service.gitlabProjectPath) {
    edit(".gitlab-ci.yml", (text) => gitlabCi(text, options.config, context, registry));
  } else {
    files.delete(".gitlab-ci.yml");
    notes.push(
      `${service.slug} is onboarded from GitHub (${service.githubRepository}): no .gitlab-ci.yml was written; its CI roles trust that repository's GitHub Actions ID tokens (aud ${context.ci.audience}), see README.md "CI"`,
    );
  }
  files.set(SERVICE_CONTEXT_FILE, serviceContextText(context));

  makeFolder(dir, "the folder", dir);
  for (const [name, text] of files) writeTextFile(path.join(dir, name), text, "the file", path.join(dir, name));
  return { files: [...files.keys()].sort(), notes, context };
}

function missing(name: string): never {
  throw new Error(`the template ${TEMPLATE_DIR} has no ${name}`);
}

function replaceLine(text: string, re: RegExp, line: string, file: string): string {
  if (!re.test(text)) throw new Error(`the template's ${file} has no line matching ${re.source}`);
  return text.replace(re, line);
}

/** A new folder, or an empty one, outside the platform repository. */
function checkTarget(dir: string): void {
  const rel = path.relative(realPathOf(PROJECT_ROOT), realPathOf(dir));
  if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) {
    throw new UsageError(`${dir} is inside the platform repository (${PROJECT_ROOT}): a service repository is a repository of its own, so choose a folder outside it`);
  }
  let entries: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder: choose a new or empty folder`);
    entries = fs.readdirSync(dir);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return;
  }
  if (entries.length > 0) throw new UsageError(`${dir} is not empty (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", ..." : ""}): choose a new or empty folder`);
}

/** Where a path leads with its links followed: the real path of its nearest existing folder, then the rest as given. */
export function realPathOf(file: string): string {
  const rest: string[] = [];
  for (let at = path.resolve(file); ; at = path.dirname(at)) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch {
      if (path.dirname(at) === at) return path.resolve(file);
      rest.push(path.basename(at));
    }
  }
}

/** The template's pipeline with the service's audience, registry and one plan and apply job per stage. */
export function gitlabCi(template: string, config: PlatformConfig, context: ServiceContextDocument, registry: string): string {
  const at = template.indexOf(STAGE_JOBS_MARKER);
  if (at < 0) throw new Error(`the template's .gitlab-ci.yml has no line "${STAGE_JOBS_MARKER}"`);
  let head = template.slice(0, at);
  head = replaceLine(head, /^ {2}APPS_PLATFORM_OIDC_AUDIENCE: .*$/m, `  APPS_PLATFORM_OIDC_AUDIENCE: ${context.ci.audience}`, ".gitlab-ci.yml");
  head = replaceLine(head, /^ {2}APPS_PLATFORM_NPM_REGISTRY: .*$/m, `  APPS_PLATFORM_NPM_REGISTRY: ${registry}`, ".gitlab-ci.yml");
  return `${head}${STAGE_JOBS_MARKER}\n${stageJobs(Object.keys(context.stages), config)}`;
}

/** GitLab's deployment tier of a stage, for its environment. */
export function deploymentTier(name: string, stage: StageConfig): "production" | "staging" | "development" | "other" {
  if (stage.ephemeral) return "development";
  if (/^prod(uction)?$/.test(name)) return "production";
  if (/^(stage|staging)$/.test(name)) return "staging";
  if (/^dev(elopment)?$/.test(name)) return "development";
  return "other";
}

function stageJobs(stages: readonly string[], config: PlatformConfig): string {
  return stages
    .map((stage, i) =>
      [
        `plan:${stage}:`,
        "  extends: .plan",
        "  variables:",
        `    STAGE: ${stage}`,
        "",
        `apply:${stage}:`,
        "  extends: .apply",
        ...(i === 0 ? ["  # One apply of a stage at a time (the state lock would refuse the second)."] : []),
        `  resource_group: apply-${stage}`,
        ...(i > 0 ? [`  needs: [apply:${stages[i - 1]}]`] : []),
        "  variables:",
        `    STAGE: ${stage}`,
        "  environment:",
        `    name: ${stage}`,
        `    deployment_tier: ${deploymentTier(stage, config.stages[stage])}`,
        "",
      ].join("\n"),
    )
    .join("\n");
}
