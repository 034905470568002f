import * as fs from "fs";
import * as path from "path";
import { PlatformConfig } from "../src/config/schema";
import { POLICY_ATTRIBUTES, renderPolicyDocuments } from "../src/hcl-policy";
import { stackHcl, synthesize } from "../src/main";
import { fleetTenantsConfig } from "./fixtures/fleet-configs";
import { twentyServices } from "./fixtures/generated-configs";
import { EXAMPLE_FILE, ROOT, TfJson, synthPlatform } from "./helpers";
import { evaluateHcl, renderedDocuments } from "./hcl-eval";

interface Stack {
  readonly name: string;
  readonly json: TfJson;
  readonly hcl: string;
}

/** Synthesizes a config file as `npm run synth` does and reads back cdktf.out and the HCL folder. */
async function fromFile(file: string): Promise<Stack[]> {
  const dir = path.join(ROOT, ".tmp", "hcl-policy-test", path.basename(file, ".yaml"));
  fs.rmSync(dir, { recursive: true, force: true });
  const summaries = await synthesize({ configFile: file, outdir: path.join(dir, "cdktf.out"), generatedDir: path.join(dir, "generated") });
  return summaries.map((s) => ({
    name: s.name,
    json: JSON.parse(fs.readFileSync(path.join(dir, "cdktf.out", "stacks", s.name, "cdk.tf.json"), "utf8")),
    hcl: fs.readFileSync(path.join(dir, "generated", s.name, "main.tf"), "utf8"),
  }));
}

function fromConfig(config: PlatformConfig): Stack[] {
  const { stacks, json } = synthPlatform(config);
  return stacks.map((s) => ({ name: s.node.id, json: json.get(s.node.id)!, hcl: stackHcl(s, "test") }));
}

/** Every top-level attribute of a resource or data source whose string holds a JSON object, by `type.name.attribute`. */
function jsonDocuments(json: TfJson): Map<string, string> {
  const docs = new Map<string, string>();
  for (const [type, byName] of [...Object.entries(json.resource ?? {}), ...Object.entries(json.data ?? {})]) {
    for (const [name, body] of Object.entries(byName)) {
      for (const [attribute, value] of Object.entries(body)) {
        if (typeof value !== "string" || !value.trimStart().startsWith("{")) continue;
        try {
          if (typeof JSON.parse(value) === "object") docs.set(`${type}.${name}.${attribute}`, value);
        } catch {
          // not JSON
        }
      }
    }
  }
  return docs;
}

const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const REF = String.raw`[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*`;
const SCALAR = `(?:${STRING}|${REF}|-?[0-9][0-9.eE+-]*)`;
const KEY = `(?:[A-Za-z_][A-Za-z0-9_-]*|${STRING}|\\(${REF}\\))`;
/** The shapes a line of a rendered document may have: one key, one value, or one bracket per line. */
const LINE = new RegExp(`^ *(?:[{}\\[\\]],?|\\},|${KEY} += (?:\\{|\\[|\\{\\}|\\[\\]|${SCALAR})|${SCALAR},|\\{\\},|\\[\\],)$`);

const CONFIGS: [string, () => Promise<Stack[]> | Stack[]][] = [
  ["config/example.yaml", () => fromFile(EXAMPLE_FILE)],
  ["test/fixtures/service-matrix.yaml", () => fromFile(path.join(ROOT, "test", "fixtures", "service-matrix.yaml"))],
  ["fleetTenantsConfig() of test/fixtures/fleet-configs.ts", () => fromConfig(fleetTenantsConfig())],
  ["twentyServices() of test/fixtures/generated-configs.ts", () => fromConfig(twentyServices())],
];

describe("policy documents in the generated HCL", () => {
  it.each(CONFIGS)("of %s mean what the synthesized Terraform JSON says, one statement per block and one item per line", async (_, build) => {
    const stacks = await build();
    const wrong: string[] = [];
    let compared = 0;
    for (const stack of stacks) {
      const docs = jsonDocuments(stack.json);
      const rendered = new Map(renderedDocuments(stack.hcl).map((d) => [`${d.type}.${d.name}.${d.attribute}`, d]));
      for (const [id, text] of docs) {
        const attribute = id.split(".").pop()!;
        const doc = rendered.get(id);
        if (!POLICY_ATTRIBUTES.includes(attribute)) {
          // Other JSON (a DynamoDB item) stays a string; a policy document must not hide under another name.
          if ("Statement" in JSON.parse(text)) wrong.push(`${stack.name} ${id}: a policy document under an attribute the renderer does not know`);
          if (doc) wrong.push(`${stack.name} ${id}: rendered although it is no policy attribute`);
          continue;
        }
        if (!doc) {
          wrong.push(`${stack.name} ${id}: not rendered as jsonencode`);
          continue;
        }
        compared++;
        let value: unknown;
        try {
          value = evaluateHcl(doc.text);
        } catch (err) {
          wrong.push(`${stack.name} ${id} (main.tf:${doc.line}): ${(err as Error).message}`);
          continue;
        }
        if (!sameJson(value, JSON.parse(text))) wrong.push(`${stack.name} ${id} (main.tf:${doc.line}): differs from cdk.tf.json`);
        for (const line of doc.text.split("\n")) if (!LINE.test(line)) wrong.push(`${stack.name} ${id}: line ${JSON.stringify(line)} holds more than one item`);
      }
      for (const id of rendered.keys()) if (!docs.has(id)) wrong.push(`${stack.name} ${id}: rendered, but no JSON document in cdk.tf.json`);
      // No policy is left as an escaped one-line string.
      for (const attribute of POLICY_ATTRIBUTES) {
        for (const line of stack.hcl.split("\n")) if (new RegExp(`^ +${attribute} += "\\{`).test(line)) wrong.push(`${stack.name}: ${line.slice(0, 80)}... left as a string`);
      }
    }
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(stacks.length);
  });
});

/** Deep equality of JSON values: object keys in any order, array items in order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameJson(ka, kb) && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

describe("renderPolicyDocuments on strings with escapes", () => {
  /**
   * A policy line as CDKTF writes it: the JSON text, quoted and escaped as an HCL string. The document
   * is in Terraform's JSON form, as cdk.tf.json holds it: a literal `${` or `%{` is written `$${`, `%%{`.
   */
  const line = (doc: unknown) => `  policy = "${JSON.stringify(doc).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const awkward = ['a"b', "back\\slash", "tab\there", "new\nline", "caf\u00e9 \u2603", "dollar $${not.a.ref}", "percent %%{x}", "\u0001"];

  it("writes every string as the same value, whatever it escapes", () => {
    const doc = { Version: "2012-10-17", Statement: awkward.map((sid, i) => ({ Sid: `S${i}`, Effect: "Allow", Action: [sid], Resource: "*", Condition: { StringEquals: { [sid]: sid } } })) };
    const out = renderPolicyDocuments(line(doc));
    expect(out).toMatch(/^  policy = jsonencode\(\{$/m);
    const [rendered] = renderedDocuments(`resource "aws_iam_policy" "p" {\n${out}\n}`);
    expect(evaluateHcl(rendered.text)).toEqual(doc);
  });

  it("leaves a document whose JSON holds a raw control character as it was (it is no JSON)", () => {
    const text = `  policy = "{\\"Sid\\":\\"a\tb\\"}"`;
    expect(renderPolicyDocuments(text)).toBe(text);
  });
});
