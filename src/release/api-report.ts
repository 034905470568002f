/**
 * The lines of an API Extractor report (packages/constructs/api/*.api.md) and the semver bump a change
 * between two reports needs: a removed or changed API line needs major, only added lines minor, no
 * change none. Comments (`// @public`, `// Warning: ...`), imports and blank lines are not API lines;
 * a member line is named with the declarations it is in, so that `readonly arn: string;` of one class
 * is not taken for the same line of another.
 */

export const BUMPS = ["none", "patch", "minor", "major"] as const;
export type Bump = (typeof BUMPS)[number];

export function bumpRank(b: Bump): number {
  return BUMPS.indexOf(b);
}

export function maxBump(bumps: Iterable<Bump>): Bump {
  let best: Bump = "none";
  for (const b of bumps) if (bumpRank(b) > bumpRank(best)) best = b;
  return best;
}

/** A report that is not API Extractor's. */
export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

/** The separator between a declaration and a line inside it, as the lines are shown. */
export const IN = " › ";

const DECLARATION = /^(?:export\s+)?(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:class|interface|namespace|module|enum|type|const|let|var|function)\s+([A-Za-z_$][\w$]*)/;
const MEMBER = /^(?:(?:readonly|static|public|protected|private|abstract|get|set)\s+)*([A-Za-z_$][\w$]*|\[[^\]]+\]|"[^"]*"|'[^']*')\??\s*[:(<]/;

/** The name a declaration or member that opens a block goes by in the lines inside it. */
export function blockName(header: string): string {
  return DECLARATION.exec(header)?.[1] ?? MEMBER.exec(header)?.[1] ?? header;
}

/** Only closing punctuation: `}`, `};`, `});`, `}>;` close a declaration and carry nothing of their own. */
const CLOSING_ONLY = /^[})\]>;,\s]*$/;

/**
 * The API lines of a report, each with the names of the declarations it is in (`EncryptionKey ›
 * readonly arn: string;`; a declaration's own line is its full text, `export class EncryptionKey
 * extends Construct`). Throws a ReportError when the text has no ```ts block.
 */
export function apiLines(report: string, name = "the API report"): string[] {
  const lines = report.replace(/\r\n/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === "```ts");
  if (start < 0) throw new ReportError(`${name} is not an API Extractor report: it has no \`\`\`ts block`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === "```");
  const context: string[] = [];
  const out: string[] = [];
  for (const raw of lines.slice(start + 1, end < 0 ? undefined : end)) {
    let text = raw.trim();
    if (text === "" || text.startsWith("//") || /^import\s/.test(text)) continue;
    if (text.startsWith("}")) {
      context.pop();
      if (CLOSING_ONLY.test(text)) continue;
    }
    text = text.replace(/\s+/g, " ");
    const opens = text.endsWith("{");
    const line = opens ? text.slice(0, -1).trimEnd() : text;
    out.push(context.length ? `${context.join(".")}${IN}${line}` : line);
    if (opens) context.push(blockName(line));
  }
  return out;
}

export interface ApiChange {
  /** The bump the change needs. */
  readonly needed: Bump;
  /** API lines of the base that the current report lacks (removed, or changed). */
  readonly removed: readonly string[];
  /** API lines of the current report that the base lacks (added, or changed). */
  readonly added: readonly string[];
}

function counts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

function minus(a: readonly string[], b: readonly string[]): string[] {
  const left = counts(b);
  const out: string[] = [];
  for (const l of a) {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    else out.push(l);
  }
  return out;
}

/**
 * The change from `base` to `current` (report texts). Without a base report (the package had none)
 * every current line is added.
 */
export function compareReports(base: string | undefined, current: string, names: { base?: string; current?: string } = {}): ApiChange {
  const before = base === undefined ? [] : apiLines(base, names.base);
  const after = apiLines(current, names.current);
  const removed = minus(before, after);
  const added = minus(after, before);
  return { needed: removed.length ? "major" : added.length ? "minor" : "none", removed, added };
}

/** The change as a reader scans it: `- line` for removed, `+ line` for added, at most `limit` lines. */
export function formatChange(change: ApiChange, limit = 40): string[] {
  const all = [...change.removed.map((l) => `  - ${l}`), ...change.added.map((l) => `  + ${l}`)];
  return all.length > limit ? [...all.slice(0, limit), `  ... and ${all.length - limit} more (the report's diff has them all)`] : all;
}
