/**
 * The merge-request markdown of one or more Terraform plans: a table of every stack's counts, then per
 * stack the services its changes touch (the `app` tag), the IAM policy and trust changes statement by
 * statement, DNS changes, replacements and why, destroys, output changes, drift, and every change.
 * Values come masked from plan-model.ts; nothing here sees a sensitive value.
 */
import { Counts, KINDS, Masked, Plan, ResourceChange, Value, zeroCounts } from "./plan-model";
import { policyDiff } from "./plan-policy";

/** The hidden line by which mr-note finds the note again. */
export const NOTE_MARKER = "<!-- apps-platform:plan-summary -->";
/** GitLab refuses a note longer than this: "Note is too long (maximum is 1000000 characters)". */
export const GITLAB_NOTE_LIMIT = 1_000_000;
/** The stdout summary's budget for stack sections; beyond it the stacks are only in the table. */
export const DEFAULT_BUDGET = 600_000;

export interface SummaryOptions {
  readonly title?: string;
  /** A drift report of a scheduled plan: titled so, and drift shown first in each stack. */
  readonly drift?: boolean;
  /** Where the full text is (a job artifact): linked when sections are left out. */
  readonly detailsUrl?: string;
  /** Characters of stack sections the note may hold; DEFAULT_BUDGET unless given (tests make it small). */
  readonly budget?: number;
}

export interface Summary {
  /** What fits a note: under GITLAB_NOTE_LIMIT. */
  readonly note: string;
  /** Every section. */
  readonly full: string;
  /** How many stacks' sections the note leaves out. */
  readonly omitted: number;
}

// ---------- values

const MAX_VALUE = 160;

/** A value as a reader sees it: masked ones by their label, strings quoted, long ones shortened. */
export function show(v: Value): string {
  const text = v instanceof Masked ? v.label : typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v, (_k, x) => (x instanceof Masked ? x.label : x));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** Inline code that survives a table cell. */
function code(text: string): string {
  const t = text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  return t.includes("`") ? `\`\` ${t} \`\`` : `\`${t}\``;
}

const isRecord = (v: Value): v is { [key: string]: Value } => !!v && typeof v === "object" && !(v instanceof Masked) && !Array.isArray(v);
const same = (a: Value, b: Value) => JSON.stringify(a, (_k, x) => (x instanceof Masked ? `\u0000${x.label}` : x)) === JSON.stringify(b, (_k, x) => (x instanceof Masked ? `\u0000${x.label}` : x));

/** The attributes that differ, as `path: before → after`; nested objects are compared key by key. */
export function attributeChanges(before: Value, after: Value, limit = 25, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (b: Value, a: Value, path: string) => {
    if (out.length > limit) return;
    if (same(b, a)) return;
    if (isRecord(b) && isRecord(a)) {
      for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])]) {
        if (path === "" && ((k === "tags_all" && ("tags" in a || "tags" in b)) || skip.includes(k))) continue;
        walk(b[k] ?? null, a[k] ?? null, path ? `${path}.${k}` : k);
      }
      return;
    }
    if (Array.isArray(b) && Array.isArray(a) && b.length === a.length && b.length > 0) {
      b.forEach((x, i) => walk(x, a[i], `${path}[${i}]`));
      return;
    }
    out.push(`${code(path || "(value)")}: ${code(show(b))} → ${code(show(a))}`);
  };
  walk(before, after, "");
  if (out.length > limit) out.splice(limit, out.length - limit, `… and more`);
  return out;
}

// ---------- what is called out

/** Policy documents by resource type: [attribute, what a reader calls it]. */
const POLICY_ATTRIBUTES: Record<string, [string, string][]> = {
  aws_iam_role: [["assume_role_policy", "trust policy"]],
  aws_iam_role_policy: [["policy", "inline policy"]],
  aws_iam_user_policy: [["policy", "inline policy"]],
  aws_iam_group_policy: [["policy", "inline policy"]],
  aws_iam_policy: [["policy", "managed policy"]],
  aws_s3_bucket_policy: [["policy", "bucket policy"]],
  aws_kms_key: [["policy", "key policy"]],
  aws_kms_key_policy: [["policy", "key policy"]],
  aws_secretsmanager_secret: [["policy", "secret policy"]],
  aws_secretsmanager_secret_policy: [["policy", "secret policy"]],
  aws_ecr_repository_policy: [["policy", "repository policy"]],
  aws_ecrpublic_repository_policy: [["policy", "repository policy"]],
  aws_sns_topic_policy: [["policy", "topic policy"]],
  aws_sqs_queue_policy: [["policy", "queue policy"]],
};
const ATTACHMENTS = new Set(["aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment", "aws_iam_policy_attachment"]);
const OIDC = new Set(["aws_iam_openid_connect_provider"]);
const DNS = new Set(["aws_route53_record", "aws_route53_zone", "aws_route53_zone_association", "aws_route53_delegation_set", "aws_route53domains_registered_domain"]);

const attr = (v: Value, k: string): Value => (isRecord(v) ? (v[k] ?? null) : null);
const nameOf = (c: ResourceChange): string | undefined => {
  for (const k of ["name", "url", "bucket", "role", "secret_id", "repository"]) {
    const v = attr(c.after, k);
    if (typeof v === "string") return v;
    const b = attr(c.before, k);
    if (typeof b === "string") return b;
  }
  return undefined;
};

function heading(c: ResourceChange): string {
  const action = c.action ?? (c.importing ? "import" : c.moved ? "move" : "no-op");
  const extra = [c.importing && c.action ? "import" : "", c.moved ? `moved from ${code(c.previousAddress!)}` : ""].filter(Boolean);
  const name = nameOf(c);
  return `**${action}**${extra.length ? ` (${extra.join(", ")})` : ""} ${code(c.address)}${name ? ` ${code(name)}` : ""} · service ${code(c.app ?? "(no app tag)")}`;
}

function diffBlock(lines: string[]): string[] {
  return ["```diff", ...lines.map((l) => l.replace(/```/g, "` ` `")), "```"];
}

/** The IAM lines of one change, or none when it changes no policy, attachment or identity provider. */
function iamLines(c: ResourceChange): string[] {
  const out: string[] = [];
  for (const [key, what] of POLICY_ATTRIBUTES[c.type] ?? []) {
    const d = policyDiff(attr(c.before, key), attr(c.after, key));
    if (d) out.push(`${heading(c)}: ${what} (${code(key)})`, "", ...diffBlock(d), "");
  }
  const managed = attr(c.after, "managed_policy_arns");
  if (c.type === "aws_iam_role" && !(managed instanceof Masked) && !same(attr(c.before, "managed_policy_arns") ?? [], managed ?? [])) {
    out.push(`${heading(c)}: managed policies`, "", ...diffBlock(listDiff("policy", attr(c.before, "managed_policy_arns"), attr(c.after, "managed_policy_arns"))), "");
  }
  if (ATTACHMENTS.has(c.type)) {
    const side = (v: Value) => (v === null ? [] : [`${show(attr(v, "policy_arn"))} to ${show(attr(v, "role") ?? attr(v, "user") ?? attr(v, "group") ?? attr(v, "roles"))}`]);
    const b = side(c.before);
    const a = side(c.after);
    if (b.join() !== a.join()) out.push(`${heading(c)}: policy attachment`, "", ...diffBlock([...b.filter((x) => !a.includes(x)).map((x) => `- detach ${x}`), ...a.filter((x) => !b.includes(x)).map((x) => `+ attach ${x}`)]), "");
  }
  if (OIDC.has(c.type)) {
    const lines: string[] = [];
    for (const k of ["url", "client_id_list", "thumbprint_list"]) lines.push(...listDiff(k, attr(c.before, k), attr(c.after, k)));
    if (lines.length) out.push(`${heading(c)}: OIDC identity provider`, "", ...diffBlock(lines), "");
  }
  return out;
}

function listDiff(label: string, before: Value, after: Value): string[] {
  const items = (v: Value): string[] => (v === null ? [] : Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : show(x))) : [typeof v === "string" ? v : show(v)]);
  const b = items(before);
  const a = items(after);
  return [...b.filter((x) => !a.includes(x)).map((x) => `- ${label} ${x}`), ...a.filter((x) => !b.includes(x)).map((x) => `+ ${label} ${x}`)];
}

const REASONS: Record<string, string> = {
  replace_because_cannot_update: "an attribute cannot change in place",
  replace_because_tainted: "the resource is tainted",
  replace_by_request: "requested with -replace",
  replace_by_triggers: "replace_triggered_by",
  delete_because_no_resource_config: "no longer in the configuration",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_wrong_repetition: "count/for_each changed its kind",
  delete_because_count_index: "its count index is gone",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_move_target: "its moved block's target is gone",
};
const reason = (r?: string) => (r ? `${REASONS[r] ?? r} (${code(r)})` : "");

function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("");
}
function valueAt(v: Value, path: readonly (string | number)[]): Value {
  let cur: Value = v;
  for (const p of path) {
    if (cur instanceof Masked) return cur;
    if (Array.isArray(cur) && typeof p === "number") cur = cur[p] ?? null;
    else if (isRecord(cur) && typeof p === "string") cur = cur[p] ?? null;
    else return null;
  }
  return cur;
}

function dnsRow(c: ResourceChange): string {
  const side = (v: Value) => {
    if (v === null) return "";
    if (c.type === "aws_route53_record") {
      const alias = attr(v, "alias");
      const records = Array.isArray(alias) && alias.length ? alias.map((a) => show(attr(a, "name"))).join(", ") : show(attr(v, "records"));
      return `${show(attr(v, "type"))} ${records}${attr(v, "ttl") !== null ? ` ttl ${show(attr(v, "ttl"))}` : ""}`;
    }
    return show(attr(v, "name"));
  };
  const name = attr(c.after, "name") ?? attr(c.before, "name");
  return `| ${c.action ?? "move"} | ${code(c.address)} | ${code(show(name))} | ${side(c.before) ? code(side(c.before)) : ""} | ${side(c.after) ? code(side(c.after)) : ""} |`;
}

// ---------- tables

function countsText(k: Counts): string {
  return `**${k.create} to create, ${k.update} to update, ${k.replace} to replace, ${k.delete} to delete**, ${k.import} to import, ${k.move} to move`;
}

function byApp(changes: readonly ResourceChange[]): Map<string, Counts> {
  const m = new Map<string, Counts>();
  for (const c of changes) {
    const key = c.app ?? "";
    const k = m.get(key) ?? zeroCounts();
    if (c.action) k[c.action]++;
    if (c.importing) k.import++;
    if (c.moved) k.move++;
    m.set(key, k);
  }
  return new Map([...m].sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b))));
}

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

/** What a stack's section calls out, by address: the shape --check compares between two runs. */
export function calledOut(p: Plan): { iam: string[]; dns: string[]; replace: string[]; destroy: string[]; drift: string[]; outputs: string[] } {
  return {
    iam: p.changes.filter((c) => iamLines(c).length).map((c) => c.address),
    dns: p.changes.filter((c) => DNS.has(c.type)).map((c) => `${c.action} ${c.address}`),
    replace: p.changes.filter((c) => c.action === "replace").map((c) => `${c.address} ${c.actionReason ?? ""} ${c.replacePaths.map(pathText).join(",")}`),
    destroy: p.changes.filter((c) => c.action === "delete").map((c) => c.address),
    drift: p.drift.map((c) => `${c.action} ${c.address}`),
    outputs: p.outputs.map((o) => `${o.action} ${o.name}`),
  };
}

function flags(p: Plan): string {
  const f: string[] = [];
  if (p.changes.some((c) => iamLines(c).length)) f.push("IAM");
  if (p.changes.some((c) => DNS.has(c.type))) f.push("DNS");
  if (p.counts.replace) f.push("replace");
  if (p.counts.delete) f.push("destroy");
  if (p.drift.length) f.push("drift");
  if (p.errored) f.push("errored");
  return f.join(", ");
}

function totalsTable(plans: readonly Plan[], maxRows: number): string[] {
  const lines = [row(["Stack", ...KINDS, "drift", "review"]), row(Array(KINDS.length + 3).fill("---"))];
  const total = zeroCounts();
  let drift = 0;
  plans.forEach((p, i) => {
    for (const k of KINDS) total[k] += p.counts[k];
    drift += p.drift.length;
    if (i < maxRows) lines.push(row([code(p.stack), ...KINDS.map((k) => p.counts[k]), p.drift.length, flags(p)]));
  });
  if (plans.length > maxRows) lines.push(row([`… ${plans.length - maxRows} more stacks (in the full summary)`, ...Array(KINDS.length + 2).fill("")]));
  if (plans.length > 1) lines.push(row([`**Total (${plans.length} stacks)**`, ...KINDS.map((k) => `**${total[k]}**`), `**${drift}**`, ""]));
  return lines;
}

function servicesLine(plans: readonly Plan[]): string {
  const apps = new Map<string, number>();
  for (const p of plans) for (const c of p.changes) apps.set(c.app ?? "(no app tag)", (apps.get(c.app ?? "(no app tag)") ?? 0) + 1);
  if (!apps.size) return "No resource changes.";
  const list = [...apps].sort(([a], [b]) => a.localeCompare(b)).map(([a, n]) => `${code(a)} (${n})`);
  return `Services the changes touch (\`app\` tag, resources): ${list.length > 200 ? `${list.slice(0, 200).join(", ")} and ${list.length - 200} more` : list.join(", ")}.`;
}

// ---------- one stack

function changeList(changes: readonly ResourceChange[]): string[] {
  const out: string[] = [];
  for (const c of changes) {
    out.push(`- ${heading(c)}`);
    if (c.action === "update" || c.action === "replace") {
      const policies = (POLICY_ATTRIBUTES[c.type] ?? []).map(([k]) => k).filter((k) => !same(attr(c.before, k), attr(c.after, k)));
      for (const l of attributeChanges(c.before, c.after, 25, policies)) out.push(`  - ${l}`);
      for (const k of policies) out.push(`  - ${code(k)}: see IAM policy and trust changes`);
    }
    if (c.action === "delete" && c.actionReason) out.push(`  - ${reason(c.actionReason)}`);
  }
  return out;
}

export function renderStack(p: Plan, drift = false): string {
  const out: string[] = [`### Stack ${code(p.stack)}`, ""];
  if (p.errored) out.push("> **The plan errored**: what follows is what Terraform planned before it failed.", "");
  out.push(`${countsText(p.counts)}${p.drift.length ? ` · ${p.drift.length} changed outside Terraform (drift)` : ""}`, "");
  const apps = byApp(p.changes);
  if (apps.size) {
    out.push(row(["Service (`app` tag)", ...KINDS]), row(Array(KINDS.length + 1).fill("---")));
    for (const [app, k] of apps) out.push(row([app === "" ? "(no app tag)" : code(app), ...KINDS.map((x) => k[x])]));
    out.push("");
  }
  const driftSection: string[] = [];
  if (p.drift.length) {
    driftSection.push("#### Drift: changed outside Terraform", "", "What the last refresh found different from the state; the planned changes above are what Terraform does about it.", "");
    for (const c of p.drift) {
      const iam = iamLines(c);
      if (iam.length) driftSection.push(...iam);
      const policies = (POLICY_ATTRIBUTES[c.type] ?? []).map(([k]) => k);
      const rest = attributeChanges(c.before, c.after, 25, policies).map((l) => `  - ${l}`);
      if (!iam.length || rest.length) driftSection.push(`- ${heading(c)}`, ...rest);
    }
    driftSection.push("");
  }
  if (drift) out.push(...driftSection);
  const iam = p.changes.flatMap(iamLines);
  if (iam.length) out.push("#### IAM policy and trust changes", "", ...iam);
  const dns = p.changes.filter((c) => DNS.has(c.type));
  if (dns.length) out.push("#### DNS changes", "", row(["", "Resource", "Name", "Before", "After"]), row(Array(5).fill("---")), ...dns.map(dnsRow), "");
  const replaced = p.changes.filter((c) => c.action === "replace");
  if (replaced.length) {
    out.push("#### Replacements", "");
    for (const c of replaced) {
      out.push(`- ${heading(c)}${c.actionReason ? `: ${reason(c.actionReason)}` : ""}`);
      for (const path of c.replacePaths) {
        out.push(`  - forced by ${code(pathText(path))}: ${code(show(valueAt(c.before, path)))} → ${code(show(valueAt(c.after, path)))}`);
      }
    }
    out.push("");
  }
  const deleted = p.changes.filter((c) => c.action === "delete");
  if (deleted.length) out.push("#### Destroys", "", ...deleted.map((c) => `- ${heading(c)}${c.actionReason ? `: ${reason(c.actionReason)}` : ""}`), "");
  if (p.outputs.length) {
    out.push("#### Outputs", "", ...p.outputs.map((o) => `- **${o.action}** ${code(o.name)}: ${o.action === "create" ? code(show(o.after)) : o.action === "delete" ? code(show(o.before)) : `${code(show(o.before))} → ${code(show(o.after))}`}`), "");
  }
  if (!drift) out.push(...driftSection);
  if (p.changes.length) out.push(`<details><summary>Every change (${p.changes.length})</summary>`, "", ...changeList(p.changes), "", "</details>", "");
  else out.push("No changes.", "");
  return out.join("\n");
}

// ---------- the note

export function renderSummary(plans: readonly Plan[], options: SummaryOptions = {}): Summary {
  const budget = Math.min(options.budget ?? DEFAULT_BUDGET, GITLAB_NOTE_LIMIT - 100_000);
  const title = options.title ?? (options.drift ? "Terraform drift report" : "Terraform plan");
  const head = (table: string[]) => [NOTE_MARKER, `## ${title}`, "", ...table, "", servicesLine(plans), ""].join("\n");
  const sections = plans.map((p) => renderStack(p, options.drift));
  const full = `${head(totalsTable(plans, plans.length))}\n${sections.join("\n")}`;
  // The table of every stack is the compact view; it is cut only when it alone would fill the budget.
  let maxRows = plans.length;
  let header = head(totalsTable(plans, maxRows));
  while (header.length > budget && maxRows > 0) {
    maxRows = Math.floor(maxRows / 2);
    header = head(totalsTable(plans, maxRows));
  }
  let used = header.length;
  let shown = 0;
  for (const s of sections) {
    if (used + s.length + 1 > budget) break;
    used += s.length + 1;
    shown++;
  }
  const omitted = plans.length - shown;
  let note = `${header}\n${sections.slice(0, shown).join("\n")}`;
  if (omitted) {
    const where = options.detailsUrl ? `[the full summary](${options.detailsUrl})` : "the full summary (the job's --full file)";
    const names = plans.slice(shown).map((p) => code(p.stack));
    const listed = names.length > 300 ? `${names.slice(0, 300).join(", ")} and ${names.length - 300} more` : names.join(", ");
    note += `\n### ${omitted} more stacks\n\nTheir counts are in the table above; their sections are in ${where}: ${listed}.\n`;
  }
  return { note, full, omitted };
}

/** GitLab's artifacts:reports:terraform document: the totals its merge-request widget shows. */
export function gitlabReport(plans: readonly Plan[]): { create: number; update: number; delete: number } {
  const r = { create: 0, update: 0, delete: 0 };
  for (const p of plans) {
    r.create += p.gitlab.create;
    r.update += p.gitlab.update;
    r.delete += p.gitlab.delete;
  }
  return r;
}
