import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { builtinModules } from "module";
import { Testing } from "cdktf";
import YAML from "yaml";
import { defineService } from "../../templates/service-repo/main";
import { ContextError, loadAppsPlatformContext } from "../../templates/service-repo/context";
import { PlatformConfig } from "../../src/config/schema";
import { SERVICE_CONTEXT_FILE, serviceContextOf, serviceContextText } from "../../src/service-repo/service-context";
import { TEMPLATE_DIR, createServiceRepo, libraryVersionRange } from "../../src/service-repo/new-service-repo";
import { runCli as newServiceRepo } from "../../src/service-repo/new-service-repo-cli";
import { runCli as serviceContextCli } from "../../src/service-repo/service-context-cli";
import { pipelineStacks } from "../../src/delivery/pipeline-stacks";
import { ServiceStack } from "../../stacks/service";
import { imageTag } from "../../src/delivery/pipeline";
import { ROOT, TfJson, configWith, exampleConfig, resourcesOf, synthPlatform } from "../helpers";
import { SHELL_BUILTINS, commandsOf, scriptLinesOf } from "../ci/shell-commands";
import { evaluate, extendIamDataWithOidcClaims } from "../iam/simulator";
import { callsFor } from "../iam/stack-calls";
import { rolesOf } from "../iam/synthesized-policies";
import { resourcePolicies } from "../iam/universe";

/**
 * The service repository template (templates/service-repo) against the platform: its program, run
 * from source with the workspace library and the apps-platform.json the platform gives a service,
 * synthesizes exactly what the platform's own service stack does from config/example.yaml; the
 * document the onboarding outputs, the one `npm run service-context` prints and the one
 * `npm run new-service-repo` writes are one; the template's pipeline calls only what the CI image has.
 */

const config = exampleConfig();
const platform = synthPlatform(config);
const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
};
// Outside the project: new-service-repo refuses folders inside it. Removed after the tests.
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "service-repo-test-"));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
const tmp = (name: string) => fs.mkdtempSync(path.join(TMP, `${name}-`));

/** A folder with the service's apps-platform.json, as the platform writes it. */
function contextDir(cfg: PlatformConfig, slug: string): string {
  const dir = tmp("service-context");
  fs.writeFileSync(path.join(dir, SERVICE_CONTEXT_FILE), serviceContextText(serviceContextOf(cfg, cfg.services.find((s) => s.slug === slug)!)));
  return dir;
}

/** The template's program for one stage, synthesized. */
function templateStack(cfg: PlatformConfig, slug: string, stage: string): TfJson {
  const app = Testing.app();
  const ctx = loadAppsPlatformContext(app, { dir: contextDir(cfg, slug), slug, stage, env: {} });
  return JSON.parse(Testing.synth(defineService(app, ctx))) as TfJson;
}

const errorOf = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error("no error thrown");
};

describe("the template's program and the platform's service stack: one code path", () => {
  it.each(["dev", "prod"])("payments-api in %s synthesizes the resources, names and arguments of service-payments-api-<stage>", (stage) => {
    const mine = templateStack(config, "payments-api", stage);
    const theirs = platform.json.get(`service-payments-api-${stage}`)!;
    expect(theirs).toBeDefined();
    // Not an empty match: the service as config/example.yaml describes it.
    expect(Object.keys(mine.resource ?? {})).toEqual(expect.arrayContaining(["aws_ecr_repository", "aws_rds_cluster", "aws_apprunner_service", "aws_apprunner_custom_domain_association"]));
    expect(mine).toEqual(theirs);
  });

  it("would notice a service defined differently: the platform's stack for another image or log level is not the template's", () => {
    const mine = templateStack(config, "payments-api", "dev");
    for (const change of [(r: any) => (r.services[0].image = "1.4.3"), (r: any) => (r.services[0].web.environment.LOG_LEVEL = "debug"), (r: any) => (r.services[0].database = { maxCapacity: 2 })]) {
      const other = configWith(change);
      const theirs = JSON.parse(Testing.synth(new ServiceStack(Testing.app(), other, other.services[0], "dev"))) as TfJson;
      expect(mine).not.toEqual(theirs);
    }
  });

  it("is deployable by payments-api's dev deploy role as the platform onboards it, and by no other service's", async () => {
    await extendIamDataWithOidcClaims([]);
    const json = templateStack(config, "payments-api", "dev");
    const roles = config.services.map((s) => rolesOf(`onboarding-${s.slug}`, platform.json.get(`onboarding-${s.slug}`)!).find((r) => r.name === `${s.slug}-dev-deploy`)!);
    expect(roles.every(Boolean)).toBe(true);
    const keyPolicy = resourcePolicies(platform).keys.get("alias/apps-platform/dev/platform");
    const scope = { region: "eu-central-1", account: "222222222222", slug: "payments-api", stage: "dev", zoneName: "dev.apps.acme.example", json };
    const wrong: string[] = [];
    let calls = 0;
    for (const [type, resources] of Object.entries(json.resource ?? {})) {
      for (const resource of Object.values(resources)) {
        for (const call of callsFor(scope, type, resource as Record<string, any>)) {
          calls++;
          for (const role of roles) {
            const decision = await evaluate({
              principal: role.arn,
              action: call.action,
              resource: call.resource,
              resourceAccount: scope.account,
              context: call.context ?? {},
              identityPolicies: role.policies.map((p) => p.policy),
              ...(call.action.startsWith("kms:") && keyPolicy ? { resourcePolicy: keyPolicy } : {}),
            });
            const own = role.name === "payments-api-dev-deploy";
            if (own && decision !== "Allowed") wrong.push(`${type} ${call.action} on ${call.resource} denied to ${role.name}`);
            if (!own && !call.shared && decision === "Allowed") wrong.push(`${type} ${call.action} on ${call.resource} allowed to ${role.name}`);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
  });
});

describe("apps-platform.json: the onboarding's output, npm run service-context and new-service-repo write one document", () => {
  it.each(config.services.map((s) => s.slug))("%s: the service_context output is the document, and it names the roles and state onboarding makes", (slug) => {
    const service = config.services.find((s) => s.slug === slug)!;
    const doc = JSON.parse(serviceContextText(serviceContextOf(config, service)));
    const onboarding = platform.json.get(`onboarding-${slug}`)!;
    expect((onboarding.output!.service_context as any).value).toEqual(doc);
    expect(String((onboarding.output!.service_context as any).description)).toContain("terraform output -json service_context");

    // The CI roles onboarding creates, by name and path in the deployment account.
    const roles = Object.values(onboarding.resource!.aws_iam_role) as Record<string, any>[];
    const arnOf = (name: string) => {
      const role = roles.find((r) => r.name === name)!;
      return `arn:aws:iam::${config.deploymentAccount.accountId}:role${role.path}${role.name}`;
    };
    expect(doc.ci.planRoleArn).toBe(arnOf(`${slug}-ci-plan`));
    expect(doc.ci.applyRoleArn).toBe(arnOf(`${slug}-ci-apply`));
    // The bucket, table and key alias onboarding creates.
    expect(doc.state.bucket).toBe(resourcesOf(onboarding, "aws_s3_bucket").map((b: any) => b.bucket).find((b: string) => b.endsWith("-tfstate")));
    expect(resourcesOf(onboarding, "aws_dynamodb_table").map((t: any) => t.name)).toContain(doc.state.lockTable);
    expect(resourcesOf(onboarding, "aws_kms_alias").map((a: any) => a.name)).toContain(doc.state.kmsKeyId);
    // Each stage's roles are the ones the platform's pipeline model and the service stacks name.
    expect(Object.keys(doc.stages)).toEqual(service.stages ?? Object.keys(config.stages));
    for (const [stage, s] of Object.entries<any>(doc.stages)) {
      expect(s.accountId).toBe(config.stages[stage].accountId);
      expect(s.zoneName).toBe(config.stages[stage].zoneName);
      expect(s.ephemeral).toBe(config.stages[stage].ephemeral);
      const stack = pipelineStacks(config).find((p) => p.name === `service-${slug}-${stage}`);
      if (service.web) {
        expect(stack!.plan).toEqual({ roleArn: doc.ci.planRoleArn, variables: { TF_VAR_platform_role_arn: s.readRoleArn } });
        expect(stack!.apply.roleArn).toBe(doc.ci.applyRoleArn);
        expect((platform.json.get(`service-${slug}-${stage}`) as any).variable.platform_role_arn.default).toBe(s.deployRoleArn);
      }
      expect(s.deployRoleArn).toMatch(new RegExp(`^arn:aws:iam::${s.accountId}:role/apps-platform/deploy/${slug}-${stage}-deploy$`));
      expect(s.readRoleArn).toMatch(new RegExp(`^arn:aws:iam::${s.accountId}:role/apps-platform/read/${slug}-${stage}-read$`));
    }
  });

  it("keeps account ids strings in the committed HCL, as in the JSON", () => {
    const hcl = fs.readFileSync(path.join(ROOT, "generated", "onboarding-payments-api", "main.tf"), "utf8");
    const block = hcl.slice(hcl.indexOf('output "service_context"'));
    expect(block).toMatch(/accountId\s+= "222222222222"/);
    expect(block).not.toMatch(/accountId\s+= 2/);
  });

  it("npm run service-context prints it, and refuses an unknown slug in one line", () => {
    const ok = io();
    expect(serviceContextCli(["payments-api"], {}, ok.io)).toBe(0);
    expect(ok.out.join("")).toBe(serviceContextText(serviceContextOf(config, config.services[0])));
    const bad = io();
    expect(serviceContextCli(["payments"], {}, bad.io)).toBe(2);
    expect(bad.err.join("")).toMatch(/^npm run service-context: the slug must be a service of config\/example\.yaml \(payments-api, webservice-aurora-example, status-page\), got "payments" \(see --help\)\n$/);
    const none = io();
    expect(serviceContextCli([], {}, none.io)).toBe(2);
    expect(none.err.join("")).toContain("no slug given");
    // An --out it cannot write: one line naming it and why, not a stack trace.
    const dir = tmp("context-out");
    fs.writeFileSync(path.join(dir, "file"), "");
    for (const [out, why] of [
      [path.join(dir, "none", "x.json"), "cannot be written (its folder does not exist)"],
      [dir, "is a directory, not a file"],
      [path.join(dir, "file", "x.json"), "cannot be written (a part of the path is a file, not a folder)"],
    ]) {
      const r = io();
      expect(serviceContextCli(["payments-api", "--out", out], {}, r.io)).toBe(2);
      expect(r.err.join("")).toBe(`the output file ${out} (from --out): ${why}\n`);
    }
    // An empty PLATFORM_CONFIG (a CI variable without a value) is none: the example, as for synth.
    const empty = io();
    expect(serviceContextCli(["payments-api"], { PLATFORM_CONFIG: "" }, empty.io)).toBe(0);
    expect(empty.out.join("")).toBe(ok.out.join(""));
    const help = io();
    expect(serviceContextCli(["--help"], {}, help.io)).toBe(0);
    expect(help.out.join("")).toMatch(/^usage: npm run --silent service-context -- <slug> \[options\]/);
  });
});

describe("loadAppsPlatformContext", () => {
  const app = () => Testing.app();
  const dir = contextDir(config, "payments-api");

  it("needs the slug and the stage, and reads the rest from apps-platform.json", () => {
    const ctx = loadAppsPlatformContext(app(), { dir, slug: "payments-api", env: { STAGE: "prod" } });
    expect(ctx.service).toEqual({ organisation: "acme", slug: "payments-api", stage: "prod", region: "eu-central-1", accountId: "333333333333", zoneName: "apps.acme.example", ephemeral: false });
    expect(ctx.backend).toEqual({ kind: "s3", useLockfile: true, dynamodbLock: true });
    expect(ctx.roles.read).toBe("arn:aws:iam::333333333333:role/apps-platform/read/payments-api-prod-read");
    expect(ctx.stages).toEqual(["dev", "prod"]);
    // The slug from cdktf.json when it is not given.
    const repo = tmp("repo");
    fs.copyFileSync(path.join(dir, SERVICE_CONTEXT_FILE), path.join(repo, SERVICE_CONTEXT_FILE));
    fs.copyFileSync(path.join(TEMPLATE_DIR, "cdktf.json"), path.join(repo, "cdktf.json"));
    expect(loadAppsPlatformContext(app(), { dir: repo, env: { STAGE: "dev" } }).slug).toBe("payments-api");
    // The stage from the app's context when STAGE is not set.
    expect(loadAppsPlatformContext(Testing.app({ context: { stage: "dev" } }), { dir: repo, env: {} }).stage).toBe("dev");
  });

  it("says in one line what is missing or wrong, and what to do", () => {
    const empty = tmp("empty");
    const repo = tmp("repo");
    fs.copyFileSync(path.join(TEMPLATE_DIR, "cdktf.json"), path.join(repo, "cdktf.json"));
    const other = contextDir(config, "status-page");
    const broken = tmp("broken");
    const doc = JSON.parse(fs.readFileSync(path.join(dir, SERVICE_CONTEXT_FILE), "utf8"));
    doc.stages.dev.accountId = 222222222222;
    doc.state.bucket = "acme-other-tfstate";
    fs.writeFileSync(path.join(broken, SERVICE_CONTEXT_FILE), JSON.stringify(doc));
    const cases: [() => unknown, RegExp][] = [
      [() => loadAppsPlatformContext(app(), { dir: empty, env: { STAGE: "dev" } }), /cdktf\.json not found: run the program from the repository's root, whose cdktf\.json names the service in "context": \{ "slug": "<slug>" \}$/],
      [() => loadAppsPlatformContext(app(), { dir: repo, env: { STAGE: "dev" } }), /apps-platform\.json not found: write it from the service's onboarding: terraform output -json service_context > apps-platform\.json \(in the platform's generated\/onboarding-payments-api\), or npm run --silent service-context -- payments-api > apps-platform\.json in the platform repository$/],
      [() => loadAppsPlatformContext(app(), { dir, slug: "payments-api", env: {} }), /^no stage given: set STAGE to one of dev, prod \(the stages apps-platform\.json lists\), e\.g\. STAGE=dev npx cdktf synth$/],
      [() => loadAppsPlatformContext(app(), { dir, slug: "payments-api", env: { STAGE: "qa" } }), /^STAGE must be a stage payments-api is onboarded to, one of dev, prod \(from .*apps-platform\.json\), got "qa"$/],
      // A name every object has (its prototype's) is not a stage.
      [() => loadAppsPlatformContext(app(), { dir, slug: "payments-api", env: { STAGE: "constructor" } }), /^STAGE must be a stage payments-api is onboarded to, one of dev, prod \(from .*apps-platform\.json\), got "constructor"$/],
      [() => loadAppsPlatformContext(app(), { dir: other, slug: "payments-api", env: { STAGE: "dev" } }), /apps-platform\.json is the context of "status-page", but this repository is "payments-api" \(cdktf\.json context\.slug\): write it/],
      [() => loadAppsPlatformContext(app(), { dir, slug: "Payments", env: { STAGE: "dev" } }), /^cdktf\.json context\.slug must be the slug the service is onboarded with .*, got "Payments"$/],
      [
        () => loadAppsPlatformContext(app(), { dir: broken, slug: "payments-api", env: { STAGE: "dev" } }),
        /apps-platform\.json: state\.bucket must be "acme-payments-api-tfstate", where the construct library keeps payments-api's state, got "acme-other-tfstate"; stages\.dev\.accountId must be a 12-digit account id, as a string, got 222222222222 \(write it/,
      ],
    ];
    for (const [f, re] of cases) {
      const err = errorOf(f);
      expect(err).toBeInstanceOf(ContextError);
      expect(err.message).toMatch(re);
      expect(err.message).not.toContain("\n");
    }
  });
});

describe("npm run new-service-repo", () => {
  const templateFiles = fs.readdirSync(TEMPLATE_DIR).sort();

  it("creates payments-api's repository as the template is, with apps-platform.json and the library's version range", () => {
    const dir = path.join(tmp("new"), "payments-api");
    const made = createServiceRepo({ dir, slug: "payments-api", config, configName: "config/example.yaml" });
    expect(made.files).toEqual([...templateFiles, SERVICE_CONTEXT_FILE].sort());
    for (const f of templateFiles) expect(`${f}: ${fs.readFileSync(path.join(dir, f), "utf8")}`).toBe(`${f}: ${fs.readFileSync(path.join(TEMPLATE_DIR, f), "utf8")}`);
    expect(fs.readFileSync(path.join(dir, SERVICE_CONTEXT_FILE), "utf8")).toBe(serviceContextText(made.context));
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "packages", "constructs", "package.json"), "utf8")).version;
    expect(libraryVersionRange()).toBe(`^${version}`);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies["@acme/apps-platform-constructs"]).toBe(`^${version}`);
  });

  it("fills in another service: slug, version, registry, and a plan and apply job for each of its stages only", () => {
    const dir = path.join(tmp("new"), "web");
    createServiceRepo({ dir, slug: "webservice-aurora-example", config, configName: "config/example.yaml", libraryVersion: "~0.1.0", registry: "http://127.0.0.1:4873/" });
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.name).toBe("webservice-aurora-example-infrastructure");
    expect(pkg.dependencies["@acme/apps-platform-constructs"]).toBe("~0.1.0");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "cdktf.json"), "utf8")).context).toEqual({ slug: "webservice-aurora-example" });
    expect(fs.readFileSync(path.join(dir, ".npmrc"), "utf8")).toMatch(/^@acme:registry=http:\/\/127\.0\.0\.1:4873\/$/m);
    expect(fs.readFileSync(path.join(dir, ".npmrc"), "utf8")).not.toContain("gitlab.com");
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toContain("npm config set -- //127.0.0.1:4873/:_authToken <token>");
    const ci = YAML.parse(fs.readFileSync(path.join(dir, ".gitlab-ci.yml"), "utf8"));
    expect(Object.keys(ci).filter((k) => /^(plan|apply):/.test(k))).toEqual(["plan:dev", "apply:dev"]);
    expect(ci.variables.APPS_PLATFORM_NPM_REGISTRY).toBe("http://127.0.0.1:4873/");
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, SERVICE_CONTEXT_FILE), "utf8")).stages)).toEqual(["dev"]);
  });

  it("writes no GitLab pipeline for a service onboarded from GitHub, and says so", () => {
    const dir = path.join(tmp("new"), "status");
    const made = createServiceRepo({ dir, slug: "status-page", config, configName: "config/example.yaml" });
    expect(made.files).not.toContain(".gitlab-ci.yml");
    expect(made.notes.join("\n")).toContain("status-page is onboarded from GitHub (acme/status-page): no .gitlab-ci.yml was written");
  });

  it("answers --help and refuses wrong use in one line", () => {
    const help = io();
    expect(newServiceRepo(["--help"], {}, help.io)).toBe(0);
    expect(help.out.join("")).toMatch(/^usage: npm run new-service-repo -- <dir> \[options\]/);
    const taken = tmp("taken");
    fs.writeFileSync(path.join(taken, "x"), "");
    const cases: [string[], RegExp][] = [
      [[path.join(tmp("n"), "a")], /--slug is required/],
      [["--slug", "payments-api"], /no folder given: npm run new-service-repo -- <dir> --slug <slug>/],
      [[path.join(tmp("n"), "a"), "--slug", "payment"], /--slug must be a service of config\/example\.yaml \(payments-api, webservice-aurora-example, status-page\), got "payment"/],
      [[taken, "--slug", "payments-api"], /is not empty \(x\): choose a new or empty folder/],
      [[path.join(ROOT, ".tmp", "inside"), "--slug", "payments-api"], /is inside the platform repository .*: a service repository is a repository of its own, so choose a folder outside it/],
      [[path.join(tmp("n"), "a"), "--slug", "payments-api", "--library-version", "latest"], /--library-version must be a version or a \^ or ~ range such as \^0\.1\.0, got "latest"/],
      [[path.join(tmp("n"), "a"), "--slgu", "payments-api"], /unknown option --slgu; did you mean --slug\?/],
      // Written into .npmrc, the CI file and the README: no replacement patterns, quotes or credentials.
      [[path.join(tmp("n"), "a"), "--slug", "payments-api", "--registry", "https://x.example/$&/"], /--registry must be an http\(s\) URL ending in \/, without credentials, quotes, backticks or \$, got "https:\/\/x\.example\/\$&\/"/],
      [[path.join(tmp("n"), "a"), "--slug", "payments-api", "--registry", "https://u:p@x.example/"], /--registry must be an http\(s\) URL ending in \//],
      [[path.join(tmp("n"), "a"), "--slug", "payments-api", "--registry", "https://x.example/`id`/"], /--registry must be an http\(s\) URL ending in \//],
    ];
    // The repository reached through a link from outside it is inside it all the same.
    const link = path.join(tmp("link"), "platform");
    fs.symlinkSync(ROOT, link);
    cases.push([[path.join(link, ".tmp", "through-link"), "--slug", "payments-api"], /through-link is inside the platform repository/]);
    // A folder that cannot be made: one line, not a stack trace.
    const file = path.join(tmp("file"), "file");
    fs.writeFileSync(file, "");
    cases.push([[path.join(file, "repo"), "--slug", "payments-api"], /^the folder .*file\/repo: cannot be made \(.*file is a file, not a folder\)$/m]);
    // Where the system answers "not found" for a folder it will not make (a recursive mkdir spins there).
    cases.push([["/proc/apps-platform-repo", "--slug", "payments-api"], /^the folder \/proc\/apps-platform-repo: cannot be made \(the file system refuses a folder there\)$/m]);
    for (const [argv, re] of cases) {
      const r = io();
      expect(newServiceRepo(argv, {}, r.io)).toBe(2);
      expect(r.err.join("")).toMatch(re);
      expect(r.err.join("").trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("the template's pipeline", () => {
  const dir = path.join(tmp("ci"), "payments-api");
  const made = createServiceRepo({ dir, slug: "payments-api", config, configName: "config/example.yaml" });
  const ci = YAML.parse(fs.readFileSync(path.join(dir, ".gitlab-ci.yml"), "utf8"));
  const doc = made.context;
  const jobs = Object.entries(ci).filter(([k, v]) => !["variables", "workflow", "stages"].includes(k) && v && typeof v === "object") as [string, Record<string, any>][];
  /** A job with what it extends merged in (GitLab merges hashes and replaces the rest). */
  const resolved = (name: string): Record<string, any> => {
    const job = ci[name];
    if (!job.extends) return job;
    const base = resolved(job.extends);
    return { ...base, ...job, variables: { ...base.variables, ...job.variables } };
  };

  it("runs in the platform's CI image and calls only commands the image has", () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, "ci", "image", "Dockerfile"), "utf8");
    const provided = new Set(/^ARG JOB_COMMANDS="([^"]+)"/m.exec(dockerfile)![1].split(/\s+/));
    expect(ci.variables.APPS_PLATFORM_CI_IMAGE).toBe(`registry.gitlab.com/acme/apps-platform/ci:${imageTag(ROOT)}`);
    const missing: string[] = [];
    let checked = 0;
    for (const [name, job] of jobs) {
      expect(`${name}: ${resolved(name).image}`).toBe(`${name}: $APPS_PLATFORM_CI_IMAGE`);
      for (const line of scriptLinesOf(job)) {
        for (const c of commandsOf(line)) {
          checked++;
          if (!provided.has(c) && !SHELL_BUILTINS.has(c)) missing.push(`${name}: ${c} (in: ${line.slice(0, 80)})`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  it("plans in merge requests with the CI plan role and the stage's read role, applies on protected branches with the CI apply role, dev before prod", () => {
    expect(ci[".service-stack"].id_tokens).toEqual({ AWS_ID_TOKEN: { aud: "$APPS_PLATFORM_OIDC_AUDIENCE" } });
    expect(ci.variables.APPS_PLATFORM_OIDC_AUDIENCE).toBe(doc.ci.audience);
    const before = ci[".service-stack"].before_script.join("\n");
    expect(before).toContain('aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN"');
    expect(before).toContain(`ROLE_ARN="$(jq -er --arg role "$CI_ROLE" '.ci[$role]' apps-platform.json)"`);
    for (const stage of Object.keys(doc.stages)) {
      const plan = resolved(`plan:${stage}`);
      expect(plan.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
      expect(plan.variables).toEqual({ CI_ROLE: "planRoleArn", STAGE: stage });
      expect(plan.script).toEqual([
        `READ_ROLE_ARN="$(jq -er --arg stage "$STAGE" '.stages[$stage].readRoleArn' "$CI_PROJECT_DIR/apps-platform.json")"`,
        'terraform plan -lock=false -input=false -var "platform_role_arn=$READ_ROLE_ARN"',
      ]);
      const apply = resolved(`apply:${stage}`);
      expect(apply.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_REF_PROTECTED == "true"' }]);
      expect(apply.variables).toEqual({ CI_ROLE: "applyRoleArn", STAGE: stage });
      expect(apply.script.at(-1)).toBe("terraform apply -input=false service.tfplan");
      expect(apply.environment.name).toBe(stage);
    }
    expect(ci["apply:prod"].needs).toEqual(["apply:dev"]);
    // What the jq lines read is in the document.
    expect(Object.keys(doc.ci)).toEqual(expect.arrayContaining(["planRoleArn", "applyRoleArn"]));
    expect(doc.region).toBe(config.region);
  });
});

describe("the template as a repository of its own", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(TEMPLATE_DIR, "package.json"), "utf8"));
  const library = JSON.parse(fs.readFileSync(path.join(ROOT, "packages", "constructs", "package.json"), "utf8"));

  it("imports only node's modules, its own files and its declared dependencies, by entry point", () => {
    const sources = fs.readdirSync(TEMPLATE_DIR).filter((f) => f.endsWith(".ts"));
    expect(sources.sort()).toEqual(["context.ts", "main.ts"]);
    const declared = new Set(Object.keys(pkg.dependencies));
    const wrong: string[] = [];
    for (const file of sources) {
      const text = fs.readFileSync(path.join(TEMPLATE_DIR, file), "utf8");
      for (const [, spec] of text.matchAll(/(?:from|require\()\s*["']([^"']+)["']/g)) {
        if (spec.startsWith(".")) {
          const target = path.resolve(TEMPLATE_DIR, spec);
          if (path.dirname(target) !== TEMPLATE_DIR || !fs.existsSync(`${target}.ts`)) wrong.push(`${file}: ${spec} is not a file of the template`);
          continue;
        }
        if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
        if (!declared.has(name)) wrong.push(`${file}: ${spec} is not a dependency of package.json`);
        if (name === "@acme/apps-platform-constructs" && !(`.${spec.slice(name.length)}` in library.exports)) wrong.push(`${file}: ${spec} is not an entry point of the library`);
        if (name === "@cdktf/provider-aws" && !spec.startsWith("@cdktf/provider-aws/lib/")) wrong.push(`${file}: ${spec} is the provider's barrel`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("depends on the library by range and on its peers at exactly their versions", () => {
    expect(pkg.dependencies["@acme/apps-platform-constructs"]).toBe(`^${library.version}`);
    for (const [peer, version] of Object.entries(library.peerDependencies)) expect(`${peer}@${pkg.dependencies[peer]}`).toBe(`${peer}@${version}`);
    expect(pkg.devDependencies.typescript).toMatch(/^~5\.9\./);
    expect(pkg.scripts.synth).toBe("tsc -p tsconfig.json && node dist/main.js");
    const cdktf = JSON.parse(fs.readFileSync(path.join(TEMPLATE_DIR, "cdktf.json"), "utf8"));
    expect(cdktf.app).toBe("npm run --silent synth");
    expect(cdktf.context.slug).toBe("payments-api");
  });
});
