/**
 * Reads back the policy documents of a generated main.tf: an evaluator of the HCL that `jsonencode(...)`
 * is given there (objects, tuples, quoted templates, numbers, true/false/null, references), written
 * apart from the renderer so that a mistake in one is not repeated in the other.
 *
 * A reference evaluates to its Terraform JSON form, the string `${<expression>}`, which is how the
 * synthesized cdk.tf.json writes it inside a policy string; a `$${` escape stays `$${` for the same
 * reason. So an evaluated document can be compared with `JSON.parse` of the cdk.tf.json string.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export class EvalError extends Error {}

export function evaluateHcl(text: string): Value {
  let i = 0;
  const fail = (what: string): never => {
    throw new EvalError(`${what} at ${JSON.stringify(text.slice(i, i + 40))}`);
  };
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };

  const template = (): string => {
    if (text[i] !== '"') fail("expected a string");
    i++;
    let out = "";
    for (;;) {
      const c = text[i];
      if (c === undefined || c === "\n") fail("unterminated string");
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u") {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail(`escape \\${e}`);
      } else if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
        // Kept escaped: the Terraform JSON form of a literal `${`.
        out += text.slice(i, i + 3);
        i += 3;
      } else if (text.startsWith("${", i)) {
        let depth = 1;
        let j = i + 2;
        for (; j < text.length && depth > 0; j++) {
          if (text[j] === '"') {
            for (j++; text[j] !== '"'; j++) if (text[j] === "\\") j++;
          } else if (text[j] === "{") depth++;
          else if (text[j] === "}") depth--;
        }
        out += `\${${text.slice(i + 2, j - 1).trim()}}`;
        i = j;
      } else if (text.startsWith("%{", i)) fail("template directive");
      else {
        out += c;
        i++;
      }
    }
  };

  const reference = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*/.exec(text.slice(i));
    if (!m) fail("expected an expression");
    i += m![0].length;
    return m![0];
  };

  const value = (): Value => {
    skip();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: { [key: string]: Value } = {};
      for (;;) {
        skip();
        if (text[i] === "}") {
          i++;
          return obj;
        }
        let key: string;
        if (text[i] === '"') key = template();
        else if (text[i] === "(") {
          i++;
          skip();
          key = `\${${reference()}}`;
          skip();
          if (text[i++] !== ")") fail("expected )");
        } else key = reference();
        if (key in obj) fail(`duplicate key ${key}`);
        skip();
        if (text[i++] !== "=") fail("expected =");
        obj[key] = value();
        // Items are separated by a newline (or a comma).
        while (text[i] === " ") i++;
        if (text[i] === ",") i++;
        else if (text[i] !== "\n" && text[i] !== "}") fail("expected a newline after an object item");
      }
    }
    if (c === "[") {
      i++;
      const items: Value[] = [];
      for (;;) {
        skip();
        if (text[i] === "]") {
          i++;
          return items;
        }
        items.push(value());
        skip();
        if (text[i] === ",") i++;
        else if (text[i] !== "]") fail("expected , or ]");
      }
    }
    if (c === '"') return template();
    const num = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (num) {
      i += num[0].length;
      return Number(num[0]);
    }
    const ref = reference();
    if (ref === "true") return true;
    if (ref === "false") return false;
    if (ref === "null") return null;
    return `\${${ref}}`;
  };

  const result = value();
  skip();
  if (i !== text.length) fail("text after the value");
  return result;
}

export interface RenderedDocument {
  readonly type: string;
  readonly name: string;
  readonly attribute: string;
  /** The text jsonencode is called with. */
  readonly text: string;
  /** Its first line in the file (1-based). */
  readonly line: number;
}

/** Every `<attribute> = jsonencode(...)` directly in a resource or data block of a generated main.tf. */
export function renderedDocuments(hcl: string): RenderedDocument[] {
  const lines = hcl.split("\n");
  const found: RenderedDocument[] = [];
  let block: { type: string; name: string } | undefined;
  for (let n = 0; n < lines.length; n++) {
    const header = /^(?:resource|data) "([^"]+)" "([^"]+)" \{$/.exec(lines[n]);
    if (header) block = { type: header[1], name: header[2] };
    if (lines[n] === "}") block = undefined;
    const start = /^  ([a-z_]+) += jsonencode\(\{$/.exec(lines[n]);
    if (!start || !block) continue;
    const end = lines.indexOf("  })", n);
    if (end < 0) throw new EvalError(`jsonencode at line ${n + 1} is not closed by "  })"`);
    found.push({ ...block, attribute: start[1], text: ["{", ...lines.slice(n + 1, end), "}"].join("\n"), line: n + 1 });
    n = end;
  }
  return found;
}
