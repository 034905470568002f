/**
 * Where this service runs, so that main.ts can stay a description of the service: the slug (this
 * repository's cdktf.json, `context.slug`) and the stage (`STAGE`) are all it needs; the rest comes
 * from the service's onboarding, as apps-platform.json. The values of the stage's environment
 * (subnets, zone, keys, the service's security groups) are read from the platform's SSM contract when
 * Terraform plans, by ServiceStack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { ServiceBackend, ServiceContext } from "@acme/apps-platform-constructs/service";
import { SLUG_PATTERN, STAGE_PATTERN, serviceNames } from "@acme/apps-platform-constructs/naming";

/** The file the service's onboarding is written to (`terraform output -json service_context`). */
export const CONTEXT_FILE = "apps-platform.json";

/** The only version of apps-platform.json this loader reads. */
const CONTEXT_VERSION = 1;

export interface AppsPlatformContext {
  readonly slug: string;
  readonly stage: string;
  /** Where the service runs in this stage, for ServiceStack. */
  readonly service: ServiceContext;
  /** Where its state lives: its own bucket, lock table and key (or HCP Terraform). */
  readonly backend: ServiceBackend;
  /** The roles its pipelines use: the CI roles in the deployment account, the stage's deploy and read roles. */
  readonly roles: { readonly ciPlan: string; readonly ciApply: string; readonly deploy: string; readonly read: string };
  /** The stages the service is onboarded to. */
  readonly stages: readonly string[];
}

export interface LoadOptions {
  /** The folder with cdktf.json and apps-platform.json. @default the working directory */
  readonly dir?: string;
  /** @default cdktf.json's `context.slug` (or the app's context `slug`) */
  readonly slug?: string;
  /** @default `STAGE`, or the app's context `stage` */
  readonly stage?: string;
  /** @default `<dir>/apps-platform.json`, or `APPS_PLATFORM_CONTEXT` */
  readonly file?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Why the context cannot be loaded, in one line that says what to do. */
export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContextError";
  }
}

export function loadAppsPlatformContext(app: App, options: LoadOptions = {}): AppsPlatformContext {
  const dir = path.resolve(options.dir ?? process.cwd());
  const env = options.env ?? process.env;
  const slug = options.slug ?? contextString(app, "slug") ?? cdktfJsonSlug(dir);
  if (!SLUG_PATTERN.test(slug)) {
    throw new ContextError(`cdktf.json context.slug must be the slug the service is onboarded with (lowercase letters, digits and single hyphens, starting with a letter), got ${JSON.stringify(slug)}`);
  }
  const file = path.resolve(dir, options.file ?? env.APPS_PLATFORM_CONTEXT ?? CONTEXT_FILE);
  const doc = readContextFile(file, slug);
  const stages = Object.keys(doc.stages);
  const stage = options.stage ?? (env.STAGE || undefined) ?? contextString(app, "stage");
  if (stage === undefined) {
    throw new ContextError(`no stage given: set STAGE to one of ${stages.join(", ")} (the stages ${path.basename(file)} lists), e.g. STAGE=${stages[0]} npx cdktf synth`);
  }
  if (!STAGE_PATTERN.test(stage) || !Object.prototype.hasOwnProperty.call(doc.stages, stage)) {
    throw new ContextError(`STAGE must be a stage ${slug} is onboarded to, one of ${stages.join(", ")} (from ${file}), got ${JSON.stringify(stage)}`);
  }
  const s = doc.stages[stage];
  return {
    slug,
    stage,
    service: { organisation: doc.organisation, slug, stage, region: doc.region, accountId: s.accountId, zoneName: s.zoneName, ephemeral: s.ephemeral },
    backend: doc.state.kind === "s3" ? { kind: "s3", useLockfile: doc.state.useLockfile, dynamodbLock: doc.state.dynamodbLock } : { kind: "cloud", organization: doc.state.organization, project: doc.state.project, hostname: doc.state.hostname },
    roles: { ciPlan: doc.ci.planRoleArn, ciApply: doc.ci.applyRoleArn, deploy: s.deployRoleArn, read: s.readRoleArn },
    stages,
  };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** cdktf.json's `context.slug`: the CLI does not hand cdktf.json's context to the app, so it is read here. */
function cdktfJsonSlug(dir: string): string {
  const file = path.join(dir, "cdktf.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ContextError(`${file} not found: run the program from the repository's root, whose cdktf.json names the service in "context": { "slug": "<slug>" }`);
  }
  let slug: unknown;
  try {
    slug = JSON.parse(text)?.context?.slug;
  } catch (err) {
    throw new ContextError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof slug !== "string" || slug === "") {
    throw new ContextError(`${file} names no service: add "context": { "slug": "<slug>" } with the slug the service is onboarded with`);
  }
  return slug;
}

// -----------------------------------------------------------------------------------------------------
// apps-platform.json
// -----------------------------------------------------------------------------------------------------

interface ContextDocument {
  readonly organisation: string;
  readonly region: string;
  readonly ci: { readonly planRoleArn: string; readonly applyRoleArn: string };
  readonly state:
    | { readonly kind: "s3"; readonly useLockfile: boolean; readonly dynamodbLock: boolean }
    | { readonly kind: "cloud"; readonly organization: string; readonly project: string; readonly hostname: string };
  readonly stages: Record<string, { readonly accountId: string; readonly zoneName: string; readonly ephemeral: boolean; readonly deployRoleArn: string; readonly readRoleArn: string }>;
}

function readContextFile(file: string, slug: string): ContextDocument {
  const howToWrite =
    `write it from the service's onboarding: terraform output -json service_context > ${CONTEXT_FILE} (in the platform's generated/onboarding-${slug}), ` +
    `or npm run --silent service-context -- ${slug} > ${CONTEXT_FILE} in the platform repository`;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ContextError(`${file} not found: ${howToWrite}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ContextError(`${file} is not valid JSON (${(err as Error).message}): ${howToWrite}`);
  }
  const problems: string[] = [];
  const at = (p: string, rule: string, given: unknown) => problems.push(`${p} must be ${rule}, got ${JSON.stringify(given)}`);
  const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const doc = obj(raw) ?? {};
  const str = (p: string, v: unknown, re: RegExp, rule: string): string => {
    if (typeof v !== "string" || !re.test(v)) at(p, rule, v);
    return String(v);
  };
  const bool = (p: string, v: unknown): boolean => {
    if (typeof v !== "boolean") at(p, "true or false", v);
    return v === true;
  };
  const ROLE = /^arn:aws(?:-us-gov|-cn)?:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/;
  if (doc.version !== CONTEXT_VERSION) at("version", `${CONTEXT_VERSION} (this loader's version of the file)`, doc.version);
  if (doc.slug !== slug) {
    throw new ContextError(`${file} is the context of ${JSON.stringify(doc.slug)}, but this repository is ${JSON.stringify(slug)} (cdktf.json context.slug): ${howToWrite}`);
  }
  const organisation = str("organisation", doc.organisation, /^[a-z][a-z0-9-]{1,19}$/, "the platform's organisation prefix");
  const region = str("region", doc.region, /^[a-z]{2}(?:-[a-z]+)+-\d$/, "an AWS Region such as eu-central-1");
  const ci = obj(doc.ci) ?? {};
  const planRoleArn = str("ci.planRoleArn", ci.planRoleArn, ROLE, "an IAM role ARN");
  const applyRoleArn = str("ci.applyRoleArn", ci.applyRoleArn, ROLE, "an IAM role ARN");
  const state = obj(doc.state) ?? {};
  let parsedState: ContextDocument["state"];
  if (state.kind === "s3") {
    // The library names the service's state store itself; the file must name the same one.
    const names = serviceNames(organisation, slug);
    for (const [key, want] of [["bucket", names.stateBucket.name], ["lockTable", names.lockTable.name], ["kmsKeyId", names.stateKeyAlias.name]] as const) {
      if (state[key] !== want) at(`state.${key}`, `${JSON.stringify(want)}, where the construct library keeps ${slug}'s state`, state[key]);
    }
    parsedState = { kind: "s3", useLockfile: bool("state.useLockfile", state.useLockfile), dynamodbLock: bool("state.dynamodbLock", state.dynamodbLock) };
  } else if (state.kind === "cloud") {
    parsedState = {
      kind: "cloud",
      organization: str("state.organization", state.organization, /^[A-Za-z0-9_-]{3,40}$/, "an HCP Terraform organization"),
      project: str("state.project", state.project, /^[A-Za-z0-9 _-]{1,40}$/, "an HCP Terraform project"),
      hostname: str("state.hostname", state.hostname, /^[a-z0-9.-]+$/, "a host name such as app.terraform.io"),
    };
  } else {
    at("state.kind", '"s3" or "cloud"', state.kind);
    parsedState = { kind: "s3", useLockfile: true, dynamodbLock: true };
  }
  const stagesRaw = obj(doc.stages);
  const stages: ContextDocument["stages"] = {};
  if (!stagesRaw || Object.keys(stagesRaw).length === 0) at("stages", "an object with one entry per stage the service is onboarded to", doc.stages);
  for (const [name, value] of Object.entries(stagesRaw ?? {})) {
    const s = obj(value) ?? {};
    if (!STAGE_PATTERN.test(name)) at(`stages.${name}`, "named as a stage (1 to 32 lowercase letters, digits and hyphens)", name);
    stages[name] = {
      accountId: str(`stages.${name}.accountId`, s.accountId, /^[0-9]{12}$/, "a 12-digit account id, as a string"),
      zoneName: str(`stages.${name}.zoneName`, s.zoneName, /^(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*$/, "a DNS zone name"),
      ephemeral: bool(`stages.${name}.ephemeral`, s.ephemeral),
      deployRoleArn: str(`stages.${name}.deployRoleArn`, s.deployRoleArn, ROLE, "an IAM role ARN"),
      readRoleArn: str(`stages.${name}.readRoleArn`, s.readRoleArn, ROLE, "an IAM role ARN"),
    };
  }
  if (problems.length > 0) {
    throw new ContextError(`${file}: ${problems.join("; ")} (${howToWrite})`);
  }
  return { organisation, region, ci: { planRoleArn, applyRoleArn }, state: parsedState, stages };
}
