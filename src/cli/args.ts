import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The one argument parser of the project's commands (synth, ephemeral, schema, bench): every command
 * answers `--help`, refuses an unknown or malformed flag with one line naming it (exit 2), and never
 * takes the next flag as a value.
 */

export interface OptionSpec {
  /** The long name, with its dashes: `--config`. */
  readonly name: string;
  /** A short alias: `-h`. */
  readonly alias?: string;
  /** What the value is, for the help (`<file>`); absent for a switch that takes no value. */
  readonly value?: string;
  /** May be given more than once; every value is kept. */
  readonly repeatable?: boolean;
  /** One line. */
  readonly description: string;
  /** The environment variable used when the flag is not given. */
  readonly env?: string;
  /** What is used when neither the flag nor the variable is given. */
  readonly default?: string;
}

export interface SubcommandSpec {
  readonly name: string;
  /** One line. */
  readonly description: string;
}

export interface CommandSpec {
  /** How the command is run: `npm run synth --`. */
  readonly command: string;
  /** One line saying what it does. */
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** When given, the first argument must be one of these. */
  readonly subcommands?: readonly SubcommandSpec[];
}

export const HELP_OPTION: OptionSpec = { name: "--help", alias: "-h", description: "print this help and exit" };

/** Wrong use of a command: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ParsedArgs {
  /** `--help` or `-h` was given: print the help, run nothing. */
  readonly help: boolean;
  readonly subcommand?: string;
  /** The values by long name; switches have `[""]`. */
  readonly values: ReadonlyMap<string, readonly string[]>;
}

/** The last value of a flag, if given. */
export function valueOf(args: ParsedArgs, name: string): string | undefined {
  const v = args.values.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function allOptions(spec: CommandSpec): OptionSpec[] {
  return [...spec.options, HELP_OPTION];
}

/** Parses `argv` against `spec`, or throws a UsageError naming the first argument that is wrong. */
export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const options = allOptions(spec);
  // Help wins over everything else on the line, so `--confg x --help` still answers.
  const help = argv.some((a) => a === "--help" || a === "-h");
  if (help) {
    const sub = spec.subcommands && argv[0] && spec.subcommands.some((s) => s.name === argv[0]) ? argv[0] : undefined;
    return { help, subcommand: sub, values: new Map() };
  }
  const values = new Map<string, string[]>();
  let subcommand: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-") {
      if (spec.subcommands && subcommand === undefined && i === 0) {
        if (!spec.subcommands.some((s) => s.name === arg)) {
          throw new UsageError(`unknown command ${JSON.stringify(arg)}${suggestion(arg, spec.subcommands.map((s) => s.name))}; commands: ${spec.subcommands.map((s) => s.name).join(", ")}`);
        }
        subcommand = arg;
        continue;
      }
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}${spec.subcommands ? "" : ": this command takes only options"}`);
    }
    const eq = arg.indexOf("=");
    const flagName = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const option = options.find((o) => o.name === flagName || o.alias === flagName);
    if (!option) {
      throw new UsageError(`unknown option ${flagName}${suggestion(flagName, options.map((o) => o.name))}`);
    }
    let value = "";
    if (option.value) {
      const inline = flagName !== arg ? arg.slice(eq + 1) : undefined;
      const given = inline ?? argv[i + 1];
      if (inline === undefined) i++;
      if (given === undefined || given === "") throw new UsageError(`${option.name} needs a value: ${option.name} ${option.value}`);
      if (given.startsWith("-")) {
        throw new UsageError(`${option.name} needs a value (${option.value}), got the option ${JSON.stringify(given)}; a value starting with "-" is not accepted`);
      }
      value = given;
    } else if (flagName !== arg) {
      throw new UsageError(`${option.name} takes no value, got ${JSON.stringify(arg)}`);
    }
    const seen = values.get(option.name);
    if (seen && !option.repeatable) throw new UsageError(`${option.name} is given more than once`);
    values.set(option.name, [...(seen ?? []), value]);
  }
  if (spec.subcommands && subcommand === undefined) {
    throw new UsageError(`a command is required: ${spec.subcommands.map((s) => s.name).join(", ")}`);
  }
  return { help, subcommand, values };
}

/** The help text: usage, commands, and every option with its description, env var and default. */
export function formatHelp(spec: CommandSpec): string {
  const options = allOptions(spec);
  const sub = spec.subcommands ? ` <${spec.subcommands.map((s) => s.name).join("|")}>` : "";
  const lines = [`usage: ${spec.command}${sub} [options]`, "", spec.summary, ""];
  if (spec.subcommands) {
    const w = Math.max(...spec.subcommands.map((s) => s.name.length));
    lines.push("commands:", ...spec.subcommands.map((s) => `  ${s.name.padEnd(w)}  ${s.description}`), "");
  }
  const label = (o: OptionSpec) => `${o.alias ? `${o.alias}, ` : ""}${o.name}${o.value ? ` ${o.value}` : ""}`;
  const w = Math.max(...options.map((o) => label(o).length));
  lines.push("options:");
  for (const o of options) {
    const extra = [o.repeatable ? "repeatable" : "", o.env ? `env ${o.env}` : "", o.default ? `default ${o.default}` : ""].filter(Boolean);
    lines.push(`  ${label(o).padEnd(w)}  ${o.description}${extra.length ? ` (${extra.join("; ")})` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `; did you mean --config?` when a known name is a small typo away. */
function suggestion(given: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(given, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? `; did you mean ${best}?` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const swap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] ? prev[j - 2] + 1 : Infinity;
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1), swap));
    }
    prev = row;
  }
  return prev[b.length];
}

/** A path as a reader finds it: relative to the working directory when inside it, else absolute. */
export function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === "" ? file : rel.startsWith("..") || path.isAbsolute(rel) ? path.resolve(file) : rel;
}

/** A path (and what names it) in a message, of at most 160 characters: a longer one keeps its first 100 and last 40, with the count of those left out. */
export function clipped(text: string): string {
  return text.length <= 160 ? text : `${text.slice(0, 100)}…(${text.length - 140} more)…${text.slice(-40)}`;
}

/** A file that cannot be read, in one line: which file, named how, and why. */
export class FileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "FileError";
  }
}

/** Why reading failed, in words: "not found", "is a directory", "unreadable (permission denied)". */
export function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "not found";
  if (code === "ENOTDIR") return "not found (a part of the path is not a folder)";
  if (code === "EISDIR") return "is a directory, not a file";
  if (code === "EACCES" || code === "EPERM") return "unreadable (permission denied)";
  if (code === "ENAMETOOLONG") return "the path is too long";
  if (code === "ELOOP") return "not found (too many symbolic links on the way)";
  // The system's message names the path again: the code says enough.
  return `unreadable (${code ?? (err instanceof Error ? err.message : String(err))})`;
}

/**
 * Why writing a file (or making a folder: `made`) failed, in words: "cannot be written (its folder
 * does not exist)", "is a directory, not a file", "cannot be made (permission denied)".
 */
export function writeProblem(err: unknown, done: "written" | "made" = "written"): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const cannot = (why: string) => `cannot be ${done} (${why})`;
  if (code === "ENOENT") return cannot("its folder does not exist");
  if (code === "ENOTDIR" || code === "EEXIST") return cannot("a part of the path is a file, not a folder");
  if (code === "EISDIR") return "is a directory, not a file";
  if (code === "EACCES" || code === "EPERM") return cannot("permission denied");
  if (code === "EROFS") return cannot("a read-only file system");
  if (code === "ENOSPC") return cannot("no space left on the device");
  if (code === "ENAMETOOLONG") return cannot("the path is too long");
  return cannot(code ?? (err instanceof Error ? err.message : String(err)));
}

/**
 * Writes a text file, making its folder first (as makeFolder does) when `withFolder`, or throws a
 * FileError: `the output file x/y.json (from --out): cannot be written (its folder does not exist)`.
 */
export function writeTextFile(file: string, text: string, what: string, given = file, withFolder = false): void {
  const shown = clipped(given);
  if (withFolder) {
    const problem = folderProblem(path.dirname(file));
    if (problem) throw new FileError(file, `${what} ${shown}: its folder ${problem}`);
  }
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new FileError(file, `${what} ${shown}: ${writeProblem(err)}`);
  }
}

/**
 * Refuses a folder that is not there, or is a file, with a FileError of one line:
 * `the template folder x (from --template): not found`; `notFound` says more where there is more to say.
 */
export function checkFolder(dir: string, what: string, shown: string, notFound = "not found"): void {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new FileError(dir, `${what} ${clipped(shown)}: ${notFound}`);
  }
  if (!stat.isDirectory()) throw new FileError(dir, `${what} ${clipped(shown)}: is a file, not a folder`);
}

/**
 * Makes a folder and the folders on its way, one at a time (a recursive mkdir retries forever where
 * the system answers "not found" for a folder it cannot make, as /proc does), or throws a FileError:
 * `the output folder /proc/x/stacks (--out): cannot be made: /proc/x cannot be made (the file system refuses a folder there)`.
 */
export function makeFolder(dir: string, what: string, shown = dir): void {
  const problem = folderProblem(dir);
  if (problem) throw new FileError(dir, `${what} ${clipped(shown)}: ${problem}`);
}

/** Makes the folder as makeFolder does; what went wrong (`cannot be made (...)`), or undefined when it is there. */
function folderProblem(dir: string): string | undefined {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let stat;
    try {
      stat = statSync(at);
    } catch {
      missing.push(at);
      if (path.dirname(at) === at) break;
      continue;
    }
    if (!stat.isDirectory()) return `cannot be made (${at === path.resolve(dir) ? "it is a file" : `${at} is a file`}, not a folder)`;
    break;
  }
  for (const at of missing.reverse()) {
    try {
      mkdirSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && statSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
      // Its folder exists (made or found just before): "not found" is the file system refusing it.
      const problem = (err as NodeJS.ErrnoException).code === "ENOENT" ? "cannot be made (the file system refuses a folder there)" : writeProblem(err, "made");
      return at === path.resolve(dir) ? problem : problem.replace("be made", `be made: ${at} cannot be made`);
    }
  }
  return undefined;
}

/**
 * A failed system call that no command turned into its own message (a Node.js error with `code`
 * and `syscall`), as one line: `cannot mkdir /x/y: permission denied (EACCES)`. Anything else: undefined.
 */
export function systemErrorLine(err: unknown): string | undefined {
  const e = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  // Not `instanceof Error`: an error from another realm (a vm context) is one too.
  if (typeof e !== "object" || e === null || typeof e.message !== "string" || typeof e.code !== "string" || typeof e.syscall !== "string") return undefined;
  const reasons: Record<string, string> = {
    ENOENT: "not found",
    ENOTDIR: "a part of the path is not a folder",
    EISDIR: "is a directory",
    EEXIST: "already exists",
    EACCES: "permission denied",
    EPERM: "not permitted",
    EROFS: "a read-only file system",
    ENOSPC: "no space left on the device",
    ENOTEMPTY: "the folder is not empty",
  };
  const reason = reasons[e.code] ?? e.message.replace(/^[A-Z]+: /, "").replace(/, \w+(?: .*)?$/, "");
  return `cannot ${e.syscall}${e.path ? ` ${e.path}` : ""}${e.dest ? ` to ${e.dest}` : ""}: ${reason} (${e.code})`;
}

/** Reads a text file, or throws a FileError: `the config file x.yaml (from --config): not found`. */
export function readTextFile(file: string, what: string, given = file): string {
  const shown = clipped(given);
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
    bytes = readFileSync(file);
  } catch (err) {
    throw new FileError(file, `${what} ${shown}: ${readProblem(err)}`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) throw new FileError(file, `${what} ${shown}: is UTF-16 text; save it as UTF-8`);
  try {
    return UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    throw new FileError(file, `${what} ${shown}: is not UTF-8 text (the byte 0x${bytes[at].toString(16).toUpperCase().padStart(2, "0")} on line ${line} starts no UTF-8 character); save it as UTF-8`);
  }
}

/** Strict: text that is not UTF-8 is refused, not read with replacement characters. A byte order mark is kept, as readFileSync keeps it. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    const probe = bytes.subarray(i, i + length);
    try {
      UTF8.decode(probe);
    } catch {
      return i;
    }
    i += length;
  }
  return bytes.length - 1;
}

/** Where a command writes: what it outputs, and its messages. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The process's standard output and standard error. */
export const PROCESS_IO: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/**
 * Runs a command as the process's entry point: the exit code it returns (or resolves to) becomes the
 * process's; a failed system call it did not expect prints one line (`systemErrorLine`), any other
 * error its stack, and exits 1.
 */
export function runAsMain(command: (io: CliIo) => number | Promise<number>): void {
  const fail = (err: unknown): void => {
    const line = systemErrorLine(err);
    process.stderr.write(`${line ?? (err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    process.exitCode = 1;
  };
  try {
    Promise.resolve(command(PROCESS_IO)).then((code) => {
      process.exitCode = code;
    }, fail);
  } catch (err) {
    fail(err);
  }
}
