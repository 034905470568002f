import { Token } from "cdktf";
import {
  CUSTOM_DOMAIN_DEFAULTS,
  DATABASE_DEFAULTS,
  SERVICE_DEFAULTS,
  WEB_SERVICE_DEFAULTS,
  WebServiceOptions,
  databaseProblems,
  formatOptionProblem,
  serviceOptionProblems,
  webServiceProblems,
} from "@acme/apps-platform-constructs/service";
import { configProblems, configWith } from "../../helpers";
import * as fs from "fs";
import * as YAML from "yaml";
import { EXAMPLE_FILE } from "../../helpers";

/** The example config with status-page's entry replaced by `entry`, as YAML text. */
function withService(entry: Record<string, unknown>): string {
  const raw = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
  raw.services[2] = { slug: "status-page", githubRepository: "acme/status-page", branchRestriction: "main", ...entry };
  return YAML.stringify(raw);
}

describe("the service defaults", () => {
  it("are the config's: a service entry that leaves everything out gets exactly them", () => {
    const config = configWith((raw) => (raw.services[2] = { slug: "status-page", githubRepository: "acme/status-page", web: {}, database: {}, customDomain: {}, compute: "appRunner" }));
    const service = config.services[2];
    expect(service.web).toEqual({ ...WEB_SERVICE_DEFAULTS, environment: {}, secrets: {} });
    expect(service.database).toEqual(DATABASE_DEFAULTS);
    expect(service.customDomain).toEqual(CUSTOM_DOMAIN_DEFAULTS);
    const bare = configWith((raw) => (raw.services[2] = { slug: "status-page", githubRepository: "acme/status-page" })).services[2];
    expect([bare.compute, bare.deployService]).toEqual([SERVICE_DEFAULTS.compute, SERVICE_DEFAULTS.deployService]);
  });

  it("say what the README and the schema say", () => {
    expect(WEB_SERVICE_DEFAULTS).toEqual({ port: 8080, cpu: 1024, memory: 2048, healthCheckPath: "/health", minInstances: 1, maxInstances: 2 });
    expect(DATABASE_DEFAULTS).toEqual({ minCapacity: 0, maxCapacity: 1 });
    expect(SERVICE_DEFAULTS).toEqual({ compute: "ecsExpress", deployService: false, ephemeral: false });
  });
});

describe("serviceOptionProblems", () => {
  it.each([
    [{ deployService: true, web: {} }, ["image is required when deployService is true (the tag to run), got undefined"]],
    [{ deployService: true, image: "1.0.0" }, ["deployService needs `web` to say what to run, got true"]],
    [{ database: {} }, ['database needs `web`: a database is attached to a web service, got "database"']],
    [{ compute: "appRunner", customDomain: {} }, ['customDomain needs `web`, got "customDomain"']],
    [
      { customDomain: {}, web: {} },
      ['customDomain is not available on ecsExpress: ECS Express Mode\'s load balancer serves only its own certificate; use compute: appRunner for a custom domain, or remove customDomain, got "customDomain"'],
    ],
    [{ web: { cpu: 2048 } }, ["web.memory must be one of 4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384 with cpu 2048 on ecsExpress, got 2048"]],
    [{ web: { minInstances: 3 } }, ["web.maxInstances must be at least minInstances (3), got 2"]],
    [{ web: {}, database: { minCapacity: 2 } }, ["database.maxCapacity must be at least minCapacity (2), got 1"]],
    [{ web: { environment: { TOKEN: "x" }, secrets: { TOKEN: "arn:aws:ssm:eu-central-1:222222222222:parameter/t" } } }, ['web.secrets.TOKEN must not also be in web.environment: a variable is plain or secret, not both, got "TOKEN"']],
    [{ web: { environment: { DATABASE_SECRET: "x" } }, database: {} }, ['web.environment.DATABASE_SECRET is the variable the database\'s secret is passed in: choose another name, got "DATABASE_SECRET"']],
    [{ compute: "appRunner", deployService: true, image: "1.0.0", web: { cpu: 1024, memory: 4096 }, database: { maxCapacity: 4 }, customDomain: { www: true } }, []],
  ])("judges %j", (input, problems) => {
    expect(serviceOptionProblems(input).map(formatOptionProblem)).toEqual(problems);
  });

  it("are the config loader's too, reported with the service's path", () => {
    const problems = configProblems(withService({ web: { minInstances: 3 }, customDomain: {} }));
    expect(problems).toEqual([
      expect.stringMatching(/^services\[2\] \(status-page\)\.web\.maxInstances must be at least minInstances \(3\), got 2 \(c\.yaml:\d+:\d+\)$/),
      expect.stringMatching(/^services\[2\] \(status-page\)\.customDomain is not available on ecsExpress: .*, got "customDomain" \(c\.yaml:\d+:\d+\)$/),
    ]);
  });
});

describe("webServiceProblems and databaseProblems", () => {
  it.each([
    [{ port: 0 }, "web.port must be a whole number from 1 to 65535, got 0"],
    [{ port: 80.5 }, "web.port must be a whole number from 1 to 65535, got 80.5"],
    [{ cpu: 1.5 }, "web.cpu must be a whole number of CPU units (1024 = 1 vCPU), got 1.5"],
    [{ memory: 2048.5 }, "web.memory must be a whole number of MiB, got 2048.5"],
    [{ healthCheckPath: "health" }, 'web.healthCheckPath must be an absolute URL path of at most 51 characters, got "health"'],
    [{ minInstances: 0 }, "web.minInstances must be a whole number from 1 to 25, got 0"],
    [{ maxInstances: 26 }, "web.maxInstances must be a whole number from 1 to 25, got 26"],
    [{ environment: { AWS_REGION: "x" } }, 'web.environment names must be an environment variable name not starting with AWS_ (letters, digits and _, not starting with a digit, at most 128), got "AWS_REGION"'],
    [{ secrets: { "1X": "arn:aws:ssm:eu-central-1:222222222222:parameter/x" } }, 'web.secrets names must be an environment variable name not starting with AWS_ (letters, digits and _, not starting with a digit, at most 128), got "1X"'],
    [{ secrets: { TOKEN: "plain-text" } }, 'web.secrets.TOKEN must be the ARN of a Secrets Manager secret or an SSM parameter (secrets are passed by reference only), got "plain-text"'],
  ] as [WebServiceOptions, string][])("refuses web %j", (web, problem) => {
    expect(webServiceProblems(web)).toEqual([problem]);
  });

  it("refuses what the config schema refuses, and accepts what it accepts", () => {
    const cases: WebServiceOptions[] = [
      { port: 65535 },
      { port: 65536 },
      { healthCheckPath: `/${"h".repeat(50)}` },
      { healthCheckPath: `/${"h".repeat(51)}` },
      { healthCheckPath: "/ready?deep=1" },
      { minInstances: 25, maxInstances: 25 },
      { environment: { LOG_LEVEL: "info", _X: "1" } },
      { environment: { AWS_X: "1" } },
      { secrets: { KEY: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:k" } },
      { secrets: { KEY: "arn:aws:s3:::bucket/key" } },
    ];
    for (const web of cases) {
      const inConfig = configProblems(withService({ web })).length > 0;
      expect([web, webServiceProblems(web).length > 0]).toEqual([web, inConfig]);
    }
  });

  it("leaves values known only at plan to the resources", () => {
    expect(webServiceProblems({ port: Token.asNumber("${var.port}"), healthCheckPath: "${var.path}", secrets: { KEY: Token.asString({ ref: 1 }) } })).toEqual([]);
  });

  it.each([
    [{ minCapacity: -0.5 }, ["database.minCapacity must be from 0 to 256 capacity units, got -0.5"]],
    [{ maxCapacity: 0 }, ["database.maxCapacity must be from 1 to 256 capacity units, got 0"]],
    [{ minCapacity: 0.5, maxCapacity: 256 }, []],
  ])("judges database %j", (db, problems) => {
    expect(databaseProblems(db)).toEqual(problems);
  });
});
