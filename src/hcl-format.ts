/**
 * Formats HCL as `terraform fmt` does, so that the generated files pass `terraform fmt -check`:
 *  - a top-level attribute (in a body, not inside an object) whose whole value is one interpolation,
 *    `"${expr}"`, becomes `expr` (Terraform's fmt command does this);
 *  - `type = "string"` and a bare `list`/`map`/`set` in a variable block become `string`, `list(any)`...;
 *  - each line is indented two spaces per open bracket, tokens on a line are spaced by hclwrite's
 *    rules, and the `=` of consecutive one-line attributes are aligned (a line that opens a bracket,
 *    a blank line or a comment line ends the run).
 * It ports what hashicorp/hcl's hclwrite `format` and Terraform's `fmt` command do; the rules only
 * ever change white space, apart from the two rewrites above, which Terraform's fmt makes too.
 *
 * One rule is the renderer's own and fmt leaves it alone: blank lines are dropped except one between
 * two top-level blocks. Heredoc bodies are copied byte for byte.
 */

type TokenType =
  | "{"
  | "}"
  | "["
  | "]"
  | "("
  | ")"
  | "oquote"
  | "cquote"
  | "qlit"
  | "interp"
  | "control"
  | "seqend"
  | "heredoc"
  | "ident"
  | "number"
  | "comment"
  | "newline"
  | "="
  | ","
  | "."
  | "..."
  | "::"
  | "-"
  | "!"
  | "op"
  | "nil";

interface Token {
  type: TokenType;
  text: string;
  spaces: number;
}

export class HclSyntaxError extends Error {
  constructor(message: string, offset: number, src: string) {
    const line = src.slice(0, offset).split("\n").length;
    super(`${message} at line ${line}`);
    this.name = "HclSyntaxError";
  }
}

const IDENT_START = /[A-Za-z_]/;
// In a quoted template: what ends a run of plain characters.
const SPECIAL = /[\\"$%\n]/g;
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "=>", "<", ">", "+", "*", "/", "%", "?", ":"];

/** Splits HCL native syntax into tokens (hclsyntax's token kinds, as far as formatting needs them). */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // What each open `{`, `${` and `%{` is, so a `}` can be told apart: a brace or the end of a template sequence.
  const braces: ("brace" | "seq")[] = [];
  let i = 0;
  let spaces = 0;
  const push = (type: TokenType, text: string) => {
    tokens.push({ type, text, spaces });
    spaces = 0;
  };

  /** Scans a quoted template from its opening quote; returns the offset after the closing one. */
  const quoted = (start: number): number => {
    push("oquote", '"');
    let j = start + 1;
    let lit = "";
    const flush = () => {
      if (lit !== "") push("qlit", lit);
      lit = "";
    };
    for (;;) {
      // Copy the plain run up to the next character that matters in one piece.
      SPECIAL.lastIndex = j;
      const next = SPECIAL.exec(src);
      if (!next || src[next.index] === "\n") throw new HclSyntaxError("unterminated string", start, src);
      lit += src.slice(j, next.index);
      j = next.index;
      const c = src[j];
      if (c === "\\") {
        lit += src.slice(j, j + 2);
        j += 2;
      } else if ((c === "$" || c === "%") && src[j + 1] === c && src[j + 2] === "{") {
        lit += src.slice(j, j + 3);
        j += 3;
      } else if ((c === "$" || c === "%") && src[j + 1] === "{") {
        flush();
        const strip = src[j + 2] === "~" ? "~" : "";
        push(c === "$" ? "interp" : "control", `${c}{${strip}`);
        j = expression(j + 2 + strip.length);
      } else if (c === '"') {
        flush();
        push("cquote", '"');
        return j + 1;
      } else {
        lit += c;
        j++;
      }
    }
  };

  /** Scans expression tokens inside a template sequence until its closing `}`; returns the offset after it. */
  const expression = (start: number): number => {
    braces.push("seq");
    const depth = braces.length;
    i = start;
    while (braces.length >= depth) step();
    return i;
  };

  const step = (): void => {
    if (i >= src.length) throw new HclSyntaxError("unterminated template sequence", src.length, src);
    const c = src[i];
    if (c === " " || c === "\t" || c === "\r") {
      while (src[i] === " " || src[i] === "\t" || src[i] === "\r") {
        spaces++;
        i++;
      }
    } else if (c === "\n") {
      push("newline", "\n");
      i++;
    } else if (c === "#" || (c === "/" && src[i + 1] === "/")) {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end + 1;
      push("comment", src.slice(i, stop));
      i = stop;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) throw new HclSyntaxError("unterminated comment", i, src);
      push("comment", src.slice(i, end + 2));
      i = end + 2;
    } else if (c === "<" && src[i + 1] === "<" && /^<<-?[A-Za-z_][A-Za-z0-9_-]*\n/.test(src.slice(i, i + 80))) {
      const head = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n/.exec(src.slice(i, i + 80))!;
      let j = i + head[0].length;
      for (;;) {
        const end = src.indexOf("\n", j);
        const line = src.slice(j, end < 0 ? src.length : end);
        if (line.trim() === head[2]) {
          j += line.length;
          break;
        }
        if (end < 0) throw new HclSyntaxError(`unterminated heredoc ${head[2]}`, i, src);
        j = end + 1;
      }
      push("heredoc", src.slice(i, j));
      i = j;
    } else if (c === '"') {
      i = quoted(i);
    } else if (c === "{") {
      braces.push("brace");
      push("{", c);
      i++;
    } else if (c === "}") {
      const kind = braces.pop();
      if (kind === undefined) throw new HclSyntaxError("unbalanced }", i, src);
      push(kind === "seq" ? "seqend" : "}", c);
      i++;
    } else if (c === "~" && src[i + 1] === "}" && braces[braces.length - 1] === "seq") {
      braces.pop();
      push("seqend", "~}");
      i += 2;
    } else if (c === "[" || c === "]" || c === "(" || c === ")" || c === ",") {
      push(c, c);
      i++;
    } else if (c === "." && src.startsWith("...", i)) {
      push("...", "...");
      i += 3;
    } else if (c === ".") {
      push(".", c);
      i++;
    } else if (c === ":" && src[i + 1] === ":") {
      push("::", "::");
      i += 2;
    } else if (c === "=" && src[i + 1] !== "=" && src[i + 1] !== ">") {
      push("=", c);
      i++;
    } else if (c === "!" && src[i + 1] !== "=") {
      push("!", c);
      i++;
    } else if (c === "-") {
      push("-", c);
      i++;
    } else if (IDENT_START.test(c)) {
      IDENT.lastIndex = i;
      const m = IDENT.exec(src)!;
      push("ident", m[0]);
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 64))!;
      push("number", m[0]);
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) throw new HclSyntaxError(`unexpected character ${JSON.stringify(c)}`, i, src);
      push("op", op);
      i += op.length;
    }
  };

  while (i < src.length) step();
  if (braces.length > 0) throw new HclSyntaxError("unclosed {", src.length, src);
  return tokens;
}

function bracketChange(t: Token): number {
  switch (t.type) {
    case "{":
    case "[":
    case "(":
    case "interp":
    case "control":
      return 1;
    case "}":
    case "]":
    case ")":
    case "seqend":
      return -1;
    default:
      return 0;
  }
}

const isNewline = (t: Token) => t.type === "newline" || (t.type === "comment" && t.text.endsWith("\n"));

/** The tokens of an attribute's value: from `start` to the newline that ends it at its own bracket depth. */
function valueEnd(tokens: Token[], start: number): number {
  let depth = 0;
  let j = start;
  for (; j < tokens.length; j++) {
    const t = tokens[j];
    if (depth <= 0 && isNewline(t)) break;
    depth += bracketChange(t);
  }
  return j;
}

/** Terraform's fmt: `"${expr}"` as a whole attribute value becomes `expr`. */
function unwrapInterpolation(value: Token[]): Token[] {
  if (value.length < 5) return value;
  if (value[0].type !== "oquote" || value[1].type !== "interp" || value[value.length - 2].type !== "seqend" || value[value.length - 1].type !== "cquote") return value;
  const inside = value.slice(2, -2);
  let quotes = 0;
  for (const t of inside) {
    if (t.type === "oquote") quotes++;
    else if (t.type === "cquote") quotes--;
    else if (quotes > 0) continue;
    else if (t.type === "interp" || t.type === "seqend" || t.type === "qlit") return value;
  }
  let a = 0;
  let b = inside.length;
  while (a < b && inside[a].type === "newline") a++;
  while (b > a && inside[b - 1].type === "newline") b--;
  const trimmed = inside.slice(a, b);
  if (trimmed.some((t) => t.type === "newline") && !(trimmed[0]?.type === "(" && trimmed[trimmed.length - 1]?.type === ")")) {
    return [{ type: "(", text: "(", spaces: 0 }, ...trimmed, { type: ")", text: ")", spaces: 0 }];
  }
  return trimmed;
}

/** Terraform's fmt of a variable's `type`: legacy quoted types and bare collection keywords. */
function formatTypeExpr(value: Token[]): Token[] {
  const ident = (text: string): Token => ({ type: "ident", text, spaces: 0 });
  const call = (name: string, arg: string): Token[] => [ident(name), { type: "(", text: "(", spaces: 0 }, ident(arg), { type: ")", text: ")", spaces: 0 }];
  if (value.length === 1 && value[0].type === "ident" && ["list", "map", "set"].includes(value[0].text)) return call(value[0].text, "any");
  if (value.length === 3 && value[0].type === "oquote" && value[1].type === "qlit" && value[2].type === "cquote") {
    if (value[1].text === "string") return [ident("string")];
    if (value[1].text === "list" || value[1].text === "map") return call(value[1].text, "string");
  }
  return value;
}

/**
 * Applies fmt's expression rewrites to the attributes of every body (the file's and every block's),
 * never to the items of an object constructor.
 */
function rewriteAttributes(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  const body = (blocks: string[]): void => {
    while (i < tokens.length) {
      const t = tokens[i];
      if (t.type === "newline" || t.type === "comment") {
        out.push(t);
        i++;
        continue;
      }
      if (t.type === "}") return;
      if (t.type !== "ident") throw new Error(`unexpected ${t.type} ${JSON.stringify(t.text)} in a body`);
      if (tokens[i + 1]?.type === "=") {
        out.push(t, tokens[i + 1]);
        const end = valueEnd(tokens, i + 2);
        // Spacing is recomputed afterwards: only the tokens matter here. Only a variable's type and
        // a quoted value can be rewritten; any other value (most, and the long jsonencode ones) is copied.
        if (blocks.length === 1 && blocks[0] === "variable" && t.text === "type") {
          for (const v of formatTypeExpr(tokens.slice(i + 2, end))) out.push(v);
        } else if (tokens[i + 2]?.type === "oquote") {
          for (const v of unwrapInterpolation(tokens.slice(i + 2, end))) out.push(v);
        } else {
          for (let j = i + 2; j < end; j++) out.push(tokens[j]);
        }
        i = end;
        continue;
      }
      // A block: its type, labels and `{`, then its body up to the matching `}`.
      const type = t.text;
      while (i < tokens.length && tokens[i].type !== "{") out.push(tokens[i++]);
      out.push(tokens[i++]);
      body([...blocks, type]);
      if (i < tokens.length) out.push(tokens[i++]);
    }
  };
  body([]);
  return out;
}

interface Line {
  lead: Token[];
  assign: Token[] | undefined;
  comment: Token[] | undefined;
}

function linesOf(tokens: Token[]): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (isNewline(tokens[i])) {
      lines.push({ lead: tokens.slice(start, i + 1), assign: undefined, comment: undefined });
      start = i + 1;
    }
  }
  if (start < tokens.length) lines.push({ lead: tokens.slice(start), assign: undefined, comment: undefined });
  for (const line of lines) {
    const lead = line.lead;
    if (lead.length === 0) continue;
    // A comment after code on the line (its newline is in the comment token).
    if (lead.length > 1 && lead[lead.length - 1].type === "comment") {
      line.comment = lead.slice(-1);
      line.lead = lead.slice(0, -1);
    }
    const split = assignmentAt(line.lead);
    if (split >= 0) {
      line.assign = line.lead.slice(split);
      line.lead = line.lead.slice(0, split);
    }
  }
  return lines;
}

/** Where a line's `=` cell starts: at its first `=` after the first token, when what follows balances; -1 if none. */
function assignmentAt(tokens: Token[]): number {
  for (let i = 1; i < tokens.length; i++) {
    if (tokens[i].type !== "=") continue;
    let net = 0;
    for (let j = i; j < tokens.length; j++) net += bracketChange(tokens[j]);
    return net === 0 ? i : -1;
  }
  return -1;
}

function formatIndent(lines: Line[]): void {
  const indents: number[] = [];
  for (const line of lines) {
    if (line.lead.length === 0) continue;
    if (line.lead[0].type === "newline") {
      line.lead[0].spaces = 0;
      continue;
    }
    let net = 0;
    for (const t of line.lead) {
      net += bracketChange(t);
      if (t.type === "heredoc") break;
    }
    for (const t of line.assign ?? []) net += bracketChange(t);
    if (net > 0) {
      line.lead[0].spaces = 2 * indents.length;
      indents.push(net);
    } else if (net < 0) {
      let closed = -net;
      while (closed > 0 && indents.length > 0) {
        const top = indents[indents.length - 1];
        if (closed > top) {
          closed -= top;
          indents.pop();
        } else if (closed < top) {
          indents[indents.length - 1] -= closed;
          closed = 0;
        } else {
          indents.pop();
          closed = 0;
        }
      }
      line.lead[0].spaces = 2 * indents.length;
    } else {
      line.lead[0].spaces = 2 * indents.length;
    }
  }
}

const NIL: Token = { type: "nil", text: "", spaces: 0 };
const NEGATION_BEFORE = new Set<TokenType>(["nil", "(", "{", "[", "=", ",", "-", "!"]);
const NEGATION_BEFORE_OPS = new Set(["?", ":", "+", "*", "/", "%", "==", "!=", ">", ">=", "<", "<=", "&&", "||"]);

/** hclwrite's spaceAfterToken. */
function spaceAfter(subject: Token, before: Token, after: Token): boolean {
  if (after.type === "newline" || after.type === "nil") return false;
  if (subject.type === "ident" && after.type === "(") return false;
  if ((subject.type === "ident" && after.type === "::") || (subject.type === "::" && after.type === "ident")) return false;
  if (subject.type === "." || after.type === ".") return false;
  if (after.type === "," || after.type === "...") return false;
  if (subject.type === ",") return true;
  // A heredoc token stands for hclwrite's opener, content and closer together: nothing follows it on
  // its line, and what precedes it is spaced as before hclwrite's opener.
  if (subject.type === "qlit" || subject.type === "oquote" || subject.type === "heredoc" || after.type === "qlit" || after.type === "cquote") return false;
  if (subject.type === "ident" && subject.text === "in" && before.type === "ident") return true;
  if (after.type === "[" && (subject.type === "ident" || subject.type === "number" || bracketChange(subject) < 0)) return false;
  if (subject.type === "!") return false;
  if (subject.type === "-") {
    if (NEGATION_BEFORE.has(before.type)) return false;
    if (before.type === "op" && NEGATION_BEFORE_OPS.has(before.text)) return false;
    return true;
  }
  if (subject.type === "{" || after.type === "}") return !(subject.type === "{" && after.type === "}");
  if ((subject.type === "interp" || subject.type === "control") && after.type === "{") return true;
  if (subject.type === "}" && after.type === "seqend") return true;
  if (subject.type === "seqend" && (after.type === "interp" || after.type === "control")) return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

function formatSpaces(lines: Line[]): void {
  for (const line of lines) {
    for (let i = 0; i + 1 < line.lead.length; i++) {
      line.lead[i + 1].spaces = spaceAfter(line.lead[i], i > 0 ? line.lead[i - 1] : NIL, line.lead[i + 1]) ? 1 : 0;
    }
    const assign = line.assign ?? [];
    if (assign.length > 0) assign[0].spaces = 1;
    for (let i = 0; i + 1 < assign.length; i++) {
      assign[i + 1].spaces = spaceAfter(assign[i], i > 0 ? assign[i - 1] : NIL, assign[i + 1]) ? 1 : 0;
    }
  }
}

/** Width in columns (code points: the generated files hold no combining characters before an `=`). */
const SURROGATE = /[\uD800-\uDFFF]/;
const columns = (tokens: Token[]) => {
  let n = 0;
  for (const t of tokens) n += t.spaces + (SURROGATE.test(t.text) ? [...t.text].length : t.text.length);
  return n;
};

function formatCells(lines: Line[]): void {
  const align = (cell: (l: Line) => Token[] | undefined, width: (l: Line) => number) => {
    let start = -1;
    let max = 0;
    const close = (end: number) => {
      for (const l of lines.slice(start, end)) cell(l)![0].spaces = max - width(l) + 1;
      start = -1;
      max = 0;
    };
    lines.forEach((l, i) => {
      if (cell(l) === undefined) {
        if (start !== -1) close(i);
      } else {
        if (start === -1) start = i;
        max = Math.max(max, width(l));
      }
    });
    if (start !== -1) close(lines.length);
  };
  align((l) => l.assign, (l) => columns(l.lead));
  align((l) => l.comment, (l) => columns(l.lead) + columns(l.assign ?? []));
}

/**
 * Keeps one blank line before each top-level block and drops every other: CDKTF's renderer leaves
 * them at random. A line is top-level when no bracket is open before it.
 */
function tidyBlankLines(lines: Line[]): Line[] {
  const out: Line[] = [];
  let depth = 0;
  for (const line of lines) {
    const cells = [line.lead, line.assign ?? [], line.comment ?? []];
    const first = line.lead[0] ?? line.assign?.[0] ?? line.comment?.[0];
    if (first === undefined || first.type === "newline") continue;
    const opensBlock = depth === 0 && first.type === "ident" && cells.some((c) => c.some((t) => t.type === "{"));
    if (opensBlock && out.length > 0) out.push({ lead: [{ type: "newline", text: "\n", spaces: 0 }], assign: undefined, comment: undefined });
    out.push(line);
    for (const c of cells) for (const t of c) depth += bracketChange(t);
  }
  return out;
}

export interface FormatOptions {
  /** Keep blank lines as they are, as `terraform fmt` does. @default false: one blank line between top-level blocks */
  readonly keepBlankLines?: boolean;
}

const SPACES = Array.from({ length: 64 }, (_, n) => " ".repeat(n));

/**
 * Formats HCL the way `terraform fmt` would; the result ends with a newline. Text made of the lines
 * the renderer writes goes the line-by-line way (formatRenderedLines); anything else, token by token.
 */
export function formatHcl(src: string, options: FormatOptions = {}): string {
  if (!options.keepBlankLines) {
    const fast = formatRenderedLines(src);
    if (fast !== undefined) return fast;
  }
  return formatHclTokens(src, options);
}

/** formatHcl over the tokens of the whole text: the general way, and what formatRenderedLines is checked against. */
export function formatHclTokens(src: string, options: FormatOptions = {}): string {
  const tokens = rewriteAttributes(tokenize(src));
  let lines = linesOf(tokens);
  if (!options.keepBlankLines) lines = tidyBlankLines(lines);
  formatIndent(lines);
  formatSpaces(lines);
  formatCells(lines);
  let text = "";
  const emit = (cell: Token[]) => {
    for (const t of cell) {
      if (t.spaces > 0) text += SPACES[t.spaces] ?? " ".repeat(t.spaces);
      text += t.text;
    }
  };
  for (const line of lines) {
    emit(line.lead);
    if (line.assign) emit(line.assign);
    if (line.comment) emit(line.comment);
  }
  return text.endsWith("\n") || text === "" ? text : `${text}\n`;
}

// The lines the renderer writes, each matched whole with the white space around it removed. A
// plain string has no escape sequence that could start a template (`$` and `%` are left to the
// tokens) and no line break; a simple value is written exactly as it stands.
const KEY = String.raw`[A-Za-z_][A-Za-z0-9_-]*`;
const PLAIN_STRING = String.raw`"[^"\\$%\n]*(?:\\[^\n][^"\\$%\n]*)*"`;
const SIMPLE_VALUE = String.raw`${PLAIN_STRING}|\d+(?:\.\d+)?|${KEY}(?:\.${KEY})*|\[\]|\{\}`;
const WS = String.raw`[ \t\r]*`;
const ATTRIBUTE_LINE = new RegExp(`^(${KEY}|${PLAIN_STRING})${WS}=${WS}(${SIMPLE_VALUE})$`);
const ITEM_LINE = new RegExp(`^(${SIMPLE_VALUE})${WS}(,?)$`);
const BLOCK_LINE = new RegExp(`^(${KEY})((?:${WS}"[^"\\\\$%\\n]*")*)${WS}\\{$`);
const OPEN_LINE = new RegExp(`^(${KEY}|${PLAIN_STRING})${WS}=${WS}(\\{|\\[|jsonencode\\(${WS}\\{)$`);
const CLOSE_LINE = /^([}\]])[ \t\r]*(\)?)[ \t\r]*(,?)$/;
const LABEL = /"[^"]*"/g;

class NotRendered extends Error {}

const isEdgeSpace = (c: number) => c === 32 || c === 9 || c === 13;

/** The line without the spaces, tabs and carriage returns around it (the tokens' white space). */
function trimmed(raw: string): string {
  let a = 0;
  let b = raw.length;
  while (a < b && isEdgeSpace(raw.charCodeAt(a))) a++;
  while (b > a && isEdgeSpace(raw.charCodeAt(b - 1))) b--;
  return a === 0 && b === raw.length ? raw : raw.slice(a, b);
}

/** What a line of formatRenderedLines is: its text before the `=`, that text's width, and the rest. */
interface LaidLine {
  readonly lead: string;
  readonly width: number;
  readonly assign?: string;
}

const textWidth = (text: string) => (SURROGATE.test(text) ? [...text].length : text.length);
const pad = (n: number) => SPACES[n] ?? " ".repeat(n);

/**
 * formatHcl for text made of the lines CDKTF's renderer and the passes after it write, one line at a
 * time: a block's opening line, an attribute whose value is a plain string, a number, a reference or
 * an empty collection, an item of a list, the opening and closing lines of an object, a list or a
 * `jsonencode(...)`, a comment line and a blank line are written from what they match; any other line
 * whose brackets balance (a template, an expression) from its own tokens, spaced and rewritten by the
 * rules formatHclTokens applies. Returns undefined for anything else (a heredoc, a comment after code,
 * a bracket left open by an expression, a line the token way would refuse), which formatHclTokens
 * then formats or refuses. `test/hcl-format-lines.test.ts` checks that both give the same text for
 * every stack of the example configs and for random texts.
 */
export function formatRenderedLines(src: string): string | undefined {
  try {
    return renderedLines(src);
  } catch {
    // NotRendered, or the tokens of a line refused: the token way formats the text, or says why not.
    return undefined;
  }
}

function renderedLines(src: string): string {
  const out: LaidLine[] = [];
  // Each open bracket line: how many brackets it opened, whether what follows is a body (of blocks
  // and attributes) or a value (an object, a list), the block's type for a body, and its closer.
  const open: { net: number; body: boolean; type: string; closer: string }[] = [];
  const refuse = (): never => {
    throw new NotRendered();
  };
  const inBody = () => open.length === 0 || open[open.length - 1].body;
  // Directly in a top-level variable block, where fmt rewrites `type` (formatTypeExpr).
  const inVariable = () => open.length === 1 && open[0].type === "variable";
  const blankBefore = () => {
    if (open.length === 0 && out.length > 0) out.push({ lead: "", width: 0 });
  };
  let start = 0;
  while (start <= src.length) {
    const newline = src.indexOf("\n", start);
    const end = newline < 0 ? src.length : newline;
    const raw = src.slice(start, end);
    start = end + 1;
    const line = trimmed(raw);
    if (line === "") continue;
    const indent = pad(2 * open.length);
    const first = line[0];
    if (first === "#") {
      // A comment runs to the end of its line, white space included.
      out.push({ lead: indent + raw.slice(raw.indexOf("#")), width: 0 });
      continue;
    }
    let m: RegExpExecArray | null;
    if (first === "}" || first === "]") {
      m = CLOSE_LINE.exec(line);
      if (!m) refuse();
      const net = m![2] ? 2 : 1;
      const top = open.pop();
      // Only what the renderer writes: a line closes exactly what one line opened, and a body's `}` stands alone.
      if (!top || top.net !== net || top.closer !== m![1] || (top.body && (m![2] || m![3]))) refuse();
      const close = pad(2 * open.length) + m![1] + m![2] + m![3];
      out.push({ lead: close, width: 0 });
      continue;
    }
    if (first === "{" || first === "[") {
      if (line.length === 1 && !inBody()) {
        out.push({ lead: indent + line, width: 0 });
        open.push({ net: 1, body: false, type: "", closer: first === "{" ? "}" : "]" });
        continue;
      }
    } else if ((m = ATTRIBUTE_LINE.exec(line))) {
      const key = m[1];
      const body = inBody();
      const identKey = key[0] !== '"';
      if (body && !identKey) refuse();
      // A variable's type is rewritten (formatTypeExpr): the token way.
      if (!(body && key === "type" && inVariable())) {
        if (identKey && m[2] === "{}") blankBefore();
        out.push({ lead: indent + key, width: indent.length + textWidth(key), assign: `= ${m[2]}` });
        continue;
      }
    } else if ((m = OPEN_LINE.exec(line))) {
      const key = m[1];
      if (inBody() && key[0] === '"') refuse();
      if (key[0] !== '"' && m[2] !== "[") blankBefore();
      const opener = m[2] === "{" || m[2] === "[" ? m[2] : "jsonencode({";
      out.push({ lead: `${indent}${key} = ${opener}`, width: 0 });
      open.push({ net: opener.length > 1 ? 2 : 1, body: false, type: "", closer: opener === "[" ? "]" : "}" });
      continue;
    } else if ((m = BLOCK_LINE.exec(line))) {
      if (!inBody()) refuse();
      blankBefore();
      const labels = m[2].match(LABEL) ?? [];
      out.push({ lead: `${indent}${[m[1], ...labels].join(" ")} {`, width: 0 });
      open.push({ net: 1, body: true, type: m[1], closer: "}" });
      continue;
    } else if ((m = ITEM_LINE.exec(line))) {
      if (inBody()) refuse();
      out.push({ lead: indent + m[1] + m[2], width: 0 });
      continue;
    }
    out.push(tokenLine(line, indent, open.length === 0, inBody(), inVariable(), blankBefore, refuse));
  }
  if (open.length > 0) refuse();
  // Align the `=` of each run of attribute lines, as formatCells does.
  let text = "";
  for (let i = 0; i < out.length; ) {
    if (out[i].assign === undefined) {
      text += out[i++].lead + "\n";
      continue;
    }
    let j = i;
    let max = 0;
    for (; j < out.length && out[j].assign !== undefined; j++) max = Math.max(max, out[j].width);
    for (; i < j; i++) {
      const l = out[i];
      text += l.lead + pad(max - l.width + 1) + l.assign + "\n";
    }
  }
  return text;
}

/** A line of no kind formatRenderedLines knows, from its tokens: balanced, with no comment or heredoc. */
function tokenLine(line: string, indent: string, topLevel: boolean, body: boolean, inVariable: boolean, blankBefore: () => void, refuse: () => never): LaidLine {
  // With its line break, as the token way reads it (`<<EOF` opens a heredoc only before one).
  let tokens = tokenize(`${line}\n`);
  if (tokens[tokens.length - 1]?.type === "newline") tokens.pop();
  let net = 0;
  for (const t of tokens) {
    if (t.type === "comment" || t.type === "heredoc" || t.type === "newline") refuse();
    net += bracketChange(t);
  }
  if (net !== 0 || tokens.length === 0) refuse();
  if (body) {
    // In a body only an attribute is a line of its own here; its value rewritten as rewriteAttributes does.
    if (tokens[0].type !== "ident" || tokens[1]?.type !== "=") refuse();
    const value = tokens.slice(2);
    const rewritten = inVariable && tokens[0].text === "type" ? formatTypeExpr(value) : value[0]?.type === "oquote" ? unwrapInterpolation(value) : value;
    tokens = [tokens[0], tokens[1], ...rewritten];
  }
  if (topLevel && tokens[0].type === "ident" && tokens.some((t) => t.type === "{")) blankBefore();
  const split = assignmentAt(tokens);
  const spaced = (cell: Token[]) => {
    let s = "";
    for (let i = 0; i < cell.length; i++) {
      if (i > 0 && spaceAfter(cell[i - 1], i > 1 ? cell[i - 2] : NIL, cell[i])) s += " ";
      s += cell[i].text;
    }
    return s;
  };
  if (split < 0) return { lead: indent + spaced(tokens), width: 0 };
  const lead = tokens.slice(0, split);
  const leadText = spaced(lead);
  const assign = tokens.slice(split);
  return { lead: indent + leadText, width: indent.length + textWidth(leadText), assign: spaced(assign) };
}
