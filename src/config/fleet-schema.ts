import { z } from "zod";
import { FLEET_NAME_PATTERN, PRODUCT_PATTERN, TENANT_ID_PATTERN, ZONE_NAME_PATTERN, mustMatch } from "@acme/apps-platform-constructs/naming";

/**
 * The `fleet:` section: one product whose tenants each get an isolated ECS Fargate service set
 * (seed 001), behind shared ingress and a shared control plane, in the platform's stage accounts.
 */

const pattern = (re: RegExp, description: string) => z.string().regex(re, { error: mustMatch(re) }).describe(description);

export const FLEET_ROUTING = ["hostHeader", "router"] as const;
export const FLEET_TIERS = ["pool", "silo"] as const;

/** The seed's five tenant services, the default service set. */
export const SEED_TENANT_SERVICES = ["integrations-service", "discovery-service", "discovery-worker", "audit-service", "iam-service"] as const;
/** The seed's control plane. */
export const SEED_CONTROL_PLANE = ["tenant-registry", "licensing", "routing-snapshot-publisher"] as const;

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_PREFIX = /^\/[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;
const ENV_NAME = /^(?!AWS_|ECS_)[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

const healthCheckPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,1000}$/, { error: "must be an absolute URL path" })
  .default("/health")
  .describe("The path the load balancer checks (web services only).");

/** What one ECS service of the fleet runs: shared by tenant and control-plane services. */
const fleetService = z
  .strictObject({
    repository: z
      .string()
      .regex(REPOSITORY, { error: "must be an ECR repository name: lowercase path segments of letters, digits, '.', '_' and '-'" })
      .max(256)
      .optional()
      .describe("The ECR repository of its image, in the stage account (default: <product>/<service>)."),
    port: z.number().int().min(1).max(65535).optional().describe("The port the container listens on; none for a worker (no load balancer)."),
    path: z
      .string()
      .regex(PATH_PREFIX, { error: "must be a URL path prefix such as /integrations (no trailing slash, no wildcards)" })
      .optional()
      .describe("Requests under this path go to the service; the one web service without a path takes the rest."),
    cpu: z.number().int().default(256).describe("Fargate CPU units (1024 = 1 vCPU)."),
    memory: z.number().int().default(512).describe("Memory in MiB, one of the sizes Fargate allows for the CPU."),
    healthCheckPath,
    desiredCount: z.number().int().min(0).max(100).default(1).describe("Tasks to run (the autoscaling minimum)."),
    maxCount: z.number().int().min(1).max(100).optional().describe("Autoscaling maximum (default: twice desiredCount, at least 1)."),
    environment: z
      .record(z.string().regex(ENV_NAME, { error: "must be an environment variable name not starting with AWS_ or ECS_" }), z.string())
      .default({})
      .describe("Plain environment variables (never secrets: those go in fleet.secrets)."),
  })
  .describe("One ECS service.");

const fleetSecret = z
  .strictObject({
    name: pattern(FLEET_NAME_PATTERN, "The secret's name under /<product>/<stage>/<tenant>/."),
    environmentVariable: z.string().regex(ENV_NAME, { error: "must be an environment variable name not starting with AWS_ or ECS_" }),
    services: z.array(z.string()).min(1).describe("The tenant services that receive it, injected by ECS from Secrets Manager."),
    description: z.string().max(2048).optional(),
  })
  .describe("A per-tenant secret: created empty in each tenant's path, its value put out of band, injected into the services' containers.");

const fleetStage = z
  .strictObject({
    domain: pattern(ZONE_NAME_PATTERN, "The fleet's domain in this stage: the stage's zone or a name below it. Tenants are <tenant>.<domain>."),
    paused: z.boolean().default(false).describe("Scale every tenant's services in this stage to zero; data is kept."),
  })
  .describe("The fleet in one stage of the platform.");

const wave = z
  .strictObject({
    name: pattern(FLEET_NAME_PATTERN, "The wave's name, which tenants name in `wave`."),
    image: z.string().regex(IMAGE_TAG, { error: "must be an image tag" }).describe("The image tag every tenant of this wave runs."),
  })
  .describe("A rollout wave: its tenants run its image. Waves are promoted in the order listed.");

const tenant = z
  .strictObject({
    id: pattern(TENANT_ID_PATTERN, "The tenant's id: its host name <id>.<domain>, its tag and its names."),
    tier: z.enum(FLEET_TIERS).default("pool").describe("pool: a prefix of the shared bucket and a user of the shared database; silo: its own bucket and database."),
    wave: z.string().describe("The wave (from fleet.waves) whose image the tenant runs."),
    stages: z.array(z.string()).min(1, { error: "must list at least one stage" }).optional().describe("The fleet stages the tenant runs in (default: all)."),
    paused: z.boolean().default(false).describe("Scale the tenant's services to zero; data is kept."),
    allowDestroy: z
      .boolean()
      .default(false)
      .describe("Let Terraform destroy the tenant's data (database, bucket, secrets); without it a plan that would fails."),
  })
  .describe("A tenant of the fleet.");

const quotas = z
  .strictObject({
    rulesPerLoadBalancer: z.number().int().min(1).max(1000).default(100).describe("Listener rules per ALB (default quota 100, adjustable)."),
    loadBalancersPerRegion: z.number().int().min(1).max(1000).default(50).describe("Application Load Balancers per Region (default 50)."),
    rolesPerAccount: z.number().int().min(1).max(5000).default(1000).describe("IAM roles per account (default 1,000, at most 5,000)."),
    dbClustersPerRegion: z.number().int().min(1).max(1000).default(40).describe("Aurora DB clusters per Region (default 40)."),
    dbInstancesPerRegion: z.number().int().min(1).max(1000).default(40).describe("DB instances per Region (default 40)."),
    secretsPerRegion: z.number().int().min(1).default(500000).describe("Secrets Manager secrets per Region (default 500,000)."),
    servicesPerCluster: z.number().int().min(1).max(5000).default(5000).describe("ECS services per cluster (default 5,000)."),
    moveThreshold: z.number().min(0.1).max(1).default(0.8).describe("Share of a quota above which `fleet capacity` names tenants to move to an account of their own."),
  })
  .describe("The quotas of the stage accounts, where they were raised from AWS's defaults.");

const defaultService = (port?: number, path?: string) => ({ cpu: 256, memory: 512, healthCheckPath: "/health", desiredCount: 1, environment: {}, ...(port ? { port } : {}), ...(path ? { path } : {}) });

export const fleetSchema = z
  .strictObject({
    product: pattern(PRODUCT_PATTERN, "The product's short name: its cluster, repositories and names start with it."),
    routing: z
      .enum(FLEET_ROUTING)
      .default("hostHeader")
      .describe("hostHeader: a listener rule per tenant and service (ALB quotas bind); router: one rule to a router service that resolves the tenant."),
    stages: z.record(z.string(), fleetStage).describe("The stages the fleet runs in, each with its domain."),
    services: z
      .record(z.string(), fleetService)
      .default({
        "integrations-service": defaultService(8080, "/integrations"),
        "discovery-service": defaultService(8080, "/discovery"),
        "discovery-worker": defaultService(),
        "audit-service": defaultService(8080, "/audit"),
        "iam-service": defaultService(8080),
      })
      .describe("The service set every tenant gets (default: the seed's five)."),
    controlPlane: z
      .record(z.string(), fleetService)
      .default({
        "tenant-registry": defaultService(8080),
        licensing: defaultService(),
        "routing-snapshot-publisher": defaultService(),
      })
      .describe("The shared control-plane services (default: tenant registry, licensing, routing-snapshot publisher; a router is added with routing: router)."),
    controlPlaneImage: z
      .string()
      .regex(IMAGE_TAG, { error: "must be an image tag" })
      .optional()
      .describe("The image tag the control plane runs. Leave it out for a stage's first apply: the repositories exist, the control plane waits for its images."),
    router: fleetService.optional().describe("The router service of routing: router (default: port 8080, 512 CPU units, 2 tasks)."),
    secrets: z.array(fleetSecret).default([]),
    waves: z.array(wave).min(1, { error: "must list at least one wave" }).describe("Rollout waves, in promotion order."),
    tenants: z.array(tenant).default([]),
    quotas: quotas.default({
      rulesPerLoadBalancer: 100,
      loadBalancersPerRegion: 50,
      rolesPerAccount: 1000,
      dbClustersPerRegion: 40,
      dbInstancesPerRegion: 40,
      secretsPerRegion: 500000,
      servicesPerCluster: 5000,
      moveThreshold: 0.8,
    }),
    poolDatabase: z
      .strictObject({
        minCapacity: z.number().min(0).max(256).default(0.5),
        maxCapacity: z.number().min(1).max(256).default(4),
      })
      .default({ minCapacity: 0.5, maxCapacity: 4 })
      .describe("The pool tier's shared Aurora Serverless v2 PostgreSQL cluster."),
    siloDatabase: z
      .strictObject({
        minCapacity: z.number().min(0).max(256).default(0),
        maxCapacity: z.number().min(1).max(256).default(2),
      })
      .default({ minCapacity: 0, maxCapacity: 2 })
      .describe("Each silo tenant's own Aurora Serverless v2 PostgreSQL cluster."),
  })
  .describe("A tenant fleet: the ECS Fargate data plane of seed 001.");

export type FleetConfig = z.output<typeof fleetSchema>;
export type FleetServiceConfig = FleetConfig["services"][string];
export type FleetTenantConfig = FleetConfig["tenants"][number];
export type FleetQuotas = FleetConfig["quotas"];

/** The router's settings when routing: router and none are given. */
export const DEFAULT_ROUTER: FleetServiceConfig = { cpu: 512, memory: 1024, healthCheckPath: "/health", desiredCount: 2, environment: {}, port: 8080 };
