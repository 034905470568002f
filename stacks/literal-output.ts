import { TerraformOutput } from "cdktf";

/**
 * An output whose value is a literal (strings, numbers, booleans, lists and objects of them) that the
 * HCL keeps exactly as the JSON does. CDKTF 0.21 renders an output's value without type information
 * and guesses: a string of digits, such as an account id, would become a number in the HCL while it
 * stays a string in the JSON. This output writes its value as an HCL literal of its own.
 */
export class LiteralOutput extends TerraformOutput {
  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attributes = super.synthesizeHclAttributes();
    return { ...attributes, value: { value: hclLiteral(this.value), type: "reference", isBlock: false, storageClassType: "" } };
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A JSON-like value as an HCL expression: strings quoted and escaped (templates included), keys as identifiers where they can be. */
export function hclLiteral(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`an HCL literal cannot hold ${value}`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "[]" : `[\n${value.map((v) => `${hclLiteral(v)},`).join("\n")}\n]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : quote(k)} = ${hclLiteral(v)}`).join("\n")}\n}`;
  }
  throw new Error(`an HCL literal cannot hold a ${typeof value}`);
}

function quote(s: string): string {
  const escaped = s
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replace(/\$\{/g, "$${")
    .replace(/%\{/g, "%%{");
  return `"${escaped}"`;
}
