import { expand } from "./policy-lint";
import { Policy } from "./synthesized-policies";

/** One weakened copy of a role's policies, and what was weakened. */
export interface Mutant {
  /** `<policy name> <Sid>: <what was removed>`. */
  readonly label: string;
  readonly policies: Policy[];
  /** The actions of the weakened statement: the only ones whose decisions can change. */
  readonly actions: ReadonlySet<string>;
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * A Resource that already names every resource of its types (`arn:…:key/*`, `arn:…:::hostedzone/*`,
 * `*`) cannot be widened. One that only ends like it does (a log group's streams, `…:log-group:/x/*:log-stream:*`;
 * a bucket's objects, `arn:…:s3:::bucket/*`) names some resources only, and is widened like any other.
 */
export function isTypeWide(resource: string): boolean {
  if (resource === "*") return true;
  const arn = /^arn:[^:]+:([^:]+):[^:]*:[^:]*:(.*)$/.exec(resource);
  if (!arn) return false;
  const [, service, rest] = arn;
  if (service === "s3") return rest === "*" || rest === "*/*";
  return /^[a-z0-9-]+[/:]\*$/i.test(rest);
}

/**
 * Every way of weakening one statement of a role's policies by one step: dropping a Deny, dropping one
 * condition key of an Allow, and widening an Allow's Resource to `*` where it names
 * specific resources. A proof that notices none of a statement's mutants does not test that
 * statement: it is either dead or untested.
 */
export async function mutants(named: { name: string; policy: Policy }[]): Promise<Mutant[]> {
  const out: Mutant[] = [];
  for (let i = 0; i < named.length; i++) {
    const { name, policy } = named[i];
    for (let j = 0; j < policy.Statement.length; j++) {
      const statement = policy.Statement[j];
      const actions = new Set((await Promise.all(asList(statement.Action).map(expand))).flat().map((a) => a.toLowerCase()));
      const where = `${name} ${statement.Sid}`;
      const withStatement = (replace: Record<string, any> | undefined) => {
        const copy = named.map((n) => clone(n.policy));
        if (replace) copy[i].Statement[j] = replace;
        else copy[i].Statement.splice(j, 1);
        return copy;
      };
      if (statement.Effect === "Deny") out.push({ label: `${where}: the Deny removed`, policies: withStatement(undefined), actions });
      // Dropping a condition of a Deny widens the Deny: that would only ever deny more.
      for (const [operator, block] of Object.entries((statement.Effect === "Allow" ? statement.Condition ?? {} : {}) as Record<string, Record<string, unknown>>)) {
        for (const key of Object.keys(block)) {
          const weakened = clone(statement);
          delete weakened.Condition[operator][key];
          if (Object.keys(weakened.Condition[operator]).length === 0) delete weakened.Condition[operator];
          if (Object.keys(weakened.Condition).length === 0) delete weakened.Condition;
          out.push({ label: `${where}: condition ${operator} ${key} removed`, policies: withStatement(weakened), actions });
        }
      }
      if (statement.Effect === "Allow" && asList(statement.Resource).some((r) => !isTypeWide(r))) {
        out.push({ label: `${where}: Resource widened to *`, policies: withStatement({ ...clone(statement), Resource: "*" }), actions });
      }
    }
  }
  return out;
}

/**
 * Each mutant of each holder's policies, tried on the holder's cases of the mutant's actions until
 * one is decided Allowed (the mutant is noticed): how many mutants there were, and the labels of
 * those no case noticed.
 */
export async function unnoticedMutants<H extends { readonly name: string; readonly accountId: string; readonly policies: { name: string; policy: Policy }[] }, C extends { readonly action: string }>(
  holders: readonly H[],
  cases: (holder: H) => readonly C[] | Promise<readonly C[]>,
  allowed: (holder: H, policies: Policy[], c: C) => Promise<boolean>,
): Promise<{ made: number; unnoticed: string[] }> {
  let made = 0;
  const unnoticed: string[] = [];
  for (const holder of holders) {
    const all = await cases(holder);
    for (const m of await mutants(holder.policies)) {
      made++;
      let noticed = false;
      for (const c of all.filter((q) => m.actions.has(q.action.toLowerCase()))) {
        if (await allowed(holder, m.policies, c)) {
          noticed = true;
          break;
        }
      }
      if (!noticed) unnoticed.push(`${holder.name} (${holder.accountId}): ${m.label}`);
    }
  }
  return { made, unnoticed };
}
