/**
 * IAM policy documents compared statement by statement, as a reviewer reads them: which statements
 * are added or removed, and in a changed one which actions, resources, principals and condition values
 * come or go. Statements are matched by Sid, else by their effect, actions and principal.
 */
import { Masked, Value } from "./plan-model";

interface Statement {
  readonly [key: string]: unknown;
}

/** The statements of a policy document given as a JSON string (or already parsed); undefined when it is none. */
export function statementsOf(doc: Value): Statement[] | undefined {
  let parsed: unknown = doc;
  if (typeof doc === "string") {
    if (doc.trim() === "") return [];
    try {
      parsed = JSON.parse(doc);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== "object" || parsed instanceof Masked) return undefined;
  const s = (parsed as { Statement?: unknown }).Statement;
  if (s === undefined) return [];
  return (Array.isArray(s) ? s : [s]).filter((x): x is Statement => !!x && typeof x === "object");
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(flat) : [flat(v)]);
function flat(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A statement's readable facts, one per line: `Action sts:AssumeRole`, `Condition StringEquals gitlab.com:sub project_path:...`. */
export function facts(s: Statement): string[] {
  const out: string[] = [];
  const push = (label: string, values: string[]) => values.forEach((v) => out.push(`${label} ${v}`));
  push("Effect", asList(s.Effect));
  for (const key of ["Principal", "NotPrincipal"]) {
    const p = s[key];
    if (p === undefined) continue;
    if (typeof p === "string") push(key, [p]);
    else if (p && typeof p === "object") for (const [kind, v] of Object.entries(p)) push(`${key} ${kind}`, asList(v));
  }
  for (const key of ["Action", "NotAction", "Resource", "NotResource"]) push(key, asList(s[key]));
  const c = s.Condition;
  if (c && typeof c === "object") {
    for (const [op, keys] of Object.entries(c)) {
      if (keys && typeof keys === "object") for (const [k, v] of Object.entries(keys)) push(`Condition ${op} ${k}`, asList(v));
    }
  }
  return out;
}

function keyOf(s: Statement, index: number, used: Set<string>): string {
  let key = typeof s.Sid === "string" && s.Sid !== "" ? `Sid ${s.Sid}` : `${asList(s.Effect).join()} ${asList(s.Action ?? s.NotAction).join(",")} ${JSON.stringify(s.Principal ?? "")}`;
  if (used.has(key)) key = `${key} #${index + 1}`;
  used.add(key);
  return key;
}

function titleOf(s: Statement): string {
  const sid = typeof s.Sid === "string" && s.Sid !== "" ? `"${s.Sid}" ` : "";
  const actions = asList(s.Action ?? s.NotAction);
  const shown = actions.length > 3 ? `${actions.slice(0, 3).join(", ")} and ${actions.length - 3} more` : actions.join(", ");
  return `statement ${sid}(${asList(s.Effect).join()}${shown ? ` ${shown}` : ""})`;
}

/**
 * The difference of two policy documents as the lines of a ```diff block (`+`/`-`/` ` prefixes), or
 * undefined when they are equal. A side that is masked or not a document is named, not shown.
 */
export function policyDiff(before: Value, after: Value): string[] | undefined {
  if (before instanceof Masked || after instanceof Masked) {
    const b = before instanceof Masked ? before.label : before === null ? "(none)" : "(a document)";
    const a = after instanceof Masked ? after.label : after === null ? "(none)" : "(a document)";
    if (b === a) return undefined;
    return [...(before === null ? [] : [`- policy ${b}`]), ...(after === null ? [] : [`+ policy ${a}`])];
  }
  const bs = before === null ? [] : statementsOf(before);
  const as = after === null ? [] : statementsOf(after);
  if (!bs || !as) {
    if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
    return [`- policy ${before === null ? "(none)" : "(not a policy document)"}`, `+ policy ${after === null ? "(none)" : "(not a policy document)"}`];
  }
  const usedB = new Set<string>();
  const usedA = new Set<string>();
  const bm = new Map(bs.map((s, i) => [keyOf(s, i, usedB), s]));
  const am = new Map(as.map((s, i) => [keyOf(s, i, usedA), s]));
  const lines: string[] = [];
  for (const [k, s] of am) {
    const old = bm.get(k);
    if (!old) {
      lines.push(`+ ${titleOf(s)}`, ...facts(s).map((f) => `+     ${f}`));
      continue;
    }
    const of = facts(old);
    const nf = facts(s);
    if (of.join("\n") === nf.join("\n")) continue;
    lines.push(`  ${titleOf(s)}`);
    const oldSet = new Set(of);
    const newSet = new Set(nf);
    for (const f of of) if (!newSet.has(f)) lines.push(`-     ${f}`);
    for (const f of nf) if (!oldSet.has(f)) lines.push(`+     ${f}`);
  }
  for (const [k, s] of bm) if (!am.has(k)) lines.push(`- ${titleOf(s)}`, ...facts(s).map((f) => `-     ${f}`));
  return lines.length ? lines : undefined;
}
