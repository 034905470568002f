import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CliIo, CommandSpec, UsageError, formatHelp, parseArgs, runAsMain } from "../cli/args";
import { PROJECT_ROOT } from "../paths";
import { gate, gateReport } from "./api-gate";
import { Extract, LIBRARY, extractApi } from "./api-extractor";
import { ReportError, compareReports } from "./api-report";
import { ChangesetError, compareVersions, declaredBump, parseVersion, readChangesets } from "./changesets";
import { fileInTarball } from "./tarball";

/**
 * npm run release: publishes the construct library's version (packages/constructs/package.json) to
 * the registry NPM_CONFIG_REGISTRY names, once: the API report must be fresh, and the API's change
 * against the last release on that registry must fit the version's bump (the gate of api:check,
 * measured against the release). What is published is a staged copy of exactly the files `npm pack`
 * takes from the package, under the name APPS_PLATFORM_CONSTRUCTS_PACKAGE gives (default the
 * package's own). Versions come from `npm run version-packages` (changeset version), never from here.
 */

export const RELEASE_COMMAND: CommandSpec = {
  command: "npm run release --",
  summary: `Builds the construct library and publishes the version of ${LIBRARY.dir}/package.json to the registry NPM_CONFIG_REGISTRY names, after checking its API report and its API's change against the last release there; a version already there is left alone. npm run version-packages makes the next version from the pending changesets.`,
  options: [{ name: "--dry-run", description: "check and stage everything, then npm publish --dry-run: nothing is uploaded" }],
};

const ENVIRONMENT = [
  "environment:",
  "  NPM_CONFIG_REGISTRY               the registry to publish to, http(s) URL (required)",
  "  NPM_CONFIG_USERCONFIG             npm's user config with the registry's token (npm's own variable)",
  "  APPS_PLATFORM_CONSTRUCTS_PACKAGE  the name to publish under (default the package's, @acme/apps-platform-constructs)",
  "  APPS_PLATFORM_CONSTRUCTS_ACCESS   public or restricted (default publishConfig.access of the package, restricted)",
  "  NPM_CONFIG_PROVENANCE             true: npm publish --provenance, from GitLab CI or GitHub Actions only; needs access public",
];

/** npm's package-name rules: lowercase, URL-safe, at most 214 characters, optionally in a scope. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export type Io = CliIo;

export interface NpmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type Npm = (args: readonly string[], cwd: string) => NpmResult;

const runNpm =
  (env: NodeJS.ProcessEnv): Npm =>
  (args, cwd) => {
    const r = spawnSync("npm", args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? String(r.error ?? "") };
  };

/** A release that cannot go ahead: printed as it is, exit code 1. */
export class ReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

export interface ReleaseSettings {
  readonly name: string;
  /** npm's registry flags: the registry, and for a scoped name its scope's too (a user's `@scope:registry` would win otherwise). */
  readonly registryFlags: readonly string[];
  readonly access: "public" | "restricted";
  readonly registry: string;
  readonly provenance: boolean;
}

/** The release's settings from the environment, or a UsageError naming the variable and what it allows. */
export function releaseSettings(env: NodeJS.ProcessEnv, pkg: { name: string; publishConfig?: { access?: string } }): ReleaseSettings {
  const registry = env.NPM_CONFIG_REGISTRY ?? env.npm_config_registry;
  if (!registry) throw new UsageError("NPM_CONFIG_REGISTRY is not set: name the registry to publish to (an http(s) URL, such as GitLab's <api>/projects/<id>/packages/npm/)");
  // Credentials go into an npm user config, never into the URL, which the release prints.
  if (!/^https?:\/\/[^\s/@]+(?:\/|$)/.test(registry)) {
    throw new UsageError(`NPM_CONFIG_REGISTRY must be an http(s) URL without credentials (put the token in an npm user config: docs/releasing.md), got ${JSON.stringify(registry.replace(/\/\/[^/@\s]*@/, "//<credentials>@"))}`);
  }
  const name = env.APPS_PLATFORM_CONSTRUCTS_PACKAGE || pkg.name;
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw new UsageError(`APPS_PLATFORM_CONSTRUCTS_PACKAGE must be an npm package name (lowercase letters, digits, - . _ ~, optionally in a scope: @scope/name), got ${JSON.stringify(name)}`);
  }
  const access = env.APPS_PLATFORM_CONSTRUCTS_ACCESS || pkg.publishConfig?.access || "restricted";
  if (access !== "public" && access !== "restricted") throw new UsageError(`APPS_PLATFORM_CONSTRUCTS_ACCESS must be public or restricted, got ${JSON.stringify(access)}`);
  if (access === "restricted" && !name.startsWith("@")) {
    throw new UsageError(`${name} has no scope, and npm restricts only scoped packages: publish under @scope/${name}, or set APPS_PLATFORM_CONSTRUCTS_ACCESS=public`);
  }
  const p = (env.NPM_CONFIG_PROVENANCE ?? env.npm_config_provenance ?? "false").toLowerCase();
  if (p !== "true" && p !== "false") throw new UsageError(`NPM_CONFIG_PROVENANCE must be true or false, got ${JSON.stringify(env.NPM_CONFIG_PROVENANCE)}`);
  const provenance = p === "true";
  if (provenance && access !== "public") {
    throw new UsageError("NPM_CONFIG_PROVENANCE=true needs a public package: npm signs provenance only for access public; set APPS_PLATFORM_CONSTRUCTS_ACCESS=public, or NPM_CONFIG_PROVENANCE=false");
  }
  const url = registry.endsWith("/") ? registry : `${registry}/`;
  const registryFlags = ["--registry", url, ...(name.startsWith("@") ? [`--${name.split("/")[0]}:registry=${url}`] : [])];
  return { name, access, registry: url, registryFlags, provenance };
}

/** The source repository provenance links to, from the CI's variables, as package.json's `repository`. */
export function repositoryOf(env: NodeJS.ProcessEnv): { type: "git"; url: string; directory: string } | undefined {
  const url = env.CI_PROJECT_URL ?? (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined);
  return url ? { type: "git", url: `git+${url}.git`, directory: LIBRARY.dir } : undefined;
}

/** Why an npm command failed: the error of its --json output, else its first `npm error` lines, else its last lines. */
export function npmProblem(r: NpmResult): string {
  try {
    const e = (JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { error?: { code?: string; summary?: string; detail?: string } }).error;
    if (e && (e.code || e.summary)) return [e.code, e.summary].filter(Boolean).join(": ");
  } catch {
    // not JSON
  }
  const lines = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^npm (?:error|ERR!)/.test(l));
  return (errors.length ? errors.slice(0, 6) : lines.slice(-6)).join("\n  ");
}

/** The versions of `name` on the registry; none when the registry does not have it. */
export function publishedVersions(npm: Npm, cwd: string, s: ReleaseSettings): string[] {
  const r = npm(["view", s.name, "versions", "--json", ...s.registryFlags], cwd);
  if (r.code !== 0) {
    if (/E404|404 Not Found|is not in this registry/.test(r.stdout + r.stderr)) return [];
    throw new ReleaseError(`npm view ${s.name} on ${s.registry} failed:\n  ${npmProblem(r)}`);
  }
  const v = JSON.parse(r.stdout || "[]") as string | string[];
  return Array.isArray(v) ? v : [v];
}

interface Manifest {
  name: string;
  version: string;
  publishConfig?: { access?: string } & Record<string, unknown>;
  repository?: unknown;
  scripts?: unknown;
  devDependencies?: unknown;
  [key: string]: unknown;
}

/**
 * Copies the files `npm pack` takes from the package into `stage`, with the manifest renamed and
 * given the access (and, for provenance, the source repository). Refuses a renamed copy whose code
 * loads the package by its own name: under another name that would load another package.
 */
export function stagePackage(npm: Npm, packageDir: string, stage: string, s: ReleaseSettings, repository?: ReturnType<typeof repositoryOf>): { files: string[] } {
  const packed = npm(["pack", "--dry-run", "--json", "--ignore-scripts"], packageDir);
  if (packed.code !== 0) throw new ReleaseError(`npm pack --dry-run in ${packageDir} failed:\n  ${npmProblem(packed)}`);
  const files = ((JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files ?? []).map((f) => f.path).sort();
  fs.rmSync(stage, { recursive: true, force: true });
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true });
    fs.copyFileSync(path.join(packageDir, f), path.join(stage, f));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as Manifest;
  if (s.name !== manifest.name) {
    const self = files.filter((f) => f.endsWith(".js") && new RegExp(`require\\(["']${manifest.name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`).test(fs.readFileSync(path.join(stage, f), "utf8")));
    if (self.length) throw new ReleaseError(`${self.join(", ")} load ${manifest.name} by name: published as ${s.name}, they would load another package`);
  }
  const staged: Manifest = { ...manifest, name: s.name, publishConfig: { ...manifest.publishConfig, access: s.access } };
  // A consumer installs the built files: nothing builds them again.
  delete staged.scripts;
  delete staged.devDependencies;
  if (s.provenance && !staged.repository && repository) staged.repository = repository;
  fs.writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(staged, null, 2)}\n`);
  return { files };
}

/** The API report of a published version, from its tarball; undefined when it shipped none. */
export function releasedReport(npm: Npm, root: string, s: ReleaseSettings, version: string): string | undefined {
  const dir = path.join(root, ".tmp", "release", "base");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const r = npm(["pack", `${s.name}@${version}`, "--json", "--pack-destination", dir, ...s.registryFlags, "--ignore-scripts"], dir);
  if (r.code !== 0) throw new ReleaseError(`npm pack ${s.name}@${version} from ${s.registry} failed:\n  ${npmProblem(r)}`);
  const filename = (JSON.parse(r.stdout) as { filename: string }[])[0].filename;
  const tgz = fs.readFileSync(path.join(dir, path.basename(filename)));
  return fileInTarball(tgz, `package/${LIBRARY.report.slice(LIBRARY.dir.length + 1)}`)?.toString("utf8");
}

export interface Options {
  readonly root?: string;
  readonly extract?: Extract;
  readonly npm?: Npm;
}

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io, opts: Options = {}): Promise<number> {
  const root = opts.root ?? PROJECT_ROOT;
  const say = (t: string) => io.out(`npm run release: ${t}\n`);
  try {
    const args = parseArgs(argv, RELEASE_COMMAND);
    if (args.help) {
      io.out(`${formatHelp(RELEASE_COMMAND)}\n${ENVIRONMENT.join("\n")}\n`);
      return 0;
    }
    const dryRun = args.values.has("--dry-run");
    const packageDir = path.join(root, LIBRARY.dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as Manifest;
    parseVersion(pkg.version);
    const s = releaseSettings(env, pkg);
    const npm = opts.npm ?? runNpm(env);

    const target = `${s.name}@${pkg.version}`;
    const versions = publishedVersions(npm, root, s);
    const pending = declaredBump(readChangesets(path.join(root, LIBRARY.changesets), [pkg.name]), pkg.name);
    const pendingNote = pending.bump === "none" ? "" : `; pending changesets (${pending.files.length ? pending.files.join(", ") : "none with a release"}) make the next version with npm run version-packages`;
    if (versions.includes(pkg.version)) {
      say(`nothing to publish: ${target} is on ${s.registry} already${pendingNote}`);
      return 0;
    }
    const ex = (opts.extract ?? extractApi)(root);
    if (ex.problems.length) throw new ReleaseError(`API Extractor reports ${ex.problems.length} problems; npm run api:check lists them`);
    if (ex.committed?.replace(/\r\n/g, "\n") !== ex.report.replace(/\r\n/g, "\n")) {
      throw new ReleaseError(`${LIBRARY.report} is not what the package exports: run npm run api, commit the report with its changeset, and release from that commit`);
    }
    const last = versions.filter((v) => !parseVersion(v)[3]).sort(compareVersions).at(-1) ?? versions.sort(compareVersions).at(-1);
    if (last === undefined) {
      say(`${s.name} has no release on ${s.registry}: ${pkg.version} is the first, nothing to compare its API with`);
    } else {
      if (compareVersions(pkg.version, last) < 0) throw new ReleaseError(`${target} is below the last release ${last} on ${s.registry}: versions only go up (npm run version-packages)`);
      const baseReport = releasedReport(npm, root, s, last);
      if (baseReport === undefined) throw new ReleaseError(`the release ${s.name}@${last} shipped no API report (${LIBRARY.report.slice(LIBRARY.dir.length + 1)}), so its API cannot be compared`);
      const input = { packageName: pkg.name, baseName: `the release ${last}`, baseReport, currentReport: ex.report, baseVersion: last, currentVersion: pkg.version, changesets: [] };
      const result = gate(input);
      if (!result.ok) {
        const lines = gateReport(input, result);
        const remedy = lines.findIndex((l) => l.startsWith("Add one:"));
        throw new ReleaseError(
          [
            ...lines.slice(0, remedy < 0 ? undefined : remedy),
            `Add a ${result.needed} changeset (npx changeset) and run npm run version-packages: the version must go from ${last} by a ${result.needed} step at least.`,
          ].join("\n"),
        );
      }
      const c = compareReports(baseReport, ex.report);
      say(`${pkg.version} after ${last}: ${result.declared} by version, the API needs ${result.needed} (${c.removed.length} lines removed or changed, ${c.added.length} added)`);
    }

    const stage = path.join(root, ".tmp", "release", "package");
    const { files } = stagePackage(npm, packageDir, stage, s, repositoryOf(env));
    const publishArgs = ["publish", "--json", "--ignore-scripts", ...s.registryFlags, ...(s.provenance ? ["--provenance"] : []), ...(dryRun ? ["--dry-run"] : [])];
    say(`npm ${publishArgs.join(" ")} (${files.length} files staged in ${path.relative(root, stage)}, access ${s.access})`);
    const r = npm(publishArgs, stage);
    if (r.code !== 0) throw new ReleaseError(`npm publish of ${target} to ${s.registry} failed:\n  ${npmProblem(r)}`);
    let info: { size?: number; unpackedSize?: number; entryCount?: number } = {};
    try {
      const parsed = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
      info = parsed[s.name] ?? parsed;
    } catch {
      // npm's summary is for the log only.
    }
    say(
      `${dryRun ? "would publish" : "published"} ${target} to ${s.registry}: ${info.entryCount ?? files.length} files, ${info.size ?? "?"} bytes packed, ${info.unpackedSize ?? "?"} unpacked; access ${s.access}; provenance ${s.provenance ? "signed" : "none"}${pendingNote}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`npm run release: ${err.message} (see --help)\n`);
      return 2;
    }
    if (err instanceof ChangesetError || err instanceof ReportError) {
      io.err(`npm run release: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ReleaseError) {
      io.err(`npm run release: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) runAsMain((io) => run(process.argv.slice(2), process.env, io));
