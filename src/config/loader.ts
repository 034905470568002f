import * as path from "node:path";
import { Document, isCollection, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from "yaml";
import { z } from "zod";
import { readTextFile, shownPath } from "../cli/args";
import { PROJECT_ROOT } from "../paths";
import { crossFieldChecks, platformConfigSchema, type PlatformConfig } from "./schema";

/** One problem in a config file, located as precisely as the YAML allows. */
export interface ConfigProblem {
  readonly file: string;
  /** The field, written as a reader would look it up: `services[2].slug`, `stages.dev.network.cidr`. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  /** What is wrong, with what is allowed and what was given. */
  readonly message: string;
}

/** Raised with every problem of a config at once; nothing may be synthesized from such a config. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? "" : "s"} in the platform config:\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path ? `${p.path} ` : "";
  return `${where}${p.message} (${p.file}:${p.line}:${p.column})`;
}

/** The config synthesized when neither `--config` nor `PLATFORM_CONFIG` names another. */
export const DEFAULT_CONFIG_PATH = path.join(PROJECT_ROOT, "config", "example.yaml");

/**
 * The config file a command reads: `--config`, else `PLATFORM_CONFIG`, else the example; an empty
 * PLATFORM_CONFIG (a CI variable defined without a value) is as good as none, as for npm run synth.
 * `origin` names where it came from, for messages about the file.
 */
export function configFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): { file: string; origin?: string } {
  if (flag !== undefined) return { file: path.resolve(cwd, flag), origin: "--config" };
  if (env.PLATFORM_CONFIG) return { file: path.resolve(cwd, env.PLATFORM_CONFIG), origin: "PLATFORM_CONFIG" };
  return { file: DEFAULT_CONFIG_PATH };
}

/**
 * Reads and validates a config file. A file that cannot be read throws a FileError of one line
 * naming it, where it was named (`--config`, `PLATFORM_CONFIG`) and why; an invalid one a ConfigError.
 */
export function loadConfigFile(file: string, origin?: string): PlatformConfig {
  const { text, shown } = readConfigFile(file, origin);
  return parseConfig(text, shown);
}

/** A config file's text, and its path as problems name it; a FileError of one line when it cannot be read. */
export function readConfigFile(file: string, origin?: string): { text: string; shown: string } {
  const shown = shownPath(file);
  return { text: readTextFile(file, "the config file", origin ? `${shown} (from ${origin})` : shown), shown };
}

/**
 * The document's value. The parser reports an alias whose anchor is not set before it, or aliases
 * that expand to more nodes than its guard against resource exhaustion allows ("billion laughs"),
 * only as it builds the value, by throwing: each becomes a problem at the alias it names, or at the
 * first alias.
 */
function documentValue(doc: Document.Parsed, file: string, at: (offset: number) => { line: number; col: number }): unknown {
  try {
    return doc.toJS() ?? {};
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const aliases: { source: string; offset: number }[] = [];
    visit(doc, {
      Alias(_key, node) {
        aliases.push({ source: node.source, offset: node.range?.[0] ?? 0 });
      },
    });
    const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec(err.message)?.[1];
    const alias = aliases.find((a) => a.source === unresolved) ?? aliases[0];
    const { line, col } = at(alias?.offset ?? 0);
    const message = unresolved !== undefined
      ? `the alias *${unresolved} names no anchor (&${unresolved}) set before it`
      : /alias count/i.test(err.message)
        ? "its aliases expand to more values than the parser allows (a guard against resource exhaustion); write the values out"
        : err.message;
    throw new ConfigError([{ file, path: "", line, column: col, message: `is not valid YAML: ${message}` }]);
  }
}

/** Parses and validates a config, or throws a ConfigError listing every problem in it. */
export function parseConfig(text: string, file: string): PlatformConfig {
  const lineCounter = new LineCounter();
  const at = (offset: number) => lineCounter.linePos(offset);
  let doc: Document.Parsed;
  try {
    // Duplicate keys are found below (repeatedAndComplexKeys), named, and reported with every other problem.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    // The parser throws (rather than reporting) on an escape of a code point past Unicode's last, `"\U00110000"`.
    if (!(err instanceof RangeError)) throw err;
    const escape = [...text.matchAll(/\\U([0-9A-Fa-f]{8})/g)].find((m) => parseInt(m[1], 16) > 0x10ffff);
    const { line, col } = escape?.index !== undefined ? at(escape.index) : { line: 1, col: 1 };
    throw new ConfigError([{ file, path: "", line, column: col, message: `is not valid YAML: ${escape ? `the escape ${escape[0]} is past the last Unicode code point (\\U0010FFFF)` : err.message}` }]);
  }

  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = [];
    for (const e of doc.errors) {
      const { offset, note } = syntaxErrorAt(doc, text, e);
      const { line, col } = at(offset);
      if (problems.some((p) => p.line === line && p.column === col)) continue; // one cause, several errors
      const message = e.code === "MULTIPLE_DOCS" ? "the config is one YAML document; a second one starts here (remove the --- line and what follows, or merge it in)" : `${e.message.split("\n")[0]}${note}`;
      problems.push({ file, path: "", line, column: col, message: `is not valid YAML: ${message}` });
    }
    throw new ConfigError(problems);
  }

  const duplicates = repeatedAndComplexKeys(doc);
  // A key that is a list or a mapping has no value to check the rest with (the parser would turn it
  // into text, with a warning of its own): it is reported alone, as a syntax error is.
  const complex = duplicates.filter((d) => d.first === undefined);
  if (complex.length > 0) {
    throw new ConfigError(complex.map((d) => ({ file, path: formatPathIn(undefined, d.path), ...lineColumn(at(d.offset)), message: "has a key that is a list or a mapping: a key is a name" })));
  }
  const raw = documentValue(doc, file, at);
  const formatPath = (p: readonly PropertyKey[]) => formatPathIn(raw, p);
  // A tag the parser does not know (`!foo`) it only warns of, and reads the value as if untagged.
  const tagged = doc.warnings.map((w) => ({ offset: w.pos[0], message: w.code === "TAG_RESOLVE_FAILED" ? `${/tag: (\S+)/.exec(w.message)?.[1] ?? "the tag"} is a YAML tag the config does not take; write the value without it` : w.message.split("\n")[0] }));
  const result = platformConfigSchema.safeParse(raw, { reportInput: true, error: defaultMessage });
  const crossIssues = crossFieldChecks(raw);
  if (result.success && crossIssues.length === 0 && duplicates.length === 0 && tagged.length === 0) return result.data;

  const problems: ConfigProblem[] = [];
  for (const d of duplicates) {
    const { line, col } = at(d.offset);
    problems.push({ file, path: formatPath(d.path), line, column: col, message: `is given twice in one mapping (first on line ${at(d.first!).line}): a key appears once; the value would depend on the reader` });
  }
  for (const t of tagged) {
    const { line, col } = at(t.offset);
    problems.push({ file, path: "", line, column: col, message: t.message });
  }
  const schemaIssues = result.success ? [] : result.error.issues;
  const seen = new Set(schemaIssues.filter((i) => i.code !== "unrecognized_keys").map((i) => formatPath(i.path)));
  for (const issue of crossIssues) {
    const where = formatPath(issue.path);
    if (seen.has(where)) continue; // the schema already said what is wrong with this field
    const { line, col } = at(locate(doc, issue.path, issue.path.length === 2 && issue.path[0] === "stages" ? "key" : "value"));
    problems.push({ file, path: where, line, column: col, message: withGiven(issue) });
  }
  for (const issue of schemaIssues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const keyPath = [...issue.path, key];
        const { line, col } = at(locate(doc, keyPath, "key"));
        const allowed = allowedKeys(issue.path, raw);
        problems.push({
          file,
          path: formatPath(keyPath),
          line,
          column: col,
          message:
            key === "<<"
              ? "is a YAML merge key, which the config does not take: write the fields out, or alias the whole mapping (network: *dev-network)"
              : `is not a known field${allowed ? `; allowed here: ${allowed.join(", ")}` : ""}`,
        });
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      // A bad key of a map (an environment variable name): the key's own check says what is allowed.
      const { line, col } = at(locate(doc, issue.path, "key"));
      const inner = issue.issues[0]?.message ?? issue.message;
      problems.push({ file, path: formatPath(issue.path), line, column: col, message: withGiven({ ...issue, message: inner }) });
      continue;
    }
    const { line, col } = at(locate(doc, issue.path, "value"));
    problems.push({ file, path: formatPath(issue.path), line, column: col, message: withGiven(issue) });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
  throw new ConfigError(problems);
}

/**
 * Every key of a mapping that repeats an earlier key of it (its path, where it is and where the first
 * one is), and every key that is no scalar (`? [a, b]`, no `first`).
 */
function repeatedAndComplexKeys(doc: Document.Parsed): { path: (string | number)[]; offset: number; first?: number }[] {
  const found: { path: (string | number)[]; offset: number; first?: number }[] = [];
  const walk = (node: unknown, at: (string | number)[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const offset = isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
        if (pair.key !== null && !isScalar(pair.key)) found.push({ path: at, offset });
        else if (key !== undefined && seen.has(key)) found.push({ path: [...at, key], offset, first: seen.get(key)! });
        else if (key !== undefined) seen.set(key, offset);
        walk(pair.value, key === undefined ? at : [...at, key]);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...at, i]));
  };
  walk(doc.contents, []);
  return found;
}

const lineColumn = (p: { line: number; col: number }) => ({ line: p.line, column: p.col });

function withGiven(issue: { message: string; input?: unknown; code?: string }): string {
  const { input } = issue;
  if (input === undefined) return issue.message;
  if (issue.code === "invalid_union" && isRecord(input) && "kind" in input) {
    return `${issue.message}, got ${describeValue(input.kind)}`;
  }
  return `${issue.message}, got ${describeValue(input)}`;
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return "binary data (!!binary)";
  if (typeof v === "number" && Number.isNaN(v)) return ".nan (not a number)";
  if (typeof v === "number" && !Number.isFinite(v)) return `${v > 0 ? "" : "-"}.inf (infinite, or too large a number)`;
  if (isRecord(v)) return "a mapping";
  return JSON.stringify(v) ?? String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};

/** Messages for zod's built-in checks, phrased as "what is allowed"; `withGiven` adds what was given. */
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      if (issue.expected === "string" && typeof issue.input === "number") {
        return "must be a string (quote numbers such as account ids in YAML)";
      }
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      if (issue.origin === "array") return `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      if (issue.origin === "string") return `must be at least ${issue.minimum} characters long`;
      return `must be at least ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters long`;
      return `must be at most ${issue.maximum}`;
    case "invalid_format":
      return issue.format === "regex" && "pattern" in issue ? `must match ${String(issue.pattern)}` : `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

/** A slug short and plain enough to name its service in a message, even when it is not a valid slug. */
const READABLE_SLUG = /^[A-Za-z0-9_.-]{1,40}$/;

/** The path as a reader looks it up, a service also by its slug: `services[3] (payments-api).slug`. */
function formatPathIn(raw: unknown, p: readonly PropertyKey[]): string {
  const services = isRecord(raw) && Array.isArray(raw.services) ? raw.services : [];
  return p.reduce<string>((acc, seg, i) => {
    if (typeof seg === "number") {
      const slug = i === 1 && p[0] === "services" && isRecord(services[seg]) ? services[seg].slug : undefined;
      return `${acc}[${seg}]${typeof slug === "string" && READABLE_SLUG.test(slug) ? ` (${slug})` : ""}`;
    }
    return acc ? `${acc}.${String(seg)}` : String(seg);
  }, "");
}

/**
 * Where a YAML syntax error is, for a reader: the parser reports an unclosed quote or bracket at the
 * end of the file and a badly indented line at its first column, so point at the opening quote or
 * bracket, at the over-indented line, or at the first character of the line instead.
 */
function syntaxErrorAt(doc: Document, text: string, e: { code: string; message: string; pos: [number, number] }): { offset: number; note: string } {
  const [start] = e.pos;
  if (e.code === "MISSING_CHAR" || /end with an? [\]}]/.test(e.message)) {
    let opening: number | undefined;
    visit(doc, {
      Node(_, node) {
        const range = node.range;
        const open = (isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE")) || (isCollection(node) && node.flow);
        if (open && range && range[0] < start && range[1] >= start && (opening === undefined || range[0] > opening)) opening = range[0];
      },
    });
    if (opening !== undefined) return { offset: opening, note: " (it opens here and is never closed)" };
  }
  if (e.code === "BLOCK_AS_IMPLICIT_KEY" || e.code === "MULTILINE_IMPLICIT_KEY") {
    // The value before the over-indented line became a multi-line key: that next line is the mistake.
    const newline = text.indexOf("\n", start);
    if (newline >= 0 && newline + 1 < text.length) {
      return { offset: firstNonSpace(text, newline + 1), note: " (this line is indented deeper than the one before it)" };
    }
  }
  return { offset: firstNonSpace(text, start), note: "" };
}

/** The offset of the first character other than a space from `offset` on, within its line. */
function firstNonSpace(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && text[i] === " ") i++;
  return i < text.length && text[i] !== "\n" ? i : offset;
}

/**
 * The source offset of `p` in the document: the value (or the key, for unknown keys) when it exists,
 * otherwise the nearest existing ancestor — a missing field is reported where its parent starts.
 */
function locate(doc: Document, p: readonly PropertyKey[], want: "key" | "value"): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    const last = i === p.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) return offset;
      if (last && want === "key") return rangeStart(pair.key) ?? offset;
      node = pair.value;
      offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (!isNode(item)) return offset;
      node = item;
      offset = rangeStart(item) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) ? (node as Node).range?.[0] : undefined;
}

/** The keys a strict object of the schema accepts at `p`, to list them in "unknown field" messages. */
function allowedKeys(p: readonly PropertyKey[], raw: unknown): string[] | undefined {
  let schema: unknown = platformConfigSchema;
  let value = raw;
  for (const seg of p) {
    schema = variantOf(unwrap(schema), value);
    value = isRecord(value) || Array.isArray(value) ? (value as Record<string, unknown>)[String(seg)] : undefined;
    if (schema instanceof z.ZodObject) schema = schema.shape[String(seg)];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema._zod.def.valueType;
    else return undefined;
  }
  schema = variantOf(unwrap(schema), value);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/** The option of a union the value is of: the object whose fields are all there, or the one its discriminator names. */
function variantOf(schema: unknown, value: unknown): unknown {
  if (!(schema instanceof z.ZodUnion) || !isRecord(value)) return schema;
  const options = (schema._zod.def.options as unknown[]).map(unwrap).filter((o): o is z.ZodObject => o instanceof z.ZodObject);
  const discriminator = (schema._zod.def as { discriminator?: string }).discriminator;
  if (discriminator !== undefined) {
    const named = options.find((o) => {
      const field = unwrap(o.shape[discriminator]);
      return field instanceof z.ZodLiteral && (field._zod.def.values as unknown[]).includes(value[discriminator]);
    });
    if (named) return named;
  }
  return schema;
}

function unwrap(schema: unknown): unknown {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s._zod.def.innerType;
    else if (s instanceof z.ZodPipe) s = s._zod.def.in;
    else return s;
  }
}
