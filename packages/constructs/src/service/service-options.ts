/**
 * A service's workload options, their defaults and their checks, in one place: the config schema's
 * `.default(...)`s, the service builder and the database construct read the defaults from here, and
 * the config loader (with the YAML location) and the builder (for services built in code) report the
 * same cross-field problems.
 */
import { Problems, integerBetween, numberBetween } from "../errors";
import { Compute } from "./compute";
import type { ServiceEnvironment } from "./apps-platform-app";

/** The compute targets a service can run on. */
export type ComputeTarget = "appRunner" | "ecsExpress";

/** Every compute target, in the order messages list them. */
export const COMPUTE_TARGETS: readonly ComputeTarget[] = ["appRunner", "ecsExpress"];

/** What runs in the service's web container. */
export interface WebServiceOptions {
  /** The port the container listens on, 1 to 65535. @default 8080 (WEB_SERVICE_DEFAULTS.port) */
  readonly port?: number;
  /** CPU units (1024 = 1 vCPU), a size the compute target offers. @default 1024 (WEB_SERVICE_DEFAULTS.cpu) */
  readonly cpu?: number;
  /** Memory in MiB, a size the compute target offers with `cpu`. @default 2048 (WEB_SERVICE_DEFAULTS.memory) */
  readonly memory?: number;
  /** The HTTP path the compute target checks, an absolute URL path. @default "/health" (WEB_SERVICE_DEFAULTS.healthCheckPath) */
  readonly healthCheckPath?: string;
  /** Instances (tasks) at least, 1 to 25. @default 1 (WEB_SERVICE_DEFAULTS.minInstances) */
  readonly minInstances?: number;
  /** Instances (tasks) at most, 1 to 25 and at least minInstances. @default 2 (WEB_SERVICE_DEFAULTS.maxInstances) */
  readonly maxInstances?: number;
  /** Plain environment variables; names must not start with `AWS_`. Secrets go in `secrets`. @default {} (none) */
  readonly environment?: Record<string, string>;
  /** Environment variables read from secrets, by the secret's or SSM parameter's ARN only. @default {} (none) */
  readonly secrets?: Record<string, string>;
}

/** The service's Aurora Serverless v2 PostgreSQL cluster. */
export interface DatabaseOptions {
  /** Aurora capacity units when idle, 0 to 256; 0 lets the cluster pause. @default 0 (DATABASE_DEFAULTS.minCapacity) */
  readonly minCapacity?: number;
  /** Aurora capacity units at most, 1 to 256 and at least minCapacity. @default 1 (DATABASE_DEFAULTS.maxCapacity) */
  readonly maxCapacity?: number;
}

/** The service under `<slug>.<zone>`. */
export interface CustomDomainOptions {
  /** Also serve `www.<slug>.<zone>`. @default false (CUSTOM_DOMAIN_DEFAULTS.www) */
  readonly www?: boolean;
}

/** A service's defaults, where its options leave something out. */
export const SERVICE_DEFAULTS = {
  /** ECS Express Mode: App Runner takes no new customers. */
  compute: "ecsExpress" as ComputeTarget,
  /** The first phase of the two-phase rollout: the repository only, until an image is pushed. */
  deployService: false,
  /** A long-lived stage: deletion protection and final snapshots. */
  ephemeral: false,
} as const;

/** A web service's defaults. */
export const WEB_SERVICE_DEFAULTS = {
  port: 8080,
  cpu: 1024,
  memory: 2048,
  healthCheckPath: "/health",
  minInstances: 1,
  maxInstances: 2,
} as const satisfies Required<Omit<WebServiceOptions, "environment" | "secrets">>;

/** A service database's defaults: the smallest cluster, which pauses when idle. */
export const DATABASE_DEFAULTS = {
  minCapacity: 0,
  maxCapacity: 1,
} as const satisfies Required<DatabaseOptions>;

/** A custom domain's defaults. */
export const CUSTOM_DOMAIN_DEFAULTS = {
  www: false,
} as const satisfies Required<CustomDomainOptions>;

/** The ranges the options must keep to. */
export const SERVICE_LIMITS = {
  /** Container ports. */
  port: { min: 1, max: 65535 },
  /** Instances or tasks (App Runner's default quota of instances per service is 25). */
  instances: { min: 1, max: 25 },
  /** Aurora Serverless v2 capacity units. */
  capacity: { min: 0, max: 256 },
  /** The least maxCapacity: a cluster must be able to run. */
  minimumMaxCapacity: 1,
} as const;

/** An absolute URL path of at most 51 characters, of the characters a URL path may hold unescaped. */
export const HEALTH_CHECK_PATH_PATTERN = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,50}$/;
/** An environment variable name that does not start with `AWS_` (the runtimes reserve those). */
export const ENVIRONMENT_VARIABLE_PATTERN = /^(?!AWS_)[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** The ARN of a Secrets Manager secret or an SSM parameter: secrets are passed by reference only. */
export const SECRET_REFERENCE_PATTERN = /^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+|ssm:[a-z0-9-]+:[0-9]{12}:parameter\/.+)$/;
/** The variable the container reads the database's master secret from (its ARN). */
export const DATABASE_SECRET_VARIABLE = "DATABASE_SECRET";

/** An image tag, as Docker allows it. */
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A service's options as the config holds them, before anyone has checked their types. */
export interface ServiceOptionsInput {
  /** `appRunner` or `ecsExpress`. @default "ecsExpress" (SERVICE_DEFAULTS.compute) */
  readonly compute?: unknown;
  /** Run the image (true) or make only the repository (false). @default false (SERVICE_DEFAULTS.deployService) */
  readonly deployService?: unknown;
  /** The image tag to run; required with deployService. @default none: nothing runs */
  readonly image?: unknown;
  /** The web container's options. @default none: no web service */
  readonly web?: unknown;
  /** The database's options. @default none: no database */
  readonly database?: unknown;
  /** The custom domain's options. @default none: no custom domain */
  readonly customDomain?: unknown;
}

/** One problem of a service's options. */
export interface OptionProblem {
  /** Where: `["web", "cpu"]`, read as `web.cpu`. */
  readonly path: (string | number)[];
  /** What is wrong or allowed, following the path: `must be one of ...`. */
  readonly message: string;
  /** What was given. */
  readonly given: unknown;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const num = (v: unknown, fallback: number): number => (typeof v === "number" ? v : fallback);

/**
 * The problems of a service's options that span fields: what needs what, CPU and memory pairs and
 * custom domains per compute target (each target says its own, see Compute), ranges that must be
 * ordered. The type and range of each field on its own is the config schema's, or, in code,
 * webServiceProblems' and databaseProblems'. With the stage's `environment` (known in code, not in a
 * config), what the target needs of it is checked too.
 */
export function serviceOptionProblems(input: ServiceOptionsInput, environment?: ServiceEnvironment): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const compute = Compute.of(input.compute === "appRunner" ? "appRunner" : SERVICE_DEFAULTS.compute);
  const web = obj(input.web);
  const db = obj(input.database);
  if (input.deployService === true && typeof input.image !== "string") {
    problems.push({ path: ["image"], message: "is required when deployService is true (the tag to run)", given: input.image });
  }
  if (input.deployService === true && !web) {
    problems.push({ path: ["deployService"], message: "needs `web` to say what to run", given: true });
  }
  if (db && !web) problems.push({ path: ["database"], message: "needs `web`: a database is attached to a web service", given: "database" });
  if (input.customDomain !== undefined && !web) problems.push({ path: ["customDomain"], message: "needs `web`", given: "customDomain" });
  problems.push(
    ...compute.optionProblems({
      cpu: web ? num(web.cpu, WEB_SERVICE_DEFAULTS.cpu) : undefined,
      memory: web ? num(web.memory, WEB_SERVICE_DEFAULTS.memory) : undefined,
      customDomain: input.customDomain !== undefined,
      database: db !== undefined,
      deployService: input.deployService === true,
      environment,
    }),
  );
  if (web) {
    const min = num(web.minInstances, WEB_SERVICE_DEFAULTS.minInstances);
    const max = num(web.maxInstances, WEB_SERVICE_DEFAULTS.maxInstances);
    if (min > max) problems.push({ path: ["web", "maxInstances"], message: `must be at least minInstances (${min})`, given: max });
    const plain = obj(web.environment) ?? {};
    const secret = obj(web.secrets) ?? {};
    for (const name of Object.keys(secret)) {
      if (name in plain) problems.push({ path: ["web", "secrets", name], message: "must not also be in web.environment: a variable is plain or secret, not both", given: name });
    }
    for (const [where, variables] of [["environment", plain], ["secrets", secret]] as const) {
      if (db && DATABASE_SECRET_VARIABLE in variables) {
        problems.push({ path: ["web", where, DATABASE_SECRET_VARIABLE], message: "is the variable the database's secret is passed in: choose another name", given: DATABASE_SECRET_VARIABLE });
      }
    }
  }
  if (db) {
    const min = num(db.minCapacity, DATABASE_DEFAULTS.minCapacity);
    const max = num(db.maxCapacity, DATABASE_DEFAULTS.maxCapacity);
    if (min > max) problems.push({ path: ["database", "maxCapacity"], message: `must be at least minCapacity (${min})`, given: max });
  }
  return problems;
}

/** A problem as one line: `<path> <message>, got <given>`. */
export function formatOptionProblem(p: OptionProblem): string {
  return `${p.path.join(".")} ${p.message}, got ${p.given === undefined ? "undefined" : JSON.stringify(p.given)}`;
}

const { port, instances, capacity, minimumMaxCapacity } = SERVICE_LIMITS;
const ENVIRONMENT_VARIABLE_RULE = "must be an environment variable name not starting with AWS_ (letters, digits and _, not starting with a digit, at most 128)";

/**
 * The problems of each web option on its own: ranges, patterns, names. Values known only at plan
 * (tokens) are not checked. The config schema checks the same rules with its own messages.
 */
export function webServiceProblems(web: WebServiceOptions, prefix = "web"): string[] {
  const field = (key: string) => (prefix ? `${prefix}.${key}` : key);
  const p = new Problems();
  p.check(field("port"), web.port, integerBetween(port.min, port.max), `must be a whole number from ${port.min} to ${port.max}`);
  p.check(field("cpu"), web.cpu, Number.isInteger, "must be a whole number of CPU units (1024 = 1 vCPU)");
  p.check(field("memory"), web.memory, Number.isInteger, "must be a whole number of MiB");
  p.check(field("healthCheckPath"), web.healthCheckPath, (v) => HEALTH_CHECK_PATH_PATTERN.test(v), "must be an absolute URL path of at most 51 characters");
  for (const key of ["minInstances", "maxInstances"] as const) {
    p.check(field(key), web[key], integerBetween(instances.min, instances.max), `must be a whole number from ${instances.min} to ${instances.max}`);
  }
  for (const name of Object.keys(web.environment ?? {})) p.check(`${field("environment")} names`, name, (n) => ENVIRONMENT_VARIABLE_PATTERN.test(n), ENVIRONMENT_VARIABLE_RULE);
  for (const [name, arn] of Object.entries(web.secrets ?? {})) {
    p.check(`${field("secrets")} names`, name, (n) => ENVIRONMENT_VARIABLE_PATTERN.test(n), ENVIRONMENT_VARIABLE_RULE);
    p.check(`${field("secrets")}.${name}`, arn, (v) => SECRET_REFERENCE_PATTERN.test(v), "must be the ARN of a Secrets Manager secret or an SSM parameter (secrets are passed by reference only)");
  }
  return [...p.all];
}

/** The problems of each database option on its own; values known only at plan are not checked. */
export function databaseProblems(db: DatabaseOptions, prefix = "database"): string[] {
  const field = (key: string) => (prefix ? `${prefix}.${key}` : key);
  const p = new Problems();
  p.check(field("minCapacity"), db.minCapacity, numberBetween(capacity.min, capacity.max), `must be from ${capacity.min} to ${capacity.max} capacity units`);
  p.check(field("maxCapacity"), db.maxCapacity, numberBetween(minimumMaxCapacity, capacity.max), `must be from ${minimumMaxCapacity} to ${capacity.max} capacity units`);
  return [...p.all];
}
