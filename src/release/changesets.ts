import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { BUMPS, Bump, maxBump } from "./api-report";

/**
 * The changesets of .changeset/: Markdown files whose front matter names, for each package, the
 * release a change needs, as `npx changeset` writes them:
 *
 *   ---
 *   "@acme/apps-platform-constructs": minor
 *   ---
 *
 *   What changed, and what a user of the package does about it.
 */

export interface Changeset {
  /** Its path as shown (`.changeset/brave-owls-sing.md`). */
  readonly file: string;
  /** The bump declared for each package. */
  readonly releases: ReadonlyMap<string, Bump>;
  /** The text after the front matter. */
  readonly summary: string;
}

/** A changeset that cannot be read; the message names the file and what is allowed. */
export class ChangesetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChangesetError";
  }
}

const FRONT_MATTER = /^\uFEFF?\s*---[ \t]*\r?\n([\s\S]*?)\r?\n?^---[ \t]*(?:\r?\n|$)([\s\S]*)$/m;
const ALLOWED = BUMPS.filter((b) => b !== "none").join(", ");

/** Parses one changeset; `packages`, when given, are the names it may release. */
export function parseChangeset(text: string, file: string, packages?: readonly string[]): Changeset {
  const m = FRONT_MATTER.exec(text);
  if (!m || !/^\uFEFF?\s*---/.test(text)) {
    throw new ChangesetError(`the changeset ${file} has no front matter: it must start with a line ---, then "<package>": <${ALLOWED}> per package, then a line ---`);
  }
  let doc: unknown;
  try {
    doc = m[1].trim() === "" ? {} : YAML.parse(m[1]);
  } catch (err) {
    throw new ChangesetError(`the changeset ${file}: its front matter is not YAML (${(err as Error).message.split("\n")[0]})`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ChangesetError(`the changeset ${file}: its front matter must map package names to ${ALLOWED}, got ${JSON.stringify(doc)}`);
  }
  const releases = new Map<string, Bump>();
  for (const [name, kind] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof kind !== "string" || !(BUMPS as readonly string[]).includes(kind)) {
      throw new ChangesetError(`the changeset ${file}: the release of ${name} must be one of ${ALLOWED} (or none), got ${JSON.stringify(kind)}`);
    }
    if (packages && !packages.includes(name)) {
      throw new ChangesetError(`the changeset ${file} names ${name}, which is not a published package of this repository (${packages.join(", ")})`);
    }
    releases.set(name, kind as Bump);
  }
  return { file, releases, summary: m[2].trim() };
}

/** The changeset files of a folder: every .md but its README. */
export function changesetFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f.toLowerCase() !== "readme.md")
    .sort();
}

/** Reads and parses every changeset of `dir`, shown as `<shownDir>/<file>`. */
export function readChangesets(dir: string, packages?: readonly string[], shownDir = ".changeset"): Changeset[] {
  return changesetFiles(dir).map((f) => parseChangeset(fs.readFileSync(path.join(dir, f), "utf8"), `${shownDir}/${f}`, packages));
}

/** The largest bump the changesets declare for `pkg`, and the files that declare it. */
export function declaredBump(changesets: readonly Changeset[], pkg: string): { bump: Bump; files: string[] } {
  const mine = changesets.filter((c) => c.releases.has(pkg));
  const bump = maxBump(mine.map((c) => c.releases.get(pkg)!));
  return { bump, files: mine.filter((c) => c.releases.get(pkg) === bump && bump !== "none").map((c) => c.file) };
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(v: string): [number, number, number, string | undefined] {
  const m = VERSION.exec(v);
  if (!m) throw new ChangesetError(`${JSON.stringify(v)} is not a semver version (major.minor.patch)`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4]];
}

/** Orders versions as semver does (a pre-release before its release; pre-release tags compared as text). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  if (x[3] === y[3]) return 0;
  if (x[3] === undefined) return 1;
  if (y[3] === undefined) return -1;
  return x[3] < y[3] ? -1 : 1;
}

/** The bump from one version to a later one; "lower" when `to` is not later than `from` and differs. */
export function versionBump(from: string, to: string): Bump | "lower" {
  const c = compareVersions(to, from);
  if (c === 0) return "none";
  if (c < 0) return "lower";
  const [x, y] = [parseVersion(from), parseVersion(to)];
  return y[0] !== x[0] ? "major" : y[1] !== x[1] ? "minor" : "patch";
}
