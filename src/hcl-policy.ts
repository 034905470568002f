/**
 * Renders the JSON policy documents of the generated HCL as `jsonencode({ ... })` objects, so a
 * reviewer of a merge request reads one statement per block and one action, resource or principal
 * per line, and a change to a policy shows as the lines that change rather than one replaced line.
 *
 * CDKTF writes a policy as one quoted string holding JSON text, with `${...}` references inside it
 * (`policy = "{\"Version\":...\"Resource\":\"${aws_s3_bucket.b.arn}/*\"...}"`). The rewrite parses
 * that text and writes the same document as an HCL object:
 *  - objects keep their keys in the order written, arrays their items (statement order, action
 *    order): nothing is sorted, so the output is the same from one synth to the next;
 *  - arrays are written one item per line, even with one item, so adding one is a one-line diff;
 *  - a string that is exactly one reference (`"${aws_iam_role.r.arn}"`) becomes the reference
 *    (`aws_iam_role.r.arn`), any other string with references an HCL template (`"${...}/*"`).
 * The provider compares policies by meaning (equivalent JSON), so the new text plans no change for
 * anything deployed. What the rewrite relies on: a referenced value is a string without `"` or `\`
 * (ARNs, names, ids), as it already had to be to keep the old JSON text valid.
 *
 * An attribute whose text is not JSON this understands (a `%{` directive, a reference outside a
 * JSON string, a duplicate key) is left exactly as it was.
 */

/** Attributes that hold a JSON policy document: IAM, key, bucket and repository policies, trust policies. */
export const POLICY_ATTRIBUTES: readonly string[] = ["policy", "assume_role_policy"];

type Part = string | { readonly expr: string };
type Node =
  | { readonly kind: "object"; readonly entries: readonly [Part[], Node][] }
  | { readonly kind: "array"; readonly items: readonly Node[] }
  | { readonly kind: "string"; readonly parts: Part[] }
  | { readonly kind: "literal"; readonly text: string };

class NotRenderable extends Error {}

/** Finds the `}` that closes an interpolation opened just before `start`, skipping quoted strings and nested braces. */
function interpolationEnd(body: string, start: number): number {
  let depth = 1;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (c === '"') {
      for (i++; i < body.length && body[i] !== '"'; i++) if (body[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  throw new NotRenderable("unclosed interpolation");
}

// In a template body: what is not copied as it is.
const TEMPLATE_SPECIAL = /[\\$%]/g;

/** The literal text and references of an HCL quoted template's body (what is between its quotes). */
export function templateParts(body: string): Part[] {
  const parts: Part[] = [];
  let lit = "";
  let i = 0;
  while (i < body.length) {
    // Copy the plain run up to the next character that matters in one piece.
    TEMPLATE_SPECIAL.lastIndex = i;
    const next = TEMPLATE_SPECIAL.exec(body);
    if (!next) {
      lit += body.slice(i);
      break;
    }
    lit += body.slice(i, next.index);
    i = next.index;
    const c = body[i];
    if (c === "\\") {
      const e = body[i + 1];
      i += 2;
      if (e === "n") lit += "\n";
      else if (e === "r") lit += "\r";
      else if (e === "t") lit += "\t";
      else if (e === '"' || e === "\\") lit += e;
      else if (e === "u" || e === "U") {
        const n = e === "u" ? 4 : 8;
        lit += String.fromCodePoint(parseInt(body.slice(i, i + n), 16));
        i += n;
      } else throw new NotRenderable(`escape \\${e}`);
    } else if (body[i + 1] === c && body[i + 2] === "{") {
      lit += `${c}{`;
      i += 3;
    } else if (c === "%" && body[i + 1] === "{") {
      throw new NotRenderable("template directive");
    } else if (c === "$" && body[i + 1] === "{") {
      const end = interpolationEnd(body, i + 2);
      if (lit) parts.push(lit);
      lit = "";
      parts.push({ expr: body.slice(i + 2, end).trim() });
      i = end + 1;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) parts.push(lit);
  return parts;
}

// Each reference stands in the JSON text as a private-use character pair around its index.
const OPEN = "\uE000";
const CLOSE = "\uE001";

const QUOTE_OR_ESCAPE = /["\\]/g;
// What JSON.parse of a string's text would change or refuse: an escape, or a control character.
// eslint-disable-next-line no-control-regex
const JSON_STRING_SPECIAL = /[\\\u0000-\u001f]/;

/** Parses JSON text whose strings may hold references (as placeholders), keeping key order and refusing duplicate keys. */
function parseJson(text: string, exprs: readonly string[]): Node {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const expect = (c: string) => {
    if (text[i] !== c) throw new NotRenderable(`expected ${c} at ${i}`);
    i++;
  };
  const string = (): Part[] => {
    expect('"');
    const start = i;
    for (;;) {
      QUOTE_OR_ESCAPE.lastIndex = i;
      const m = QUOTE_OR_ESCAPE.exec(text);
      if (!m) throw new NotRenderable("unterminated string");
      i = m.index + (m[0] === "\\" ? 2 : 1);
      if (m[0] === '"') break;
    }
    const raw = text.slice(start, i - 1);
    // Most strings (actions, ARNs) hold no escape and no control character: JSON.parse would give them back as they are.
    const value: string = JSON_STRING_SPECIAL.test(raw) ? JSON.parse(`"${raw}"`) : raw;
    const parts: Part[] = [];
    let at = 0;
    for (let open = value.indexOf(OPEN); open >= 0; open = value.indexOf(OPEN, at)) {
      const close = value.indexOf(CLOSE, open);
      if (open > at) parts.push(value.slice(at, open));
      parts.push({ expr: exprs[Number(value.slice(open + 1, close))] });
      at = close + 1;
    }
    if (at < value.length) parts.push(value.slice(at));
    return parts;
  };
  const value = (): Node => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: [Part[], Node][] = [];
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "object", entries };
      }
      for (;;) {
        ws();
        const key = string();
        const id = key.length === 1 && typeof key[0] === "string" ? `s${key[0]}` : `j${JSON.stringify(key)}`;
        if (seen.has(id)) throw new NotRenderable(`duplicate key ${id}`);
        seen.add(id);
        ws();
        expect(":");
        entries.push([key, value()]);
        ws();
        if (text[i] === ",") i++;
        else break;
      }
      expect("}");
      return { kind: "object", entries };
    }
    if (c === "[") {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { kind: "array", items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") i++;
        else break;
      }
      expect("]");
      return { kind: "array", items };
    }
    if (c === '"') return { kind: "string", parts: string() };
    const m = /^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) throw new NotRenderable(`unexpected ${JSON.stringify(c)} at ${i}`);
    i += m[0].length;
    return { kind: "literal", text: m[0] };
  };
  const node = value();
  ws();
  if (i !== text.length) throw new NotRenderable("text after the document");
  return node;
}

/** The document a policy attribute's template body holds, or undefined when it is no JSON object this can render. */
export function policyDocument(body: string): Node | undefined {
  try {
    if (body.includes(OPEN) || body.includes(CLOSE)) return undefined;
    const parts = templateParts(body);
    const exprs: string[] = [];
    const text = parts.map((p) => (typeof p === "string" ? p : `${OPEN}${exprs.push(p.expr) - 1}${CLOSE}`)).join("");
    const node = parseJson(text, exprs);
    return node.kind === "object" ? node : undefined;
  } catch (err) {
    if (err instanceof NotRenderable || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// Words an object key cannot be written as bare: `{ for ...` starts a for expression, the others are literals.
const KEYWORDS = new Set(["for", "in", "if", "true", "false", "null"]);
const TRAVERSAL = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])+$/;

function escapeLiteral(text: string): string {
  return text.replace(/[\\"\n\r\t\u0000-\u001f]|\$\{|%\{/g, (c) => {
    switch (c) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      case "${":
        return "$${";
      case "%{":
        return "%%{";
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
}

const template = (parts: Part[]) => `"${parts.map((p) => (typeof p === "string" ? escapeLiteral(p) : `\${${p.expr}}`)).join("")}"`;
const lone = (parts: Part[]) => (parts.length === 1 && typeof parts[0] !== "string" && TRAVERSAL.test(parts[0].expr) && !KEYWORDS.has(parts[0].expr.split(".")[0]) ? parts[0].expr : undefined);

function key(parts: Part[]): string {
  if (parts.length === 1 && typeof parts[0] === "string" && IDENTIFIER.test(parts[0]) && !KEYWORDS.has(parts[0])) return parts[0];
  if (parts.length === 0) return '""';
  const ref = lone(parts);
  return ref ? `(${ref})` : template(parts);
}

function render(node: Node, out: string[], head: string, tail: string): void {
  switch (node.kind) {
    case "object":
      if (node.entries.length === 0) {
        out.push(`${head}{}${tail}`);
        return;
      }
      out.push(`${head}{`);
      for (const [k, v] of node.entries) render(v, out, `${key(k)} = `, "");
      out.push(`}${tail}`);
      return;
    case "array":
      if (node.items.length === 0) {
        out.push(`${head}[]${tail}`);
        return;
      }
      out.push(`${head}[`);
      for (const item of node.items) render(item, out, "", ",");
      out.push(`]${tail}`);
      return;
    case "string":
      out.push(`${head}${lone(node.parts) ?? template(node.parts)}${tail}`);
      return;
    case "literal":
      out.push(`${head}${node.text}${tail}`);
  }
}

/** `name = jsonencode({ ... })` over several lines (unindented: the formatter indents them). */
export function jsonencodeLines(name: string, document: Node): string[] {
  const out: string[] = [];
  render(document, out, `${name} = jsonencode(`, ")");
  return out;
}

const POLICY_MARK = 'policy = "{';
const POLICY_LINE = new RegExp(`^(\\s*)(${POLICY_ATTRIBUTES.join("|")}) = "(.*)"$`);

/** Rewrites every policy attribute of repaired CDKTF HCL (see repairHcl) whose value is a JSON document. */
export function renderPolicyDocuments(hcl: string): string {
  // Only the lines that hold a policy are visited: a substring search, not a split of every line.
  let out = "";
  let copied = 0;
  let at = hcl.indexOf(POLICY_MARK);
  while (at >= 0) {
    const start = hcl.lastIndexOf("\n", at) + 1;
    const newline = hcl.indexOf("\n", at);
    const end = newline < 0 ? hcl.length : newline;
    const m = POLICY_LINE.exec(hcl.slice(start, end));
    const document = m && m[3].startsWith("{") ? policyDocument(m[3]) : undefined;
    if (m && document) {
      out += hcl.slice(copied, start) + jsonencodeLines(m[2], document).map((l) => m[1] + l).join("\n");
      copied = end;
    }
    // The next line that holds one.
    at = newline < 0 ? -1 : hcl.indexOf(POLICY_MARK, newline);
  }
  return out + hcl.slice(copied);
}
