import { PlatformConfig } from "../../src/config/schema";
import { FleetConfig } from "../../src/config/fleet-schema";
import { controlPlaneServices, webServices } from "../../src/fleet/model";
import {
  PLATFORM,
  TENANT_ID_PATTERN,
  controlPlaneNames,
  controlPlaneTargetGroupName,
  fleetLoadBalancerName,
  fleetNames,
  fleetTargetGroupName,
  fleetTenantNames,
  fleetTenantServiceNames,
  stackNames,
} from "@acme/apps-platform-constructs/naming";
import { Synthesized } from "../helpers";
import { nameUniverse } from "./universe";

/**
 * The names a fleet role could be pointed at, each with its owner as an attacker sees it: a tenant
 * (`tenant:<id>`, whether it runs in the stage or not, and look-alike ids that no tenant has yet), a
 * control-plane service (`control-plane:<service>`), the fleet's shared resources (`fleet`), and
 * everything the platform's own universe holds (its services, the platform, the ephemeral stacks,
 * resources made outside the platform).
 */
export interface FleetThing {
  readonly name: string;
  readonly owner: string;
  /** The stage the name is for; a name of another stage is never the role's own. */
  readonly stage?: string;
  /** How the name came to be known. */
  readonly source: string;
  /** The resource types (`service:type`, or `service:*`) the name is meaningful for. */
  readonly types?: readonly string[];
  /** Made by the platform for the owner (its roles, security groups): the owner may not change them either. */
  readonly madeFor?: string;
}

export interface FleetUniverse {
  readonly config: PlatformConfig;
  readonly fleet: FleetConfig;
  readonly region: string;
  readonly things: FleetThing[];
  /** Every tenant id the search knows: the config's and the look-alikes of each. */
  readonly tenantIds: readonly string[];
  /** The look-alike ids, a subset of tenantIds that no tenant of the config has. */
  readonly lookAlikeIds: ReadonlySet<string>;
  /** PostgreSQL users: every tenant id's, the master user and PostgreSQL's own. */
  readonly databaseUsers: readonly { user: string; owner: string }[];
  /** KMS aliases, with the stage they are in where known. */
  readonly aliases: readonly FleetThing[];
  /** The account of each stage. */
  readonly accounts: ReadonlyMap<string, string>;
}

export const tenantOwner = (id: string) => `tenant:${id}`;
export const controlPlaneOwner = (service: string) => `control-plane:${service}`;
export const FLEET_OWNER = "fleet";

/** Ids that look like a tenant's: a longer id it is a prefix of, one glued to it, and its own first segments. */
export function lookAlikeIds(ids: readonly string[]): string[] {
  const out = new Set<string>();
  for (const id of ids) {
    const parts = id.split("-");
    for (const candidate of [`${id}-x`, `${id}x`, `x${id}`, ...parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("-"))]) {
      if (TENANT_ID_PATTERN.test(candidate) && !ids.includes(candidate)) out.add(candidate);
    }
  }
  return [...out].sort();
}

/** A prefix names nothing by itself; a name below it does. */
const below = (name: string) => (name.endsWith("/") || name.endsWith("-") ? `${name}x` : name);

const TENANT_TYPES: Record<string, string[]> = {
  taskRole: ["iam:role"],
  executionRole: ["iam:role"],
  securityGroup: ["ec2:security-group"],
  siloDatabaseSecurityGroup: ["ec2:security-group"],
};

export function fleetUniverse(config: PlatformConfig, synthesized: Synthesized): FleetUniverse {
  const fleet = config.fleet;
  if (!fleet) throw new Error("the config has no fleet");
  const stages = Object.keys(config.stages);
  const configIds = fleet.tenants.map((t) => t.id);
  const lookAlikes = lookAlikeIds(configIds);
  const tenantIds = [...configIds, ...lookAlikes];
  const cp = controlPlaneServices(fleet);
  const things: FleetThing[] = [];
  const add = (t: FleetThing) => things.push(t);

  // Every tenant's names in every stage, whether it runs there or not (squatting), and the look-alikes'.
  for (const id of tenantIds) {
    for (const stage of stages) {
      const n = fleetTenantNames(config.organisation, fleet.product, id, stage);
      for (const [field, value] of Object.entries(n)) {
        if (typeof value === "string" || field === "evidencePrefix" || field === "databaseUser" || field === "host") continue;
        add({ name: below(value.name), owner: tenantOwner(id), stage, source: `naming.ts fleetTenantNames.${field}(${id}, ${stage})`, ...(TENANT_TYPES[field] ? { types: TENANT_TYPES[field], madeFor: tenantOwner(id) } : {}) });
      }
      for (const secret of fleet.secrets) add({ name: `${n.secretPrefix.name}${secret.name}`, owner: tenantOwner(id), stage, source: `the secret ${secret.name} of ${id} in ${stage}` });
      for (const service of Object.keys(fleet.services)) {
        for (const [field, value] of Object.entries(fleetTenantServiceNames(fleet.product, id, stage, service))) {
          add({ name: below(value.name), owner: tenantOwner(id), stage, source: `naming.ts fleetTenantServiceNames.${field}(${id}, ${stage}, ${service})` });
        }
      }
      for (const w of webServices(fleet.services)) add({ name: fleetTargetGroupName(fleet.product, id, stage, w.name), owner: tenantOwner(id), stage, source: "naming.ts fleetTargetGroupName" });
    }
  }
  // The fleet's shared names and the control plane's, in every stage.
  for (const stage of stages) {
    for (const [field, value] of Object.entries(fleetNames(config.organisation, fleet.product, stage))) {
      add({ name: below(value.name), owner: FLEET_OWNER, stage, source: `naming.ts fleetNames.${field}(${stage})`, ...(field === "controlPlaneExecutionRole" ? { types: ["iam:role"], madeFor: FLEET_OWNER } : {}) });
    }
    for (const i of [0, 1]) add({ name: fleetLoadBalancerName(fleet.product, stage, i), owner: FLEET_OWNER, stage, source: "naming.ts fleetLoadBalancerName" });
    for (const service of Object.keys(cp)) {
      for (const [field, value] of Object.entries(controlPlaneNames(fleet.product, stage, service))) {
        add({ name: value.name, owner: controlPlaneOwner(service), stage, source: `naming.ts controlPlaneNames.${field}(${stage}, ${service})`, ...(field === "taskRole" ? { types: ["iam:role"], madeFor: controlPlaneOwner(service) } : {}) });
      }
      add({ name: controlPlaneTargetGroupName(fleet.product, stage, service), owner: controlPlaneOwner(service), stage, source: "naming.ts controlPlaneTargetGroupName" });
    }
    // Repositories are named in the config; each is the fleet's, whoever pulls from it.
    for (const [name, svc] of [...Object.entries(fleet.services), ...Object.entries(cp)]) {
      add({ name: svc.repository ?? `${fleet.product}/${name}`, owner: FLEET_OWNER, stage, source: `fleet repository of ${name}`, types: ["ecr:repository"] });
    }
    // Look-alikes of the fleet's own names, as someone outside the platform could make them.
    const f = fleetNames(config.organisation, fleet.product, stage);
    for (const name of [`${f.registryTable.name}-x`, `${f.evidenceBucket.name}-x`, `${f.routingBucket.name}-x`, `${fleet.product}/x`, `${fleet.product}-x-${stage}`, `/${fleet.product}/${stage}/x`, `/${fleet.product}/${stage}/control-plane`]) {
      add({ name, owner: "untagged", stage, source: "a look-alike of the fleet's names, made outside the platform" });
    }
  }

  // The platform's universe: its services, the platform, the ephemeral stacks, resources made outside
  // it, and every literal name of every synthesized stack, the fleet's attributed to their owners.
  const tenantStack = new Map<string, { id: string; stage: string }>();
  for (const t of fleet.tenants) for (const stage of stages) tenantStack.set(stackNames.tenant(t.id, stage), { id: t.id, stage });
  const fleetStack = new Map(stages.map((stage) => [stackNames.fleet(stage), stage]));
  for (const t of nameUniverse(config, synthesized)) {
    const stack = t.source.split(" ")[0];
    const tenant = tenantStack.get(stack);
    const fleetStage = fleetStack.get(stack);
    if (tenant) add({ name: t.name, owner: tenantOwner(tenant.id), stage: tenant.stage, source: t.source, ...(t.types ? { types: t.types } : {}) });
    else if (fleetStage) {
      const service = Object.keys(cp).find((svc) => Object.values(controlPlaneNames(fleet.product, fleetStage, svc)).some((n) => n.name === t.name));
      add({ name: t.name, owner: service ? controlPlaneOwner(service) : FLEET_OWNER, stage: fleetStage, source: t.source, ...(t.types ? { types: t.types } : {}) });
    } else add({ name: t.name, owner: t.madeFor ?? t.owner, source: t.source, ...(t.stage ? { stage: t.stage } : {}), ...(t.types ? { types: t.types } : {}), ...(t.madeFor ? { madeFor: t.madeFor } : {}) });
  }

  const databaseUsers = [
    ...tenantIds.map((id) => ({ user: fleetTenantNames(config.organisation, fleet.product, id, stages[0]).databaseUser.name, owner: tenantOwner(id) })),
    // The master user the platform's clusters are made with, and PostgreSQL's and RDS's own.
    ...["app", "postgres", "rdsadmin", "rds_superuser", "tenant", "tenant_", "public"].map((user) => ({ user, owner: "the database" })),
  ];

  const aliases: FleetThing[] = [];
  const seenAlias = new Set<string>();
  const addAlias = (t: FleetThing) => {
    if (seenAlias.has(`${t.name}|${t.stage ?? ""}`)) return;
    seenAlias.add(`${t.name}|${t.stage ?? ""}`);
    aliases.push(t);
  };
  for (const t of things) if (t.name.startsWith("alias/")) addAlias(t);
  for (const stage of stages) {
    const alias = fleetNames(config.organisation, fleet.product, stage).keyAlias.name;
    for (const name of [`${alias}-x`, `${alias}/x`, `${alias}x`, `alias/${PLATFORM}/${stage}/fleet`]) addAlias({ name, owner: "untagged", stage, source: "a look-alike of the fleet key's alias" });
  }
  for (const name of ["alias/aws/s3", "alias/aws/secretsmanager", "alias/aws/dynamodb", "alias/aws/rds", "alias/aws/ebs"]) addAlias({ name, owner: "AWS", source: "an AWS managed key" });

  // One entry per distinct (name, owner, stage, types).
  const seen = new Set<string>();
  const unique = things.filter((t) => {
    const key = `${t.name}|${t.owner}|${t.stage ?? ""}|${(t.types ?? []).join(",")}|${t.madeFor ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    config,
    fleet,
    region: config.region,
    things: unique,
    tenantIds,
    lookAlikeIds: new Set(lookAlikes),
    databaseUsers,
    aliases,
    accounts: new Map(stages.map((s) => [s, config.stages[s].accountId])),
  };
}
