import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CACHE_FORMAT } from "./synth-inputs";

/**
 * The synth cache: per stack, its inputs hash (src/synth-inputs.ts) → what synth wrote for it. An
 * entry is a folder `<cache>/entries/<hash>/` holding the stack's files (`cdk.tf.json`, `main.tf`,
 * extra files such as `authorizer.zip`) and `meta.json` (the stack's summary, its manifest entry and
 * the SHA-256 of every file). Entries are written whole or not at all (a folder renamed into place),
 * so a synth that is stopped, or two at once, never leave half an entry.
 *
 * Beside them, per pair of output folders (--out, --generated), an index of the files synth last
 * wrote there: their inode, size, modification and change times and SHA-256. A reused stack's file
 * whose stat still matches is left alone; any other is compared by content and rewritten when it
 * differs, so a file edited by hand, or changed by a checkout, is put right.
 */

export interface CachedFile {
  readonly sha256: string;
  readonly size: number;
}

export interface EntryMeta<Summary> {
  readonly format: string;
  readonly name: string;
  readonly summary: Summary;
  /** The stack's entry of cdktf.out/manifest.json. */
  readonly manifest: unknown;
  /** The CDKTF version the manifest names. */
  readonly manifestVersion: string;
  /** The files of the stack's folder in --generated (besides the marker), and in --out/stacks. */
  readonly generated: readonly string[];
  readonly out: readonly string[];
  readonly files: Readonly<Record<string, CachedFile>>;
}

export const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

export class SynthCache {
  readonly entries: string;
  private foldersMade = false;
  constructor(readonly dir: string) {
    this.entries = path.join(dir, "entries");
  }

  entryDir(hash: string): string {
    return path.join(this.entries, hash);
  }

  /** The entry's meta, or undefined when there is none (or it is of another format). */
  read<S>(hash: string): EntryMeta<S> | undefined {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.entryDir(hash), "meta.json"), "utf8");
    } catch {
      return undefined;
    }
    try {
      const meta = JSON.parse(text) as EntryMeta<S>;
      return meta.format === CACHE_FORMAT && safeNames(meta) ? meta : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores an entry: written beside the entries and renamed into place. */
  write<S>(hash: string, meta: Omit<EntryMeta<S>, "format" | "files">, texts: ReadonlyMap<string, string | Buffer>, replace = false): EntryMeta<S> {
    // Each text as bytes once: hashed, measured and written from them (from a string, each would
    // encode it again).
    const contents = new Map([...texts].map(([name, text]) => [name, typeof text === "string" ? Buffer.from(text) : text]));
    const files: Record<string, CachedFile> = {};
    for (const [name, content] of contents) files[name] = { sha256: sha256(content), size: content.length };
    const full: EntryMeta<S> = { format: CACHE_FORMAT, ...meta, files };
    const tmp = path.join(this.dir, "tmp", `${hash}.${process.pid}.${randomBytes(4).toString("hex")}`);
    // The folders above an entry are made once a process (each recursive mkdir is system calls per stack).
    if (!this.foldersMade) {
      fs.mkdirSync(path.dirname(tmp), { recursive: true });
      fs.mkdirSync(this.entries, { recursive: true });
      this.foldersMade = true;
    }
    fs.mkdirSync(tmp);
    for (const [name, content] of contents) fs.writeFileSync(path.join(tmp, name), content);
    fs.writeFileSync(path.join(tmp, "meta.json"), JSON.stringify(full));
    const target = this.entryDir(hash);
    try {
      fs.renameSync(tmp, target);
    } catch {
      // There is one already: another synth's of the same inputs, or one left unreadable (then replaced).
      if (replace || this.read(hash) === undefined) {
        fs.rmSync(target, { recursive: true, force: true });
        fs.renameSync(tmp, target);
      } else fs.rmSync(tmp, { recursive: true, force: true });
    }
    return full;
  }

  /**
   * Removes entries that no output index names and that were written more than `maxAgeMs` ago,
   * validated configs older than that, indexes of output folders that are gone, and what stopped
   * synths left in `tmp/` over an hour ago. Runs at most once an hour.
   */
  prune(maxAgeMs = 24 * 3600 * 1000, now = Date.now()): void {
    const stamp = path.join(this.dir, "pruned");
    try {
      if (now - fs.statSync(stamp).mtimeMs < 3600 * 1000) return;
    } catch {
      // never pruned
    }
    const used = new Set<string>();
    const indexes = path.join(this.dir, "outputs");
    for (const f of safeReaddir(indexes)) {
      const file = path.join(indexes, f);
      const index = readIndex(file);
      if (!index || !fs.existsSync(index.generatedDir)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      for (const h of Object.values(index.stacks)) used.add(h);
    }
    removeOlderThan(this.entries, maxAgeMs, now, (h) => used.has(h));
    // Validated configs (src/main.ts loadConfigCached) are kept a day; an older one is validated again.
    removeOlderThan(path.join(this.dir, "config"), maxAgeMs, now);
    // What a stopped synth left in tmp/ goes once it is an hour old; a folder of a synth running
    // now (another one, beside this) is younger than that and stays.
    removeOlderThan(path.join(this.dir, "tmp"), TMP_MAX_AGE_MS, now);
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(stamp, "");
    fs.utimesSync(stamp, new Date(now), new Date(now));
  }
}

/** How old a leftover of a stopped synth in `<cache>/tmp/` must be before prune removes it. */
export const TMP_MAX_AGE_MS = 3600 * 1000;

/** A file name of a stack's folder: one path segment, never `.` or `..`. */
const FILE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;

/**
 * True when every file an entry names is a plain file name of the entry: a cache written by someone
 * else (a CI cache restored from elsewhere) cannot make synth write outside a stack's folder.
 */
function safeNames(meta: EntryMeta<unknown>): boolean {
  const files = meta.files && typeof meta.files === "object" ? meta.files : undefined;
  if (!files || !Array.isArray(meta.generated) || !Array.isArray(meta.out) || typeof meta.name !== "string" || !FILE_NAME.test(meta.name)) return false;
  return [...meta.generated, ...meta.out].every((f) => typeof f === "string" && FILE_NAME.test(f) && Object.prototype.hasOwnProperty.call(files, f));
}

/** A cache entry's file whose content is not what its meta says. */
export class CorruptEntryError extends Error {
  constructor(readonly file: string) {
    super(`the synth cache's ${file} is not what its entry recorded (changed or damaged): run npm run synth -- --force, which writes every entry anew`);
    this.name = "CorruptEntryError";
  }
}

/** Removes what is in `dir` (files and folders) last modified more than `maxAgeMs` before `now`, but what `keep` names. */
function removeOlderThan(dir: string, maxAgeMs: number, now: number, keep: (name: string) => boolean = () => false): void {
  for (const name of safeReaddir(dir)) {
    if (keep(name)) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > maxAgeMs) fs.rmSync(file, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
  }
}

/** The names in a folder; none when there is no folder. */
export function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** One file synth wrote: what it looked like on disk afterwards, and its content hash. */
type FileRecord = [ino: string, size: string, mtimeNs: string, ctimeNs: string, sha256: string];

interface IndexFile {
  readonly outdir: string;
  readonly generatedDir: string;
  /** The entry each stack was last written from. */
  stacks: Record<string, string>;
  files: Record<string, FileRecord>;
}

function readIndex(file: string): IndexFile | undefined {
  try {
    const index = JSON.parse(fs.readFileSync(file, "utf8")) as IndexFile;
    return index && typeof index.stacks === "object" && typeof index.files === "object" ? index : undefined;
  } catch {
    return undefined;
  }
}

const statKey = (st: fs.BigIntStats): [string, string, string, string] => [String(st.ino), String(st.size), String(st.mtimeNs), String(st.ctimeNs)];

/** The files synth wrote into one pair of output folders, to tell which still hold what it wrote. */
export class OutputIndex {
  private readonly file: string;
  private readonly index: IndexFile;

  constructor(cache: SynthCache, outdir: string, generatedDir: string) {
    this.file = path.join(cache.dir, "outputs", `${sha256(`${outdir}\0${generatedDir}`).slice(0, 24)}.json`);
    const old = readIndex(this.file);
    this.index = old && old.outdir === outdir && old.generatedDir === generatedDir ? old : { outdir, generatedDir, stacks: {}, files: {} };
  }

  /** True when `file` still is what synth wrote with this hash (by its stat, without reading it). */
  unchanged(file: string, expected: string): boolean {
    const rec = this.index.files[file];
    if (!rec || rec[4] !== expected) return false;
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(file, { bigint: true });
    } catch {
      return false;
    }
    if (!st.isFile()) return false;
    const key = statKey(st);
    return key.every((v, i) => v === rec[i]);
  }

  /** Records `file` as it is now, holding content with this hash. */
  record(file: string, hash: string): void {
    this.index.files[file] = [...statKey(fs.lstatSync(file, { bigint: true })), hash];
  }

  /** True when synth wrote `file` (and has not removed it since). */
  wrote(file: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.index.files, file);
  }

  forgetFile(file: string): void {
    delete this.index.files[file];
  }

  stack(name: string, hash: string): void {
    this.index.stacks[name] = hash;
  }

  /** Forgets the files and stacks of folders that synth removed. */
  forget(names: ReadonlySet<string>, prefixes: readonly string[]): void {
    for (const name of Object.keys(this.index.stacks)) if (!names.has(name)) delete this.index.stacks[name];
    for (const f of Object.keys(this.index.files)) if (prefixes.some((p) => f.startsWith(p))) delete this.index.files[f];
  }

  save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.index));
    fs.renameSync(tmp, this.file);
  }
}

/**
 * Puts `content` (or the file `source`) at `file` unless it already holds it. A symbolic link in its
 * place is removed, never followed. Returns true when it wrote.
 */
export function placeFile(file: string, expected: CachedFile, from: { content: string | Buffer } | { source: string; fresh?: boolean }, index?: OutputIndex): boolean {
  if (index?.unchanged(file, expected.sha256)) return false;
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(file);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) {
    fs.unlinkSync(file);
    st = undefined;
  }
  let write = true;
  if (st?.isFile() && st.size === expected.size) write = sha256(fs.readFileSync(file)) !== expected.sha256;
  if (write && "source" in from && from.fresh) {
    // An entry written by this synth, from the text whose hash it recorded: copied by the system.
    // (A symbolic link in the way was removed above; copyFile replaces a file.)
    fs.copyFileSync(from.source, file);
  } else if (write) {
    // A cache entry's file from before is checked against its recorded hash before it is written anywhere.
    const content = "content" in from ? from.content : fs.readFileSync(from.source);
    if ("source" in from && sha256(content) !== expected.sha256) throw new CorruptEntryError(from.source);
    fs.writeFileSync(file, content);
  }
  index?.record(file, expected.sha256);
  return write;
}
