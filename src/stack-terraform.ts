import * as fs from "fs";
import * as path from "path";
import { AnnotationMetadataEntryType, Manifest, TerraformElement, TerraformOutput, TerraformStack, Token, Tokenization } from "cdktf";
import { ConstructOrder, IConstruct } from "constructs";

/**
 * A stack's Terraform JSON and CDKTF's HCL of it from one token resolution instead of two.
 *
 * CDKTF resolves every token of a stack once for `toTerraform` (the JSON) and again for
 * `toHclTerraform`: the HCL fragments of its elements (each attribute a `{ value, isBlock, type,
 * storageClassType }` that tells its renderer a block from an attribute) hold the same tokens, and
 * resolving them again was a quarter of a stack's synth time. Here each element's HCL fragment is
 * built unresolved and its values are taken from the element's resolved JSON fragment, path by path;
 * CDKTF's own renderer then writes the text, exactly as `toHclTerraform` does. Wherever the two
 * fragments do not line up (a dynamic block, a token used as a key, a value the JSON lacks), that
 * element is resolved again the CDKTF way, so the result is always what `toHclTerraform` gives.
 */

// CDKTF's internals that toTerraform and toHclTerraform are made of (the package has no exports map).
/* eslint-disable @typescript-eslint/no-require-imports */
const { resolve } = require("cdktf/lib/_tokens") as { resolve: (scope: IConstruct, obj: unknown) => any };
const { deepMerge } = require("cdktf/lib/util") as { deepMerge: (target: any, ...sources: any[]) => any };
const render = require("cdktf/lib/hcl/render") as Record<string, (x: any) => any>;
const { containsMapToken, containsStringListTokenElement, containsNumberListTokenElement } = require("cdktf/lib/tokens/private/encoding") as Record<string, (x: unknown) => boolean>;
/* eslint-enable @typescript-eslint/no-require-imports */

// Where TokenString.forNumbers finds something in a string (a number token written into it, or text
// like one): its expression, [-|\d|.\+]+(e[-|\d|.|e|E|\+]+), matches exactly where this one does.
const NUMBER_LIKE = /[-|\d.+]e[-|\d.eE+]/;

const isConstruct = (x: any) => x._children !== undefined && x._metadata !== undefined;

/**
 * `resolve(scope, obj)`, CDKTF's token resolution, for data that is mostly plain: strings without a
 * token, numbers that are no token, booleans, and the arrays and objects made of them are copied as
 * CDKTF's resolve copies them (undefined dropped); anything that is or may hold a token is handed to
 * CDKTF's resolve as a whole, where it stands. A plain value's resolution does not depend on where
 * it stands, so the result is the same; a test checks it for every stack of three configs.
 */
export function fastResolve(scope: IConstruct, obj: unknown): any {
  if (obj === undefined || obj === null) return obj;
  switch (typeof obj) {
    case "string":
      // Token markers (${TfToken[, #{TfToken[, &{TfToken[), a Terraform expression, or number-like text.
      return obj.includes("{TfToken[") || obj.includes("${") || NUMBER_LIKE.test(obj) ? resolve(scope, obj) : obj;
    case "number":
      return Token.isUnresolved(obj) || obj === Token.NUMBER_MAP_TOKEN_VALUE ? resolve(scope, obj) : obj;
    case "boolean":
      return obj;
    case "object":
      break;
    default:
      return resolve(scope, obj);
  }
  if (obj instanceof Date) return obj;
  if (Array.isArray(obj)) {
    if (containsStringListTokenElement(obj) || containsNumberListTokenElement(obj)) return resolve(scope, obj);
    const out: unknown[] = [];
    for (const x of obj) {
      const r = fastResolve(scope, x);
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (containsMapToken(obj) || Tokenization.isResolvable(obj) || isConstruct(obj)) return resolve(scope, obj);
  const out: Record<string, unknown> = {};
  const o = obj as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const k = fastResolve(scope, key);
    if (typeof k !== "string") return resolve(scope, obj);
    const v = fastResolve(scope, o[key]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

interface StackInternals {
  readonly cdktfVersion: string;
  readonly rawOverrides: Record<string, unknown>;
}

/** The elements of a stack, as TerraformStack lists them (not those of a nested stack). */
function elementsOf(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) into.push(node);
  for (const child of node.node.children) {
    if (TerraformStack.isStack(child)) continue;
    elementsOf(child, into);
  }
  return into;
}

export interface StackTerraform {
  /** What `stack.toTerraform()` returns. */
  readonly json: any;
  readonly elements: readonly TerraformElement[];
  /** Each element's resolved `toTerraform()`. */
  readonly fragments: readonly any[];
  readonly metadata: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
}

function metadataOf(stack: TerraformStack, elements: readonly TerraformElement[]): { metadata: Record<string, unknown>; outputs: Record<string, unknown> } {
  const s = stack as unknown as StackInternals;
  const metadata = {
    version: s.cdktfVersion,
    stackName: stack.node.id,
    backend: "local",
    cloud: undefined,
    ...(Object.keys(s.rawOverrides).length > 0 ? { overrides: { stack: Object.keys(s.rawOverrides) } } : {}),
  };
  for (const meta of elements.map((e) => fastResolve(stack, e.toMetadata()))) deepMerge(metadata, meta);
  const outputs = elements.reduce((carry: Record<string, unknown>, item) => {
    if (!TerraformOutput.isTerraformOutput(item)) return carry;
    deepMerge(
      carry,
      item.node.path.split("/").reduceRight((inner: Record<string, unknown>, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
    );
    return carry;
  }, {});
  return { metadata, outputs };
}

/** `TerraformStack.toTerraform` of CDKTF 0.21, keeping each element's resolved fragment. */
export function stackTerraform(stack: TerraformStack): StackTerraform {
  const s = stack as unknown as StackInternals;
  const elements = elementsOf(stack);
  const { metadata, outputs } = metadataOf(stack, elements);
  const tf: Record<string, unknown> = { "//": { metadata, outputs } };
  const fragments = elements.map((e) => fastResolve(stack, e.toTerraform()));
  for (const fragment of fragments) deepMerge(tf, fragment);
  deepMerge(tf, s.rawOverrides);
  return { json: fastResolve(stack, tf), elements, fragments, metadata, outputs };
}

const MISMATCH = Symbol("mismatch");
type Merged = unknown | typeof MISMATCH;

/**
 * An attribute as the HCL renderer takes it: `{ value, isBlock, type, storageClassType }` (snake-cased
 * in providers, `{ value, type }` in variables). Told wrongly either way, the values no longer line up
 * with the JSON and the element is resolved again.
 */
const isWrapper = (h: Record<string, unknown>) =>
  "value" in h && ("isBlock" in h || "storageClassType" in h || "is_block" in h || "storage_class_type" in h || (typeof h.type === "string" && Object.keys(h).length === 2));
const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * What `resolve(h)` gives, with every value taken from `j`, the resolved JSON at the same place; or
 * MISMATCH where the two do not line up.
 */
function merge(h: unknown, j: unknown): Merged {
  if (h === undefined) return undefined;
  if (h === null) return j === null ? null : MISMATCH;
  switch (typeof h) {
    case "string":
      // A literal is its own resolution, also where the HCL writes it otherwise than the JSON (an
      // output's value as an HCL expression of its own); anything with a token (or an expression) is
      // what the JSON resolved it to.
      if (h === j || !(h.includes("{TfToken[") || h.includes("${") || NUMBER_LIKE.test(h))) return h;
      return typeof j === "string" && h.includes("${") ? j : MISMATCH;
    case "number":
      if (h === j) return h;
      return typeof j === "number" && Token.isUnresolved(h) ? j : MISMATCH;
    case "boolean":
      return h === j ? h : MISMATCH;
    case "object":
      break;
    default:
      return MISMATCH;
  }
  if (Tokenization.isResolvable(h)) return j === undefined ? MISMATCH : j;
  if (Array.isArray(h)) {
    // A list token: resolved as a whole (to a list, or to an expression such as a split).
    if (containsStringListTokenElement(h) || containsNumberListTokenElement(h)) return j === undefined ? MISMATCH : j;
    if (!Array.isArray(j)) return MISMATCH;
    const defined = h.filter((x) => x !== undefined);
    if (defined.length !== j.length) return MISMATCH;
    const out: unknown[] = [];
    for (let i = 0; i < defined.length; i++) {
      const m = merge(defined[i], j[i]);
      if (m === MISMATCH) return MISMATCH;
      if (m !== undefined) out.push(m);
    }
    return out;
  }
  const obj = h as Record<string, unknown>;
  if (containsMapToken(obj)) return j === undefined ? MISMATCH : j;
  if (isWrapper(obj)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const m = key === "value" ? merge(obj.value, j) : merge(obj[key], obj[key]);
      if (m === MISMATCH) return MISMATCH;
      if (m !== undefined) out[key] = m;
    }
    return out;
  }
  if (!isPlainObject(j)) return MISMATCH;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    // A token in a key (encoded as `${TfToken[...]}`) is resolved the CDKTF way.
    if (key.includes("${")) return MISMATCH;
    const m = merge(obj[key], j[key]);
    if (m === MISMATCH) return MISMATCH;
    if (m !== undefined) out[key] = m;
  }
  return out;
}

/** How many elements hclText merged from their JSON, and how many it resolved again. */
export const mergeStats = { merged: 0, resolved: 0 };

/** `TerraformStack.toHclTerraform(...).hcl` of CDKTF 0.21, from a stackTerraform result. */
export function hclText(stack: TerraformStack, t: StackTerraform): string {
  const s = stack as unknown as StackInternals;
  const tf: Record<string, any> = {};
  const locals: Record<string, any> = {};
  const fragments = t.elements.map((e, i) => {
    const h = e.toHclTerraform();
    const merged = merge(h, t.fragments[i]);
    if (merged === MISMATCH) {
      mergeStats.resolved++;
      return resolve(stack, h);
    }
    mergeStats.merged++;
    return merged;
  });
  const hclFragments = fragments.map((frag: any) => {
    let res = "";
    if (frag.resource) res = [res, render.renderResource(frag.resource).hcl].join("\n");
    if (frag.data) res = [res, render.renderDatasource(frag.data).hcl].join("\n");
    if (frag.provider) {
      deepMerge(tf, frag);
      res = [res, render.renderProvider(frag.provider)].join("\n\n");
    }
    if (frag.terraform) deepMerge(tf, frag);
    if (frag.module) res = [res, render.renderModule(frag.module).hcl].join("\n");
    if (frag.output) res = [res, render.renderOutput(frag.output)].join("\n\n");
    if (frag.moved) res = [res, render.renderMoved(frag.moved)].join("\n\n");
    if (frag.import) res = [res, render.renderImport(frag.import)].join("\n\n");
    if (frag.locals) deepMerge(locals, frag);
    if (frag.variable) res = [res, render.renderVariable(frag.variable)].join("\n\n");
    return res;
  });
  deepMerge(tf, s.rawOverrides);
  const terraformBlock = tf?.terraform;
  const terraformBlockHcl = terraformBlock ? render.renderTerraform(terraformBlock) : "";
  let localsHcl = render.renderLocals(locals.locals);
  if (localsHcl) localsHcl = "\n\n" + localsHcl;
  return resolve(stack, [terraformBlockHcl, localsHcl, ...hclFragments].join(""));
}


/**
 * json-stable-stringify(value, { space: 2 }), as CDKTF writes cdk.tf.json and its manifest: keys
 * sorted, two spaces an indent, an empty array or object with its closing bracket on a line of its own.
 */
export function stableJson(value: unknown, level = 0): string | undefined {
  let node = value as any;
  if (node && typeof node.toJSON === "function") node = node.toJSON();
  if (node === undefined) return undefined;
  if (typeof node !== "object" || node === null) return JSON.stringify(node);
  const indent = `\n${"  ".repeat(level)}`;
  const inner = `${indent}  `;
  if (Array.isArray(node)) {
    let out = "[";
    for (let i = 0; i < node.length; i++) out += `${i > 0 ? "," : ""}${inner}${stableJson(node[i], level + 1) || "null"}`;
    return `${out}${indent}]`;
  }
  let out = "{";
  let first = true;
  for (const key of Object.keys(node).sort()) {
    const v = stableJson(node[key], level + 1);
    if (!v) continue;
    out += `${first ? "" : ","}${inner}${JSON.stringify(key)}: ${v}`;
    first = false;
  }
  return `${out}${indent}}`;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const { invokeAspects } = require("cdktf/lib/synthesize/synthesizer") as { invokeAspects: (root: IConstruct) => void };
const { encounteredAnnotationWithLevelError } = require("cdktf/lib/errors") as { encounteredAnnotationWithLevelError: (errors: string) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */
const CUSTOM_SYNTHESIS = Symbol.for("cdktf/customSynthesis");
const ANNOTATION_LEVELS: readonly string[] = [AnnotationMetadataEntryType.INFO, AnnotationMetadataEntryType.WARN, AnnotationMetadataEntryType.ERROR];

export interface SynthesizedStack extends StackTerraform {
  /** cdk.tf.json's text. */
  readonly text: string;
}

/**
 * What CDKTF's StackSynthesizer does for a stack, less writing cdk.tf.json (its text is returned):
 * the aspects, the custom syntheses of its constructs, its annotations into the manifest (an error
 * among them stops the synth), and its JSON.
 */
export function synthesizeStack(stack: TerraformStack, session: { outdir: string; skipValidation: boolean; manifest: Manifest }): SynthesizedStack {
  invokeAspects(stack);
  const stackManifest = session.manifest.forStack(stack);
  // The stack's folder of cdktf.out, where a construct's custom synthesis (an asset) writes: made
  // only for a stack that has one (the platform's stacks put their files in stack.files instead).
  for (const node of stack.node.findAll(ConstructOrder.POSTORDER)) {
    const custom = (node as unknown as Record<symbol, { onSynthesize(session: unknown): void } | undefined>)[CUSTOM_SYNTHESIS];
    if (!custom) continue;
    fs.mkdirSync(path.join(session.outdir, stackManifest.workingDirectory), { recursive: true });
    custom.onSynthesize(session);
  }
  const annotations = stack.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((m) => ANNOTATION_LEVELS.includes(m.type))
      .map((m) => ({ constructPath: node.node.path, level: m.type, message: m.data, stacktrace: m.trace })),
  );
  (stackManifest as { annotations: unknown }).annotations = annotations;
  const errors = annotations.filter((a) => a.level === AnnotationMetadataEntryType.ERROR);
  if (errors.length > 0) throw encounteredAnnotationWithLevelError(errors.map((a) => `[${a.constructPath}] ${a.message}`).join("\n"));
  const t = stackTerraform(stack);
  return { ...t, text: stableJson(t.json)! };
}
