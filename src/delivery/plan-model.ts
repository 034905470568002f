/**
 * Reads `terraform show -json` of a saved plan into what the merge-request summary shows. Every value
 * leaves this module masked: what Terraform marks sensitive (before_sensitive/after_sensitive, at any
 * depth, and sensitive outputs) is replaced by a Masked placeholder before anything else looks at it,
 * so no renderer can print a secret by mistake; what is unknown until apply is a Masked placeholder too.
 */

/** A value the summary must not or cannot show. */
export class Masked {
  private constructor(readonly label: string) {}
  static readonly SENSITIVE = new Masked("(sensitive)");
  static readonly UNKNOWN = new Masked("(known after apply)");
}

/** A JSON value after masking. */
export type Value = null | boolean | number | string | Masked | Value[] | { [key: string]: Value };

export type Kind = "create" | "update" | "replace" | "delete" | "import" | "move";
export const KINDS: readonly Kind[] = ["create", "update", "replace", "delete", "import", "move"];
export type Counts = Record<Kind, number>;
export const zeroCounts = (): Counts => ({ create: 0, update: 0, replace: 0, delete: 0, import: 0, move: 0 });

export interface ResourceChange {
  readonly address: string;
  readonly previousAddress?: string;
  readonly type: string;
  /** Terraform's actions: ["create"], ["delete","create"], ["no-op"], ... */
  readonly actions: readonly string[];
  /** What it counts as: one action (create, update, replace, delete, or none for no-op/read), plus import/move. */
  readonly action?: "create" | "update" | "replace" | "delete";
  readonly importing: boolean;
  readonly moved: boolean;
  readonly before: Value;
  readonly after: Value;
  /** The `app` tag: the service (tenant) the resource belongs to; undefined when it has none. */
  readonly app?: string;
  readonly actionReason?: string;
  /** The attribute paths that force the replacement. */
  readonly replacePaths: readonly (readonly (string | number)[])[];
}

export interface OutputChange {
  readonly name: string;
  readonly action: "create" | "update" | "delete";
  readonly before: Value;
  readonly after: Value;
}

export interface Plan {
  readonly stack: string;
  readonly terraformVersion?: string;
  /** Planned changes, no-ops and reads left out (except imports and moves, which are changes). */
  readonly changes: readonly ResourceChange[];
  /** What changed outside Terraform since the last apply (`resource_drift`). */
  readonly drift: readonly ResourceChange[];
  readonly outputs: readonly OutputChange[];
  readonly counts: Counts;
  /** GitLab's counts (artifacts:reports:terraform): actions flattened, so a replace is a create and a delete. */
  readonly gitlab: { create: number; update: number; delete: number };
  /** The plan has errored (`errored: true`): it was written from a failed plan. */
  readonly errored: boolean;
}

/** A file that is JSON but not `terraform show -json` of a plan. */
export class NotAPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotAPlanError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Masks `value` where `sensitive` (true, or the same shape with true at the masked places) says so. */
export function maskSensitive(value: Json | undefined, sensitive: Json | undefined): Value {
  if (value === undefined) return null;
  if (sensitive === true) return Masked.SENSITIVE;
  if (Array.isArray(value)) return value.map((v, i) => maskSensitive(v, Array.isArray(sensitive) ? sensitive[i] : undefined));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSensitive(v, isObject(sensitive) ? sensitive[k] : undefined)]));
  }
  return value;
}

/** The planned value with its unknown parts (after_unknown) and sensitive parts (after_sensitive) masked. */
export function maskAfter(after: Json | undefined, unknown: Json | undefined, sensitive: Json | undefined): Value {
  if (sensitive === true) return Masked.SENSITIVE;
  if (unknown === true) return Masked.UNKNOWN;
  if (Array.isArray(after) || Array.isArray(unknown)) {
    const a = Array.isArray(after) ? after : [];
    const u = Array.isArray(unknown) ? unknown : [];
    return Array.from({ length: Math.max(a.length, u.length) }, (_, i) =>
      maskAfter(a[i], u[i], Array.isArray(sensitive) ? sensitive[i] : undefined),
    );
  }
  if (isObject(after) || isObject(unknown)) {
    const a = isObject(after) ? after : {};
    const u = isObject(unknown) ? unknown : {};
    const keys = [...new Set([...Object.keys(a), ...Object.keys(u).filter((k) => u[k] !== false)])];
    return Object.fromEntries(keys.map((k) => [k, maskAfter(a[k], u[k], isObject(sensitive) ? sensitive[k] : undefined)]));
  }
  return after === undefined ? null : after;
}

function classify(actions: readonly string[]): ResourceChange["action"] {
  const a = [...actions].sort().join(",");
  if (a === "create") return "create";
  if (a === "update") return "update";
  if (a === "delete") return "delete";
  if (a === "create,delete") return "replace";
  return undefined;
}

function tagOf(v: Value, tag: string): string | undefined {
  if (!v || typeof v !== "object" || v instanceof Masked || Array.isArray(v)) return undefined;
  for (const key of ["tags_all", "tags"]) {
    const tags = v[key];
    if (tags && typeof tags === "object" && !(tags instanceof Masked) && !Array.isArray(tags)) {
      const value = tags[tag];
      if (typeof value === "string") return value;
    }
  }
  return undefined;
}

function readChange(raw: Record<string, Json>, where: string): ResourceChange {
  const change = raw.change;
  if (typeof raw.address !== "string" || !isObject(change) || !Array.isArray(change.actions)) {
    throw new NotAPlanError(`${where} has no address or change.actions`);
  }
  const actions = change.actions.map(String);
  const before = maskSensitive(change.before, change.before_sensitive);
  const after = maskAfter(change.after, change.after_unknown, change.after_sensitive);
  const replacePaths = Array.isArray(change.replace_paths)
    ? change.replace_paths.filter(Array.isArray).map((p) => (p as Json[]).map((s) => (typeof s === "number" ? s : String(s))))
    : [];
  return {
    address: raw.address,
    previousAddress: typeof raw.previous_address === "string" ? raw.previous_address : undefined,
    type: typeof raw.type === "string" ? raw.type : raw.address.split(".").slice(-2)[0],
    actions,
    action: classify(actions),
    importing: isObject(change.importing),
    moved: typeof raw.previous_address === "string" && raw.previous_address !== raw.address,
    before,
    after,
    app: tagOf(after, "app") ?? tagOf(before, "app"),
    actionReason: typeof raw.action_reason === "string" ? raw.action_reason : undefined,
    replacePaths,
  };
}

/** Reads a parsed `terraform show -json` document; throws NotAPlanError when it is not one of a plan. */
export function readPlan(doc: unknown, stack: string): Plan {
  if (!isObject(doc) || typeof doc.format_version !== "string") {
    throw new NotAPlanError("not the JSON of a Terraform plan (no format_version): write it with terraform show -json <planfile>");
  }
  if (!("planned_values" in doc) && !("resource_changes" in doc) && !("output_changes" in doc)) {
    const what = "values" in doc ? "the JSON of a Terraform state, not of a plan" : "not the JSON of a Terraform plan (no planned_values or resource_changes)";
    throw new NotAPlanError(`${what}: write it with terraform show -json <planfile>`);
  }
  const list = (key: string): Record<string, Json>[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new NotAPlanError(`${key} is not a list`);
    return v.map((r, i) => {
      if (!isObject(r)) throw new NotAPlanError(`${key}[${i}] is not an object`);
      return r;
    });
  };
  const all = list("resource_changes").map((r, i) => readChange(r, `resource_changes[${i}]`));
  const changes = all.filter((c) => c.action !== undefined || c.importing || c.moved);
  const drift = list("resource_drift")
    .map((r, i) => readChange(r, `resource_drift[${i}]`))
    .filter((c) => c.action !== undefined);
  const counts = zeroCounts();
  for (const c of changes) {
    if (c.action) counts[c.action]++;
    if (c.importing) counts.import++;
    if (c.moved) counts.move++;
  }
  const gitlab = { create: 0, update: 0, delete: 0 };
  for (const c of all) for (const a of c.actions) if (a === "create" || a === "update" || a === "delete") gitlab[a]++;
  const outputs: OutputChange[] = [];
  const rawOutputs = doc.output_changes;
  if (isObject(rawOutputs)) {
    for (const [name, o] of Object.entries(rawOutputs)) {
      if (!isObject(o) || !Array.isArray(o.actions)) continue;
      const action = classify(o.actions.map(String));
      if (!action) continue;
      outputs.push({
        name,
        action: action === "replace" ? "update" : action,
        before: maskSensitive(o.before, o.before_sensitive),
        after: maskAfter(o.after, o.after_unknown, o.after_sensitive),
      });
    }
  }
  return {
    stack,
    terraformVersion: typeof doc.terraform_version === "string" ? doc.terraform_version : undefined,
    changes,
    drift,
    outputs,
    counts,
    gitlab,
    errored: doc.errored === true,
  };
}
