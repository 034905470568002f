/**
 * What to do after a synth: the order to apply the stacks in, each with the accounts it works in, the
 * role it works as and what must exist before it. Nothing here is written per stack kind by hand: it is
 * read from the synthesized Terraform JSON (the providers' accounts and assumed roles, the backend's
 * bucket, the buckets, roles and SSM parameters a stack creates and the parameters it reads) and
 * from the config (which account is which stage).
 */
import { PlatformConfig } from "./config/schema";

/** What one stack needs and makes, as its synthesized JSON says. Plain data: synth workers pass it on as JSON. */
export interface StackFacts {
  /** Each AWS provider: the one account it may work in and the role it assumes there (`<account>:role/<path><name>`). */
  readonly providers: readonly { readonly account: string; readonly role: string }[];
  /** The backend: `s3` with its bucket, `cloud` or `local`. */
  readonly backend: { readonly kind: "s3"; readonly bucket: string } | { readonly kind: "cloud" | "local" };
  /** The workspace it is planned in: a stage, `default`, `<stage>` for a template planned once per stage, or a Terraform Cloud workspace. */
  readonly workspace: string;
  readonly creates: {
    readonly buckets: readonly string[];
    /** Roles (`<account>:role/<path><name>`), each with the roles its trust policy names as principals. */
    readonly roles: readonly { readonly role: string; readonly trusts: readonly string[] }[];
    readonly parameters: readonly string[];
    /** HCP Terraform workspaces (the tfc stack's). @default none */
    readonly workspaces?: readonly string[];
  };
  /** SSM parameters it reads, as `<account> <name>`. */
  readonly reads: readonly string[];
}

type Json = Record<string, any>;

/** A literal value of the JSON, or undefined for a Terraform expression (resolved only at apply). */
function literal(value: unknown): string | undefined {
  return typeof value === "string" && !value.includes("${") ? value : undefined;
}

function roleKey(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::(\d{12}):(role\/.+)$/.exec(arn);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/** Reads the facts of one stack from its synthesized Terraform JSON. */
export function stackFactsOf(tf: Json, workspace: string): StackFacts {
  const variables: Json = tf.variable ?? {};
  const accountOf = new Map<string, string>();
  const providers: { account: string; role: string }[] = [];
  for (const p of (tf.provider?.aws ?? []) as Json[]) {
    const account = String((p.allowed_account_ids ?? [])[0] ?? "");
    accountOf.set(p.alias ? `aws.${p.alias}` : "aws", account);
    let arn: unknown = p.assume_role?.[0]?.role_arn;
    const variable = typeof arn === "string" ? /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(arn) : null;
    if (variable) arn = variables[variable[1]]?.default;
    // A role chosen by a variable (`${(var.x == "plan") ? "<read>" : "<apply>"}`): the one its default picks.
    const choice = typeof arn === "string" ? /^\$\{\(var\.([A-Za-z0-9_-]+) == "([^"]*)"\) \? "([^"]*)" : "([^"]*)"\}$/.exec(arn) : null;
    if (choice) arn = variables[choice[1]]?.default === choice[2] ? choice[3] : choice[4];
    const role = typeof arn === "string" ? roleKey(arn) : undefined;
    if (role) providers.push({ account, role });
  }
  const where = (r: Json): string => accountOf.get(typeof r.provider === "string" ? r.provider : "aws") ?? "";
  // In the order of their names, as cdk.tf.json writes them: the same facts from the synthesized
  // object as from its text read back.
  const each = (block: Json | undefined, type: string): Json[] => {
    const named = (block?.[type] ?? {}) as Record<string, Json>;
    return Object.keys(named)
      .sort()
      .map((k) => named[k]);
  };

  const buckets = each(tf.resource, "aws_s3_bucket").flatMap((b) => literal(b.bucket) ?? []);
  const roles = each(tf.resource, "aws_iam_role").flatMap((r) => {
    const name = literal(r.name);
    if (!name) return [];
    const path = literal(r.path) ?? "/";
    let trusts: string[] = [];
    try {
      const policy = JSON.parse(String(r.assume_role_policy));
      trusts = (policy.Statement ?? []).flatMap((st: Json) => [st.Principal?.AWS ?? []].flat()).flatMap((arn: unknown) => (typeof arn === "string" ? (roleKey(arn) ?? []) : []));
    } catch {
      // a policy built at apply time names no principal here
    }
    return [{ role: `${where(r)}:role${path}${name}`, trusts }];
  });
  const parameters = each(tf.resource, "aws_ssm_parameter").flatMap((p) => (literal(p.name) ? [`${where(p)} ${p.name}`] : []));
  const reads = each(tf.data, "aws_ssm_parameter").flatMap((p) => (literal(p.name) ? [`${where(p)} ${p.name}`] : []));
  const backend: StackFacts["backend"] = tf.terraform?.backend?.s3
    ? { kind: "s3", bucket: String(tf.terraform.backend.s3.bucket) }
    : tf.terraform?.cloud
      ? { kind: "cloud" }
      : { kind: "local" };
  const workspaces = each(tf.resource, "tfe_workspace").flatMap((w) => literal(w.name) ?? []);
  return { providers, backend, workspace, creates: { buckets, roles, parameters, workspaces }, reads: [...new Set(reads)] };
}

/** Why one stack must be applied before another. */
type Reason = "state bucket" | "workspace" | "role" | "contract";

interface Need {
  readonly stack: string;
  readonly reasons: Reason[];
}

/** For each stack, the stacks that must be applied before it, and why. */
export function prerequisites(stacks: readonly { name: string; facts: StackFacts }[]): Map<string, Need[]> {
  const bucketBy = new Map<string, string>();
  const roleBy = new Map<string, string>();
  const parameterBy = new Map<string, string>();
  const workspaceBy = new Map<string, string>();
  for (const { name, facts } of stacks) {
    for (const b of facts.creates.buckets) bucketBy.set(b, name);
    for (const r of facts.creates.roles) roleBy.set(r.role, name);
    for (const p of facts.creates.parameters) parameterBy.set(p, name);
    for (const w of facts.creates.workspaces ?? []) workspaceBy.set(w, name);
  }
  const result = new Map<string, Need[]>();
  for (const { name, facts } of stacks) {
    const needs = new Map<string, Set<Reason>>();
    const add = (by: string | undefined, reason: Reason) => {
      if (!by || by === name) return;
      if (!needs.has(by)) needs.set(by, new Set());
      needs.get(by)!.add(reason);
    };
    if (facts.backend.kind === "s3") add(bucketBy.get(facts.backend.bucket), "state bucket");
    if (facts.backend.kind === "cloud") add(workspaceBy.get(facts.workspace), "workspace");
    for (const p of facts.providers) add(roleBy.get(p.role), "role");
    for (const p of facts.reads) add(parameterBy.get(p), "contract");
    result.set(name, [...needs].map(([stack, reasons]) => ({ stack, reasons: [...reasons] })));
  }
  return result;
}

/** The roles the providers assume that no stack creates: they must exist before anything is applied. */
export function externalRoles(stacks: readonly { name: string; facts: StackFacts }[]): Map<string, string[]> {
  const created = new Set(stacks.flatMap((s) => s.facts.creates.roles.map((r) => r.role)));
  const byName = new Map<string, Set<string>>();
  for (const { facts } of stacks) {
    for (const p of facts.providers) {
      if (created.has(p.role)) continue;
      const name = p.role.slice(p.role.indexOf(":role/") + ":role/".length);
      if (!byName.has(name)) byName.set(name, new Set());
      byName.get(name)!.add(p.account);
    }
  }
  return new Map([...byName].map(([name, accounts]) => [name, [...accounts]]));
}

/**
 * The stacks in an order in which each comes after everything it needs, keeping the synth order where
 * it can: stacks of one kind (`onboarding-…`, `service-…`) form one step when no stack of the kind
 * needs another of it or a stack of a later step.
 */
interface Step {
  readonly kind: string;
  readonly members: string[];
}

/** The kind of a stack: its name up to the first hyphen (`service-payments-api-dev` is a `service`). */
function kindOf(name: string): string {
  return name.split("-")[0];
}

function orderSteps(names: readonly string[], needs: Map<string, Need[]>): Step[] {
  // Steps by kind, in order of first appearance; then sorted so that every need comes first.
  const kinds: string[] = [];
  const members = new Map<string, string[]>();
  for (const n of names) {
    const k = kindOf(n);
    if (!members.has(k)) {
      kinds.push(k);
      members.set(k, []);
    }
    members.get(k)!.push(n);
  }
  const kindNeeds = new Map(kinds.map((k) => [k, new Set(members.get(k)!.flatMap((n) => (needs.get(n) ?? []).map((d) => kindOf(d.stack))))]));
  const ordered: string[] = [];
  const pending = [...kinds];
  while (pending.length > 0) {
    const i = pending.findIndex((k) => [...kindNeeds.get(k)!].every((d) => d === k || ordered.includes(d)));
    // A kind that needs itself or a cycle of kinds: fall back to one step per stack, in need order.
    if (i < 0 || [...kindNeeds.get(pending[i])!].includes(pending[i])) return orderStacks(names, needs);
    ordered.push(pending.splice(i, 1)[0]);
  }
  return ordered.map((k) => ({ kind: k, members: members.get(k)! }));
}

function orderStacks(names: readonly string[], needs: Map<string, Need[]>): Step[] {
  const done: string[] = [];
  const pending = [...names];
  while (pending.length > 0) {
    const i = pending.findIndex((n) => (needs.get(n) ?? []).every((d) => done.includes(d.stack)));
    if (i < 0) throw new Error(`the stacks ${pending.join(", ")} need each other; no order applies them`);
    done.push(pending.splice(i, 1)[0]);
  }
  return done.map((n) => ({ kind: n, members: [n] }));
}

function joinList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** `apps-platform/deploy/x-dev-deploy` of `111111111111:role/apps-platform/deploy/x-dev-deploy`. */
function roleName(key: string): string {
  return key.slice(key.indexOf(":role/") + ":role/".length);
}

export interface DeployOrderInput {
  readonly config: PlatformConfig;
  /** The stacks in synth order, with their facts. */
  readonly stacks: readonly { name: string; facts: StackFacts }[];
  /** The folder the HCL was written to, as the user should type it. */
  readonly generatedDir: string;
  /** Stack names with placeholders by kind (`service-<slug>-<stage>`), ending in `-<stage>` when the stack is per stage. */
  readonly patterns: Record<string, string>;
}

/** The "What to do next" text synth prints after its table. */
export function formatDeployOrder(input: DeployOrderInput): string {
  const { config, stacks, generatedDir, patterns } = input;
  const facts = new Map(stacks.map((s) => [s.name, s.facts]));
  const needs = prerequisites(stacks);
  const trustOf = new Map(stacks.flatMap((s) => s.facts.creates.roles.map((r) => [r.role, r.trusts] as const)));
  const accountNames = new Map<string, string[]>();
  const label = (account: string, what: string) => accountNames.set(account, [...(accountNames.get(account) ?? []), what]);
  label(config.deploymentAccount.accountId, "deployment");
  for (const [stage, s] of Object.entries(config.stages)) label(s.accountId, stage);
  const account = (a: string) => `${a} (${(accountNames.get(a) ?? ["not in the config"]).join(", ")})`;
  const stages = Object.keys(config.stages).sort((a, b) => b.length - a.length);
  const steps = orderSteps(
    stacks.map((s) => s.name),
    needs,
  );
  const stepOf = new Map(steps.flatMap((st) => st.members.map((m) => [m, st])));

  /**
   * A name with the member's own parts replaced by the placeholders of its kind's pattern, in a step of
   * several stacks: `apps-platform/deploy/payments-api-dev-deploy` of `service-payments-api-dev` is
   * `apps-platform/deploy/<slug>-<stage>-deploy`.
   */
  const general = (step: Step, member: string, text: string): string => {
    const pattern = patterns[step.kind];
    if (step.members.length === 1 || !pattern) return text;
    const prefix = pattern.slice(0, pattern.indexOf("<"));
    let own = member.slice(prefix.length);
    let ownPattern = pattern.slice(prefix.length);
    const replacements: [string, string][] = [];
    if (ownPattern.endsWith("-<stage>") && ownPattern !== "<stage>") {
      const stage = stages.find((st) => own.endsWith(`-${st}`));
      if (stage) {
        replacements.push([own, ownPattern]);
        own = own.slice(0, -stage.length - 1);
        ownPattern = ownPattern.slice(0, -"-<stage>".length);
      }
    }
    replacements.push([own, ownPattern]);
    return replacements.reduce((t, [from, to]) => (from ? t.split(from).join(to) : t), text);
  };

  const backend = config.backend;
  const lines: string[] = [];
  lines.push(
    backend.kind === "cloud"
      ? `What to do next: apply the stacks in this order, each in its Terraform Cloud workspace (named as the stack, in project ${backend.project} of ${backend.organization}; cd ${generatedDir}/<stack> && terraform init && terraform apply):`
      : `What to do next: apply the stacks in this order (cd ${generatedDir}/<stack> && terraform init && terraform apply, or cdktf deploy <stack>):`,
  );
  const outside = externalRoles(stacks);
  if (outside.size > 0) {
    const roles = [...outside].map(([role, accounts]) => `${role} in ${joinList(accounts.map(account))}`);
    lines.push("  0. first, outside the platform (no stack creates it)");
    const by = backend.kind === "cloud" ? "the credentials you apply the tfc stack with (the workspaces then run as their own roles)" : "the credentials you apply with";
    lines.push(`     the role${outside.size > 1 ? "s" : ""} ${joinList(roles)}, assumable by ${by}`);
  }
  steps.forEach((step, i) => {
    const members = step.members.map((m) => ({ m, f: facts.get(m)! }));
    // Accounts by the role worked as there: "in A and B as R" or "in A as R1, in B as R2".
    const accountsByRole = new Map<string, Set<string>>();
    for (const { m, f } of members) {
      for (const p of f.providers) {
        const trusted = [...new Set((trustOf.get(p.role) ?? []).map((t) => general(step, m, roleName(t))))];
        const role = general(step, m, roleName(p.role)) + (trusted.length > 0 ? ` (assumed from ${joinList(trusted)})` : "");
        if (!accountsByRole.has(role)) accountsByRole.set(role, new Set());
        accountsByRole.get(role)!.add(p.account);
      }
    }
    const where = [...accountsByRole].map(([role, accounts]) => `in ${joinList([...accounts].map(account))} as ${role}`).join(", ");
    const needed = new Map<string, Set<Reason>>();
    for (const { m } of members) {
      for (const n of needs.get(m) ?? []) {
        const target = stepOf.get(n.stack)!;
        const name = target.members.length === 1 ? n.stack : (patterns[target.kind] ?? target.kind);
        if (!needed.has(name)) needed.set(name, new Set());
        for (const r of n.reasons) needed.get(name)!.add(r);
      }
    }
    const workspaces = [...new Set(members.map(({ f }) => f.workspace))];
    let how = "";
    if (backend.kind === "s3") {
      if (workspaces.includes("<stage>")) how = "  (one workspace per stage: npm run ephemeral -- up --stage <stage>)";
      else if (workspaces.some((w) => w !== "default")) how = `  (TF_WORKSPACE=${step.members.length === 1 ? workspaces[0] : "<stage>"})`;
    }
    const names = step.members.length <= 3 ? step.members.join(", ") : `${patterns[step.kind] ?? `${step.kind}-…`} (${step.members.length} stacks)`;
    lines.push(`  ${i + 1}. ${names}${how}`);
    if (where) lines.push(`     ${where}`);
    // A stack run in HCP Terraform assumes nothing: each phase gets its own role (docs/terraform-cloud.md).
    else if (backend.kind === "cloud" && members.every(({ f }) => f.providers.length === 0 && f.backend.kind === "cloud"))
      lines.push("     in HCP Terraform, as its workspace's plan and apply roles (dynamic credentials made by tfc)");
    if (members.some(({ f }) => f.backend.kind === "local")) lines.push("     local state first; once its bucket exists, move the state into it (README: Bootstrapping the state bucket)");
    if (needed.size > 0) lines.push(`     after ${joinList([...needed].map(([name, reasons]) => `${name} (${[...reasons].join(", ")})`))}`);
  });
  return lines.join("\n");
}
