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
  /** A sensitive value that differs from the one before (said without showing either, as Terraform does). */
  static readonly SENSITIVE_CHANGED = new Masked("(sensitive, changed)");
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

/** Where the planned value is masked as sensitive but differs from the prior one, says so. */
export function markChanged(before: Json | undefined, after: Json | undefined, masked: Value): Value {
  if (masked === Masked.SENSITIVE) return JSON.stringify(before ?? null) === JSON.stringify(after ?? null) ? masked : Masked.SENSITIVE_CHANGED;
  if (Array.isArray(masked)) return masked.map((m, i) => markChanged(Array.isArray(before) ? before[i] : undefined, Array.isArray(after) ? after[i] : undefined, m));
  if (masked && typeof masked === "object" && !(masked instanceof Masked)) {
    return Object.fromEntries(Object.entries(masked).map(([k, m]) => [k, markChanged(isObject(before) ? before[k] : undefined, isObject(after) ? after[k] : undefined, m)]));
  }
  return masked;
}

/**
 * Every string Terraform marks sensitive anywhere in the plan (resource changes, drift, outputs, prior
 * state and planned values, variables declared sensitive). A secret copied into an attribute Terraform
 * does not mark (terraform_data's output keeps no marks in state) is masked there too.
 */
export function sensitiveStrings(doc: Record<string, Json>): Set<string> {
  const found = new Set<string>();
  const collect = (value: Json | undefined, sensitive: Json | undefined, all = false) => {
    if (value === undefined || value === null) return;
    const here = all || sensitive === true;
    if (typeof value === "string") {
      if (here && value.length >= 4) found.add(value);
      return;
    }
    if (typeof value === "number" || typeof value === "boolean") {
      if (here && String(value).length >= 6) found.add(String(value));
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => collect(v, Array.isArray(sensitive) ? sensitive[i] : undefined, here));
    else for (const [k, v] of Object.entries(value)) collect(v, isObject(sensitive) ? sensitive[k] : undefined, here);
  };
  // The provider's schema marks every SSM parameter's value sensitive; a String or StringList parameter
  // (the platform's contract: ids and names) or one set through insecure_value is plain text by the
  // configuration's own choice, so its value is masked where it stands but not hunted for elsewhere.
  const declaredPlain = (type: Json | undefined, v: Json | undefined): Json | undefined =>
    type === "aws_ssm_parameter" && isObject(v) && (typeof v.insecure_value === "string" || v.type === "String" || v.type === "StringList") ? { ...v, value: null } : v;
  for (const key of ["resource_changes", "resource_drift"]) {
    const list = doc[key];
    if (!Array.isArray(list)) continue;
    for (const r of list) {
      if (!isObject(r) || !isObject(r.change)) continue;
      collect(declaredPlain(r.type, r.change.before), r.change.before_sensitive);
      collect(declaredPlain(r.type, r.change.after), r.change.after_sensitive);
    }
  }
  if (isObject(doc.output_changes)) {
    for (const o of Object.values(doc.output_changes)) {
      if (!isObject(o)) continue;
      collect(o.before, o.before_sensitive);
      collect(o.after, o.after_sensitive);
    }
  }
  const modules = (m: Json | undefined): Record<string, Json>[] => (isObject(m) ? [m, ...(Array.isArray(m.child_modules) ? m.child_modules.flatMap(modules) : [])] : []);
  for (const values of [isObject(doc.prior_state) ? doc.prior_state.values : undefined, doc.planned_values]) {
    if (!isObject(values)) continue;
    for (const m of modules(values.root_module)) {
      for (const r of Array.isArray(m.resources) ? m.resources : []) if (isObject(r)) collect(declaredPlain(r.type, r.values), r.sensitive_values);
    }
    if (isObject(values.outputs)) for (const o of Object.values(values.outputs)) if (isObject(o) && o.sensitive === true) collect(o.value, true);
  }
  const declared = isObject(doc.configuration) && isObject(doc.configuration.root_module) && isObject(doc.configuration.root_module.variables) ? doc.configuration.root_module.variables : {};
  if (isObject(doc.variables)) {
    for (const [name, v] of Object.entries(doc.variables)) {
      const decl = declared[name];
      if (isObject(v) && isObject(decl) && decl.sensitive === true) collect(v.value, true);
    }
  }
  return found;
}

/** Below this length a known secret is masked only where it is a whole value, not inside other text. */
const SUBSTRING_MIN = 16;

/** Masks the known secrets in the strings of a masked value: whole values, and long ones inside text too. */
export function scrubSecrets(v: Value, secrets: readonly string[]): Value {
  if (!secrets.length) return v;
  if (typeof v === "string") {
    if (secrets.includes(v)) return Masked.SENSITIVE;
    return secrets.reduce((s, secret) => (secret.length >= SUBSTRING_MIN && s.includes(secret) ? s.split(secret).join(Masked.SENSITIVE.label) : s), v);
  }
  if (typeof v === "number" && secrets.includes(String(v))) return Masked.SENSITIVE;
  if (Array.isArray(v)) return v.map((x) => scrubSecrets(x, secrets));
  if (v && typeof v === "object" && !(v instanceof Masked)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubSecrets(x, secrets)]));
  return v;
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

function readChange(raw: Record<string, Json>, where: string, secrets: readonly string[]): ResourceChange {
  const change = raw.change;
  if (typeof raw.address !== "string" || !isObject(change) || !Array.isArray(change.actions)) {
    throw new NotAPlanError(`${where} has no address or change.actions`);
  }
  const actions = change.actions.map(String);
  const before = scrubSecrets(maskSensitive(change.before, change.before_sensitive), secrets);
  const after = scrubSecrets(change.before === null || change.before === undefined ? maskAfter(change.after, change.after_unknown, change.after_sensitive) : markChanged(change.before, change.after, maskAfter(change.after, change.after_unknown, change.after_sensitive)), secrets);
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
  // Longest first, so a secret that contains another is replaced whole.
  const secrets = [...sensitiveStrings(doc)].sort((a, b) => b.length - a.length);
  const all = list("resource_changes").map((r, i) => readChange(r, `resource_changes[${i}]`, secrets));
  const changes = all.filter((c) => c.action !== undefined || c.importing || c.moved);
  const drift = list("resource_drift")
    .map((r, i) => readChange(r, `resource_drift[${i}]`, secrets))
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
        before: scrubSecrets(maskSensitive(o.before, o.before_sensitive), secrets),
        after: scrubSecrets(o.before === null || o.before === undefined ? maskAfter(o.after, o.after_unknown, o.after_sensitive) : markChanged(o.before, o.after, maskAfter(o.after, o.after_unknown, o.after_sensitive)), secrets),
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
