import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./paths";

/**
 * What a stack is made from, for the synth cache (see src/synth-cache.ts). A stack is rebuilt when
 * the hash of its inputs changes; the inputs are, conservatively:
 *
 *  - the cache format (CACHE_FORMAT) and how the stack is made: its factory (kind) and its name;
 *  - the config file's path as main.tf's header names it;
 *  - the code (codeInputsHash): every file under the compiled trees synth runs (dist/, or src/ and
 *    stacks/ when run from the sources, and packages/constructs/dist), package-lock.json (the
 *    versions of every package), node_modules/.package-lock.json (what is installed),
 *    packages/constructs/package.json (its exports map), the Node.js version, the files synth reads besides the config
 *    (.terraform-version, policies/) and the CDKTF_* environment variables;
 *  - the whole validated config except the fields the stack's factory declares it never reads
 *    (`services`, `fleet.tenants`), plus its own slice: its service entry, stage, fleet stage or
 *    tenant (with the placement the lock gave it) as passed to its constructor.
 *
 * The left-out fields are made unreadable while the stack is built and synthesized (guarded): a
 * stack whose code starts reading one fails the synth, naming the field, instead of being reused
 * when that field changes.
 */

/** Bumped when what a cache entry holds, or how it is made, changes. */
export const CACHE_FORMAT = "apps-platform-synth-cache/1";

/** A stack read a field that its inputs hash leaves out: a mistake in the stack's factory, not in the config. */
export class UndeclaredInputError extends Error {
  constructor(
    readonly stack: string,
    readonly field: string,
  ) {
    super(
      `stack ${stack} read ${field}, which its inputs leave out (a synth cache reusing it would miss a change there): ` +
        `take ${field} out of the factory's leftOut list in src/app.ts, or pass the stack only what it needs`,
    );
    this.name = "UndeclaredInputError";
  }
}

/**
 * A shallow copy of `obj` whose `keys` throw when read. Every other field is the original's, in the
 * original's order; a left-out key that `obj` lacks throws too (reading it as absent is a read).
 */
export function guarded<T extends object>(obj: T, keys: readonly string[], stack: string, prefix: string): T {
  const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(obj));
  const define = (k: string) =>
    Object.defineProperty(copy, k, {
      enumerable: true,
      get() {
        throw new UndeclaredInputError(stack, `${prefix}${k}`);
      },
    });
  for (const k of Object.keys(obj)) {
    if (keys.includes(k)) define(k);
    else copy[k] = (obj as Record<string, unknown>)[k];
  }
  for (const k of keys) if (!(k in copy)) define(k);
  return copy as T;
}

/** `obj` without `keys`, for hashing what a guarded copy still lets a stack read. */
export function omitted(obj: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/**
 * JSON of a value for hashing: keys in insertion order (which the stacks' loops follow), Maps and
 * Sets as their entries in order, undefined kept apart from absent. Refuses what it cannot write
 * (a function, a class instance with hidden state), so nothing an input holds is silently dropped.
 */
export function inputJson(value: unknown): string {
  return JSON.stringify(value, function (key, v) {
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Map) return { $map: [...raw.entries()] };
    if (raw instanceof Set) return { $set: [...raw.values()] };
    if (raw === undefined) return { $undefined: true };
    if (typeof raw === "function" || typeof raw === "symbol" || typeof raw === "bigint") throw new Error(`cannot hash the stack input ${key}: a ${typeof raw}`);
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
      const proto = Object.getPrototypeOf(raw);
      if (proto !== Object.prototype && proto !== null) throw new Error(`cannot hash the stack input ${key}: an instance of ${proto?.constructor?.name ?? "a class"}`);
    }
    return v;
  });
}

function hashTree(hash: ReturnType<typeof createHash>, root: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    hash.update(`absent ${root}\0`);
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const file = path.join(root, e.name);
    // A link is hashed as what it points at (a folder's files, or a file's content).
    const isDir = e.isDirectory() || (e.isSymbolicLink() && fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() === true);
    if (isDir) hashTree(hash, file);
    else if (e.isFile() || e.isSymbolicLink()) {
      hash.update(`${path.relative(PROJECT_ROOT, file)}\0`);
      hash.update(fs.readFileSync(file));
      hash.update("\0");
    }
  }
}

/** The folders of code a synth from this file runs: compiled, or the sources under ts-node and jest. */
export function codeRoots(fromFile: string = __filename): string[] {
  const constructs = [path.join(PROJECT_ROOT, "packages", "constructs", "dist")];
  if (fromFile.endsWith(".ts")) return [path.join(PROJECT_ROOT, "src"), path.join(PROJECT_ROOT, "stacks"), ...constructs, path.join(PROJECT_ROOT, "packages", "constructs", "src")];
  return [path.join(PROJECT_ROOT, "dist"), ...constructs];
}

/** The hash of every file under these folders, by path and content. */
export function treeHash(roots: readonly string[]): string {
  const hash = createHash("sha256");
  for (const root of roots) hashTree(hash, root);
  return hash.digest("hex");
}

let codeHash: string | undefined;

/** The hash of everything besides the config that every stack is made from (see the top of this file). Computed once per process. */
export function codeInputsHash(env: NodeJS.ProcessEnv = process.env, memo = true): string {
  if (codeHash && memo) return codeHash;
  const hash = createHash("sha256");
  hash.update(`${CACHE_FORMAT}\0node ${process.version}\0`);
  hash.update(treeHash([...codeRoots(), path.join(PROJECT_ROOT, "policies")]));
  // What is installed (npm's record of node_modules, which an `npm install <pkg>` without saving changes
  // too) and the construct library's manifest (its exports map tells Node which file an import loads).
  for (const file of ["package-lock.json", "node_modules/.package-lock.json", "packages/constructs/package.json", ".terraform-version"]) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(fs.readFileSync(path.join(PROJECT_ROOT, file)));
    } catch {
      hash.update("\0absent\0");
    }
  }
  for (const name of Object.keys(env).filter((k) => k.startsWith("CDKTF_") && k !== "CDKTF_OUTDIR").sort()) hash.update(`\0env ${name}=${env[name]}`);
  const digest = hash.digest("hex");
  if (memo) codeHash = digest;
  return digest;
}

/** The inputs hash of one stack: the shared part (code, config, header source) and the stack's own. */
export function stackInputsHash(shared: string, kind: string, name: string, own: string): string {
  return createHash("sha256").update(shared).update(`\0${kind}\0${name}\0`).update(own).digest("hex");
}
