/**
 * Repairs and indents the HCL that CDKTF 0.21 renders (`TerraformStack.toHclTerraform`). Its renderer,
 * left unmaintained when CDKTF was archived, gets three things wrong that Terraform refuses:
 *  - a string that mixes literal text and references is written without escaping its quotes
 *    (`policy = "{"Version":...${aws_x.y.arn}..."}"`);
 *  - `precondition`/`postcondition` blocks are written as a list attribute;
 *  - `depends_on` entries and `provider` meta-arguments are written as quoted strings.
 * It also writes every line flush left, and writes settings of the terraform block other than
 * required_providers, backend and cloud by their names instead of their values
 * (`required_version` comes out as `0 = "required_version"`): given their values, repairHcl writes
 * them back. The repairs are syntactic and leave the meaning unchanged; `terraform validate` over
 * every generated stack (npm run test:e2e) checks the result.
 *
 * renderHcl is the whole way from CDKTF's text to a committed main.tf: repaired, policy documents
 * as jsonencode objects (see hcl-policy.ts), formatted as `terraform fmt` would (see hcl-format.ts).
 */
import { formatHcl } from "./hcl-format";
import { renderPolicyDocuments } from "./hcl-policy";

const ATTRIBUTE_STRING = /^([A-Za-z0-9_"-]+) = "(.*)"(,?)$/;

// What matters in a template body outside an interpolation, and inside one.
const OUTSIDE = /[\\"$]/g;
const INSIDE = /[{}"]/g;

/** Scans an HCL quoted template body; true when a bare `"` ends it before its last character. */
function endsEarly(body: string): boolean {
  let depth = 0;
  let i = 0;
  for (;;) {
    // Jump to the next character that matters at this depth: most of a long policy line is plain text.
    const special = depth === 0 ? OUTSIDE : INSIDE;
    special.lastIndex = i;
    const m = special.exec(body);
    if (!m) return false;
    i = m.index;
    const c = body[i];
    if (depth === 0) {
      if (c === "\\") i++;
      else if (c === '"') return true;
      else if (body[i + 1] === "{") (depth = 1), i++;
    } else if (c === "{") depth++;
    else if (c === "}") depth--;
    else {
      // A quoted string inside an interpolation: skip to its end.
      for (i++; i < body.length && body[i] !== '"'; i++) if (body[i] === "\\") i++;
    }
    i++;
  }
}

/** Escapes the literal parts of a raw template body, leaving `${...}` sequences as they are. */
function escapeLiteralParts(body: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (depth === 0) {
      if (c === "$" && body[i + 1] === "{") {
        depth = 1;
        out += "${";
        i++;
      } else if (c === '"' || c === "\\") out += `\\${c}`;
      else out += c;
    } else if (c === '"') {
      // A quoted string inside an interpolation: copy it whole, braces and all.
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === "\\" ? 2 : 1;
      out += body.slice(i, j + 1);
      i = j;
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      out += c;
    }
  }
  return out;
}

type Bracket = "block" | "list" | "condition-list" | "condition-block" | "depends-list";

export interface RepairOptions {
  /** Settings of the terraform block by name (`required_version`), which CDKTF writes without their values. */
  readonly terraformSettings?: Readonly<Record<string, string>>;
}

const HEREDOC_START = /<<-?([A-Za-z_]+)$/;
const CONDITION_LIST = /^(precondition|postcondition) = \[$/;
const SETTING = /^\d+ = "([a-z_]+)"$/;
const DEPENDENCY = /^"[^"$]+",?$/;
const PROVIDER = /^provider = "[a-z0-9_-]+\.[a-z0-9_-]+"$/;

export function repairHcl(hcl: string, options: RepairOptions = {}): string {
  const out: string[] = [];
  const settings = options.terraformSettings ?? {};
  // What each open bracket on the stack stands for, so closing lines can be rewritten to match.
  const stack: Bracket[] = [];
  // The condition lists on the stack: a rewritten condition list is no bracket in the output, so the
  // indentation depth is the stack's length less these.
  let lists = 0;
  const pop = () => {
    if (stack.pop() === "condition-list") lists--;
  };
  let heredoc: string | undefined;
  let conditionKind = "precondition";
  // Where the lines of the terraform block start in `out` (0: not in it).
  let terraformBlock = 0;

  for (const rawLine of hcl.split("\n")) {
    if (heredoc !== undefined) {
      out.push(rawLine);
      if (rawLine.trim() === heredoc) heredoc = undefined;
      continue;
    }
    let line = rawLine.trim();
    // Each expression below runs only on a line that can match it: most lines match none.
    const heredocStart = line.includes("<<") ? HEREDOC_START.exec(line) : null;
    const top = stack[stack.length - 1];

    const conditionList = line.endsWith("= [") ? CONDITION_LIST.exec(line) : null;
    if (conditionList) {
      conditionKind = conditionList[1];
      stack.push("condition-list");
      lists++;
      continue;
    }
    if (top === "condition-list" && line === "{") {
      stack.push("condition-block");
      out.push(`${"  ".repeat(stack.length - lists - 1)}${conditionKind} {`);
      continue;
    }
    if (top === "condition-block" && (line === "}," || line === "}")) {
      pop();
      out.push(`${"  ".repeat(stack.length - lists)}}`);
      continue;
    }
    if (top === "condition-list" && line === "]") {
      pop();
      continue;
    }
    const level = stack.length - lists;
    // CDKTF's stand-in for a terraform-block setting: `<index> = "<name>"` directly in `terraform {`.
    const setting = level === 1 && terraformBlock ? SETTING.exec(line) : null;
    if (setting) {
      const value = settings[setting[1]];
      if (value === undefined) throw new Error(`the terraform block's ${setting[1]} has no value to write (pass it in terraformSettings)`);
      out.splice(terraformBlock++, 0, `  ${setting[1]} = ${JSON.stringify(value)}`);
      continue;
    }
    if (top === "depends-list" && DEPENDENCY.test(line)) line = line.replace(/"/g, "");
    // The `provider` meta-argument sits directly in a resource or data block, never deeper.
    if (level === 1 && line.startsWith("provider = ") && PROVIDER.test(line)) line = line.replace(/"/g, "");

    const attr = line.endsWith('"') || line.endsWith('",') ? ATTRIBUTE_STRING.exec(line) : null;
    if (attr && endsEarly(attr[2])) line = `${attr[1]} = "${escapeLiteralParts(attr[2])}"${attr[3]}`;

    const first = line[0];
    const closes = first === "]" || first === "}" ? 1 : 0;
    const indent = "  ".repeat(Math.max(0, level - closes));
    out.push(line === "" ? "" : indent + line);

    if (heredocStart) heredoc = heredocStart[1];
    if (closes) pop();
    const after = stack.length - lists;
    if (after === 0 && line === "terraform {") terraformBlock = out.length;
    else if (after === 0) terraformBlock = 0;
    const last = line[line.length - 1];
    if (last === "[" || last === "{") stack.push(line.startsWith("depends_on = [") ? "depends-list" : last === "[" ? "list" : "block");
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n");
}

export interface RenderOptions extends RepairOptions {
  /** Comment lines put first, each with its `# `. */
  readonly header?: string;
  /** Turns the repaired text into the text to format (the checkov skip comments). */
  readonly annotate?: (hcl: string) => string;
}

/** A stack's main.tf from CDKTF's HCL: repaired, policies as jsonencode objects, formatted as terraform fmt would. */
export function renderHcl(cdktfHcl: string, options: RenderOptions = {}): string {
  return formatHcl(unformattedHcl(cdktfHcl, options));
}

/** What renderHcl formats: CDKTF's HCL repaired, its policies as jsonencode objects, annotated, after the header. */
export function unformattedHcl(cdktfHcl: string, options: RenderOptions = {}): string {
  const repaired = renderPolicyDocuments(repairHcl(cdktfHcl, options));
  return (options.header ?? "") + (options.annotate ? options.annotate(repaired) : repaired);
}
