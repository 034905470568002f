import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { DEFAULT_CONFIG_PATH, configFileFrom, parseConfig } from "../../src/config/loader";
import { TAG_VALUE_PATTERN } from "../../src/config/schema";
import { EXAMPLE_FILE, ROOT, configProblems } from "../helpers";

const example = fs.readFileSync(EXAMPLE_FILE, "utf8");

const problemsOf = configProblems;

/** The example with one line replaced, so each case changes exactly one thing. */
function exampleWithLine(from: string, to: string): string {
  if (!example.includes(from)) throw new Error(`example.yaml has no line ${from}`);
  return example.replace(from, to);
}

/** The example with a stage renamed, in stages and in the fleet's stages that name it. */
function exampleWithStage(from: string, to: string): string {
  const text = exampleWithLine(`  ${from}:`, `  ${to}:`);
  const fleetStage = `\n    ${from}:\n      domain:`;
  if (!text.includes(fleetStage)) throw new Error(`example.yaml's fleet has no stage ${from}`);
  // The stable authorizer stage hosted there (ephemeral.stableStages) follows the rename.
  return text.replace(fleetStage, `\n    ${to}:\n      domain:`).replace(`{ stage: ${from},`, `{ stage: ${to},`);
}

describe("the platform config loader", () => {
  it("accepts the example config and fills in the defaults", () => {
    const config = parseConfig(example, "config/example.yaml");
    expect(config.organisation).toBe("acme");
    expect(config.deploymentAccount.roleName).toBe("apps-platform-provisioner");
    expect(config.backend).toMatchObject({ kind: "s3", useLockfile: true, dynamodbLock: true, stateBootstrapBackend: "local" });
    expect(config.stages.dev.network).toEqual({ cidr: "10.20.0.0/16", azCount: 2, natMode: "single" });
    expect(config.services.map((s) => s.branchRestriction)).toEqual(["protected", "any", "main"]);
  });

  test.each([
    ["organisation: acme", "organisation: Acme", 'organisation must match ^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,19}$ (lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 20 characters), got "Acme" (c.yaml:4:15)'],
    ["region: eu-central-1", "region: eu-centrl-1", 'region must be an AWS Region, e.g. "eu-central-1", got "eu-centrl-1" (c.yaml:5:9)'],
    [
      '  accountId: "111111111111"',
      "  accountId: 111111111111",
      "deploymentAccount.accountId must be a string (quote numbers such as account ids in YAML), got 111111111111 (c.yaml:8:14)",
    ],
    ["    url: https://gitlab.com", "    url: http://gitlab.com", 'ciIdentity.gitlab.url must be an https:// URL, got "http://gitlab.com" (c.yaml:12:10)'],
    ["  kind: s3", "  kind: gcs", 'backend.kind must be "s3" or "cloud", got "gcs" (c.yaml:19:9)'],
    ['    accountId: "222222222222"', '    accountId: "2222"', 'stages.dev.accountId must match ^[0-9]{12}$ (exactly 12 digits, quoted), got "2222" (c.yaml:26:16)'],
    [
      "      cidr: 10.20.0.0/16",
      "      cidr: 10.20.0.0/29",
      'stages.dev.network.cidr must have a prefix length between /16 and /28, got "10.20.0.0/29" (c.yaml:30:13)',
    ],
    [
      "      cidr: 10.30.0.0/16",
      "      cidr: 10.30.0.0/26",
      'stages.prod.network.cidr is too small for 3 AZs: a public and a private subnet per AZ need a /25 or larger, got "10.30.0.0/26" (c.yaml:37:13)',
    ],
    [
      "      natMode: single",
      "      natMode: double",
      'stages.dev.network.natMode must be one of "single", "per-az", "none", got "double" (c.yaml:32:16)',
    ],
    [
      "      transitGatewayId: tgw-0123456789abcdef0",
      "      transitGatewayId: tgw-xyz",
      'stages.prod.network.transitGatewayId must match ^tgw-[0-9a-f]{8,17}$ (tgw- and 8 to 17 lowercase hexadecimal digits), got "tgw-xyz" (c.yaml:40:25)',
    ],
    [
      "  - slug: status-page",
      "  - slug: Status_Page",
      'services[2] (Status_Page).slug must match ^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$ (lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2 to 32 characters), got "Status_Page" (c.yaml:70:11)',
    ],
    [
      "  - slug: status-page",
      "  - slug: payments-api",
      'services[2] (payments-api).slug must be unique, already used by services[0], got "payments-api" (c.yaml:70:11)',
    ],
    [
      "    stages: [dev]",
      "    stages: [dev, staging]",
      'services[1] (webservice-aurora-example).stages[1] must be one of the stages defined in stages (dev, prod), got "staging" (c.yaml:60:19)',
    ],
    [
      "    branchRestriction: main",
      '    branchRestriction: "release/*"',
      `services[2] (status-page).branchRestriction must be "any", "protected" or a branch name matching ^(?!\\/)(?!.*\\/\\/)(?!.*\\.\\.)[A-Za-z0-9._/-]{1,200}(?<![/.])$ (one branch name of up to 200 letters, digits, '.', '_', '/' and '-', without '//' or '..', not starting with '/' nor ending with '/' or '.'; no wildcards), got "release/*" (c.yaml:72:24)`,
    ],
    [
      "      natMode: single",
      "      natMode: single\n      availabilityZones: [eu-central-1a]",
      "stages.dev.network.availabilityZones must name exactly azCount (2) zones, got 1 (c.yaml:33:26)",
    ],
    ["  natMode: single", "  natMode: single\n      colour: blue", "stages.dev.network.colour is not a known field; allowed here: cidr, azCount, natMode, transitGatewayId, availabilityZones (c.yaml:33:7)"],
  ])("refuses %j changed to %j with the message %j", (from, to, message) => {
    expect(problemsOf(exampleWithLine(from, to))).toEqual([message]);
  });

  const STAGE_RULE = `must match ^(?!default$)(?=[a-z0-9-]{1,32}$)[a-z0-9]+(?:-[a-z0-9]+)*$ (a stage name: 1 to 32 lowercase letters, digits and hyphens, each hyphen between two letters or digits; not "default", Terraform's default workspace, where a fresh checkout starts)`;

  it("refuses an alias without an anchor before it, at the alias, and aliases that expand without bound, in one line each", () => {
    const unresolved = exampleWithLine("    audience: https://gitlab.com", "    audience: *nope");
    const line = unresolved.split("\n").findIndex((l) => l.includes("*nope")) + 1;
    expect(problemsOf(unresolved)).toEqual([`is not valid YAML: the alias *nope names no anchor (&nope) set before it (c.yaml:${line}:15)`]);
    const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ..."bcdefghij".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefghij"[i]}`).join(", ")}]`)].join("\n");
    expect(problemsOf(`${laughs}\n${example}`)).toEqual(["is not valid YAML: its aliases expand to more values than the parser allows (a guard against resource exhaustion); write the values out (c.yaml:2:8)"]);
    // An alias that is set before it is used is plain YAML.
    const aliased = exampleWithLine("    url: https://gitlab.com\n    audience: https://gitlab.com", "    url: &gitlab https://gitlab.com\n    audience: *gitlab");
    expect(problemsOf(aliased)).toEqual([]);
  });

  it("refuses a stage name with a capital letter, renamed in the fleet's stages too", () => {
    expect(problemsOf(exampleWithStage("prod", "Prod"))).toEqual([`stages.Prod ${STAGE_RULE}, got "Prod" (c.yaml:33:3)`]);
  });

  // "default" is Terraform's default workspace, which every stack's workspace guard admits: a stage of
  // that name would share its state key with the stack's other stages. Names with a leading, trailing or
  // doubled hyphen go into names (ECR repositories) that refuse them.
  it.each(["default", "-prod", "prod-", "a--b", "--", "prod--2"])("refuses the stage name %j, renamed in the fleet's stages too, before anything is built", (name) => {
    expect(problemsOf(exampleWithStage("prod", name))).toEqual([`stages.${name} ${STAGE_RULE}, got ${JSON.stringify(name)} (c.yaml:33:3)`]);
  });

  it.each(["prod-2", "a-b-c", "x", "pr-1", "2prod", "p0"])("takes the stage name %j", (name) => {
    expect(problemsOf(exampleWithStage("prod", name))).toEqual([]);
  });

  test.each([
    ["  stage: dev", "  stage: prod", "ephemeral.stage must name a stage with `ephemeral: true` (ephemeral stacks stay out of production accounts), or set allowProd: true, got \"prod\""],
    ["  stage: dev", "  stage: qa", "ephemeral.stage must be one of the stages defined in stages (dev, prod), got \"qa\""],
    ["  accountAlias: acme-dev", "  accountAlias: Acme_Dev", "ephemeral.accountAlias must match ^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$ (1 to 20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen), got \"Acme_Dev\""],
    [
      "  maxStages: 10",
      "  maxStages: 10\n  ses:\n    identityArn: arn:aws:ses:us-east-1:222222222222:identity/acme.example\n    fromAddress: noreply@acme.example",
      "ephemeral.ses.identityArn must be in the region of the user pool (eu-central-1): Cognito sends only through SES in its own region, got \"arn:aws:ses:us-east-1:222222222222:identity/acme.example\"",
    ],
    [
      "  maxStages: 10",
      "  maxStages: 10\n  ses:\n    identityArn: arn:aws:ses:eu-central-1:999999999999:identity/acme.example\n    fromAddress: noreply@acme.example",
      "ephemeral.ses.identityArn must be in the account of the user pool (222222222222): sending from another account needs SES authorization, which the platform does not set up, got \"arn:aws:ses:eu-central-1:999999999999:identity/acme.example\"",
    ],
    ["  accountAlias: acme-dev", "  accountAlias: acme-", "ephemeral.accountAlias must match ^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$ (1 to 20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen), got \"acme-\""],
    ["  accountAlias: acme-dev", "  accountAlias: \"---\"", "ephemeral.accountAlias must match ^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$ (1 to 20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen), got \"---\""],
    ["  accountAlias: acme-dev", "  accountAlias: acme--dev", "ephemeral.accountAlias must match ^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$ (1 to 20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen), got \"acme--dev\""],
    // Tag values: AWS refuses these at apply, after the plan was reviewed.
    ["  owner: platform-team", "  owner: \"team; rm -rf\"", `ephemeral.owner must be an AWS tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @ (${TAG_VALUE_PATTERN.source}), got "team; rm -rf"`],
    ["  owner: platform-team", `  owner: ${"x".repeat(257)}`, `ephemeral.owner must be an AWS tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @ (${TAG_VALUE_PATTERN.source}), got "${"x".repeat(257)}"`],
    ["  repo: acme/authz-service", "  repo: \"acme/authz#1\"", `ephemeral.repo must be an AWS tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @ (${TAG_VALUE_PATTERN.source}), got "acme/authz#1"`],
    ["  repo: acme/authz-service", "  repo: \"\"", `ephemeral.repo must be an AWS tag value: 1 to 256 letters, digits, spaces and _ . : / = + - @ (${TAG_VALUE_PATTERN.source}), got ""`],
  ])("refuses the ephemeral setting %j changed to %j: %s", (from, to, message) => {
    const problems = problemsOf(exampleWithLine(from, to));
    expect(problems.map((p) => p.replace(/ \(c\.yaml:\d+:\d+\)$/, ""))).toEqual([message]);
  });

  it("refuses two services whose names would coincide in some stage", () => {
    const raw = YAML.parse(example);
    raw.stages["api-prod"] = { ...raw.stages.prod, accountId: "444444444444", zoneName: "api-prod.acme.example", network: { cidr: "10.40.0.0/16" } };
    delete raw.stages["api-prod"].network.transitGatewayId;
    raw.services[0].stages = ["prod"];
    raw.services[2] = { slug: "payments", githubRepository: "acme/payments", stages: ["api-prod"] };
    expect(problemsOf(YAML.stringify(raw)).map((p) => p.replace(/ \(c\.yaml:\d+:\d+\)$/, ""))).toEqual([
      'services[2] (payments).slug names its roles and resources in stage api-prod "payments-api-prod-…", as payments-api does in stage prod, got "payments"',
    ]);
  });

  test.each([
    // Where the mistake is: line and column of the offending character, as an editor counts them.
    ["a line indented less than its siblings", "    zoneName: dev.apps.acme.example", "   zoneName: dev.apps.acme.example", 27, 4, "All mapping items must start at the same column"],
    ["a line indented more than its siblings", "    zoneName: dev.apps.acme.example", "      zoneName: dev.apps.acme.example", 27, 7, "All mapping items must start at the same column"],
    ["a line indented under a plain value", "    ephemeral: true", "    ephemeral: true\n      colour: blue", 29, 7, "(this line is indented deeper than the one before it)"],
    ["a quote never closed", "region: eu-central-1", 'region: "eu-central-1', 5, 9, 'Missing closing "quote (it opens here and is never closed)'],
    ["a flow list never closed", "    protectedBranches: [main]", "    protectedBranches: [main", 14, 24, "(it opens here and is never closed)"],
    ["a tab as indentation", "    zoneName: dev.apps.acme.example", "\tzoneName: dev.apps.acme.example", 27, 1, "Tabs are not allowed as indentation"],
    // The YAML parser throws on this one instead of reporting it.
    ["an escape past the last code point", "        LOG_LEVEL: info", '        LOG_LEVEL: "\\U00110000"', 54, 21, "the escape \\U00110000 is past the last Unicode code point"],
  ])("points a YAML syntax error, %s, at its line and column", (_what, from, to, line, column, says) => {
    const problems = problemsOf(exampleWithLine(from, to));
    expect(problems[0]).toMatch(/^is not valid YAML: /);
    expect(problems[0]).toContain(says);
    expect(problems[0]).toMatch(new RegExp(`\\(c\\.yaml:${line}:${column}\\)$`));
    expect(new Set(problems).size).toBe(problems.length);
  });

  test.each([
    ["apps-platform", "must not be \"apps-platform\": it is the app tag of the platform's own stacks (state-bootstrap, ci-identity, environment-<stage>), reserved (apps-platform, authz, accessos)"],
    ["authz", "must not be \"authz\": it is the app tag of the ephemeral stacks (ephemeral.project), reserved (apps-platform, authz, accessos)"],
  ])("refuses the service slug %j, an app tag the platform uses for its own stacks", (slug, message) => {
    // (apps-platform also makes the platform's state bucket and lock table names, refused as such.)
    expect(problemsOf(exampleWithLine("  - slug: status-page", `  - slug: ${slug}`))[0]).toBe(`services[2] (${slug}).slug ${message}, got "${slug}" (c.yaml:70:11)`);
  });

  it("reports a reserved slug together with every other problem of the config", () => {
    const text = exampleWithLine("  - slug: status-page", "  - slug: authz").replace("organisation: acme", "organisation: Acme");
    const problems = problemsOf(text);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^organisation must match /);
    expect(problems[1]).toMatch(/^services\[2\] \(authz\)\.slug must not be "authz"/);
  });

  it.each([
    [
      "a prod service named after the dev zone's label",
      (raw: any) => raw.services.push({ slug: "dev", githubRepository: "acme/dev", stages: ["prod"] }),
      /^services\[3\] \(dev\)\.slug names "dev\.apps\.acme\.example" in stage prod, which holds stages\.dev\.zoneName "dev\.apps\.acme\.example": the service could write that stage's records/,
    ],
    [
      "a dev service whose name holds a third stage's zone",
      (raw: any) => {
        raw.stages.qa = { ...raw.stages.dev, zoneName: "qa.dev.apps.acme.example", network: { cidr: "10.40.0.0/16", azCount: 2, natMode: "single" } };
        raw.services.push({ slug: "qa", githubRepository: "acme/qa", stages: ["dev"] });
      },
      /^services\[3\] \(qa\)\.slug names "qa\.dev\.apps\.acme\.example" in stage dev, which holds stages\.qa\.zoneName/,
    ],
    ["two stages with one zone", (raw: any) => (raw.stages.prod.zoneName = raw.stages.dev.zoneName), /^stages\.prod\.zoneName must differ from stages\.dev\.zoneName/],
    [
      "a service whose state bucket and lock table are the platform's",
      (raw: any) => {
        raw.backend.bucket = "acme-platform-tfstate";
        raw.backend.lockTable = "acme-platform-tflock";
        raw.services.push({ slug: "platform", githubRepository: "acme/platform", stages: ["dev"] });
      },
      /^services\[3\] \(platform\)\.slug makes the state bucket name "acme-platform-tfstate", which is the platform's state bucket \(backend\.bucket\)/,
    ],
    ["Terraform's interpolation in a value", (raw: any) => (raw.services[0].web.environment.LOG_LEVEL = '${file("/etc/passwd")}'), /^services\[0\] \(payments-api\)\.web\.environment\.LOG_LEVEL must not contain \$\{ or %\{/],
    ["a template directive in the GitLab audience", (raw: any) => (raw.ciIdentity.gitlab.audience = "%{ if true }x%{ endif }"), /^ciIdentity\.gitlab\.audience must not contain \$\{ or %\{/],
    ["a stage listed twice for a service", (raw: any) => (raw.services[0].stages = ["dev", "dev"]), /^services\[0\] \(payments-api\)\.stages\[1\] must be listed once, already at stages\[0\]/],
    ["two stages in one account", (raw: any) => (raw.stages.prod.accountId = raw.stages.dev.accountId), /^stages\.prod\.accountId must differ from stages\.dev\.accountId/],
    [
      "a service named into the platform's own names",
      (raw: any) => {
        raw.stages.platform = { accountId: "444444444444", zoneName: "platform.acme.example", network: { cidr: "10.50.0.0/16", azCount: 2, natMode: "single" } };
        raw.services.push({ slug: "apps", githubRepository: "acme/apps", stages: ["platform"] });
      },
      /^services\[3\] \(apps\)\.slug names its resources in stage platform "apps-platform…", which is the platform's own name space/,
    ],
    ["the platform's state key given as another's alias ARN", (raw: any) => (raw.backend.kmsKeyId = "arn:aws:kms:eu-central-1:111111111111:alias/apps-platform/payments-api/tfstate"), /^backend\.kmsKeyId must be alias\/apps-platform\/tfstate or a key outside alias\/apps-platform\//],
    ["a stage's platform key as the state key", (raw: any) => (raw.backend.kmsKeyId = "alias/apps-platform/dev/platform"), /^backend\.kmsKeyId must be alias\/apps-platform\/tfstate/],
  ])("refuses %s: its roles could write what is not its own", (_, change, message) => {
    const raw = YAML.parse(example);
    change(raw);
    const problems = problemsOf(YAML.stringify(raw));
    expect(problems.some((p) => message.test(p))).toBe(true);
  });

  it("refuses the platform's own app tag as the ephemeral project", () => {
    expect(problemsOf(exampleWithLine("  project: authz", "  project: apps-platform"))).toEqual([
      `ephemeral.project must not be "apps-platform": it is the app tag of the platform's own stacks, got "apps-platform" (c.yaml:80:12)`,
    ]);
  });

  it("names a service by its slug only when the slug is readable", () => {
    const raw = YAML.parse(example);
    raw.services[2].slug = "a slug with spaces and {braces}";
    expect(problemsOf(YAML.stringify(raw)).map((p) => p.replace(/ \(c\.yaml:\d+:\d+\)$/, ""))).toEqual([
      expect.stringMatching(/^services\[2\]\.slug must match /),
    ]);
  });

  it("refuses a YAML syntax error with its location", () => {
    expect(problemsOf("organisation: acme\nregion: [eu-central-1\n")).toEqual([
      expect.stringMatching(/^is not valid YAML: .* \(c\.yaml:\d+:\d+\)$/),
    ]);
  });

  it("reports every planted mistake of a config at once, each with file, path and line", () => {
    const file = path.join(ROOT, "test", "fixtures", "planted-mistakes.yaml");
    const problems = problemsOf(fs.readFileSync(file, "utf8"), "test/fixtures/planted-mistakes.yaml");
    const located = problems.map((p) => /^(\S+(?: \([^)]+\)\S*)?) .* \(test\/fixtures\/planted-mistakes\.yaml:(\d+):\d+\)$/.exec(p)?.slice(1, 3));
    expect(located).toEqual([
      ["organisation", "1"],
      ["region", "2"],
      ["deploymentAccount.accountId", "4"],
      ["ciIdentity.gitlab.url", "7"],
      ["backend.kind", "9"],
      ["stages.dev.accountId", "13"],
      ["stages.dev.network.cidr", "16"],
      ["stages.dev.network.natMode", "18"],
      ["stages.Prod", "19"],
      ["stages.Prod.network.cidr", "23"],
      ["stages.Prod.colour", "25"],
      ["services[0] (Payments_API).slug", "32"],
      ["services[1] (orders).gitlabProjectPath", "35"],
      ["services[1] (orders).stages[1]", "36"],
      ["services[2] (orders).slug", "37"],
      ["services[2] (orders).githubRepository", "38"],
      ["services[3] (a-very-long-service-slug-name-xy).slug", "39"],
    ]);
  });

  it("names every AWS limit a long slug breaks in one message, counting App Runner's names only for App Runner services", () => {
    const text = exampleWithStage("prod", "production-eu-central").replace("  - slug: status-page", "  - slug: status-page-for-customers");
    expect(problemsOf(text)).toEqual([
      'services[0] (payments-api).slug makes the App Runner auto scaling configuration name "payments-api-production-eu-central" 34 characters long (AWS allows 32), got "payments-api" (c.yaml:43:11)',
      // The fleet runs in the renamed stage too, and its load balancers' names are limited as well.
      'fleet.product makes in stage production-eu-central the load balancer name "accessos-production-eu-central-99" 33 characters long (AWS allows 32), got "accessos" (c.yaml:98:12)',
    ]);
  });

  test.each([
    ["      memory: 2048", "      memory: 3000", "services[0] (payments-api).web.memory must be one of 2048, 3072, 4096 with cpu 1024 on appRunner, got 3000"],
    ["      cpu: 1024", "      cpu: 3000", "services[0] (payments-api).web.cpu must be one of 256, 512, 1024, 2048, 4096 on appRunner, got 3000"],
    ['    image: "1.4.2"', "", "services[0] (payments-api).image is required when deployService is true (the tag to run)"],
    ["        LOG_LEVEL: info", "        AWS_REGION: x", "services[0] (payments-api).web.environment.AWS_REGION must be an environment variable name not starting with AWS_, got \"AWS_REGION\""],
    ["        LOG_LEVEL: info", "        LOG_LEVEL: info\n      secrets:\n        DB_PASSWORD: hunter2", "services[0] (payments-api).web.secrets.DB_PASSWORD must be the ARN of a Secrets Manager secret or an SSM parameter, got \"hunter2\""],
    ["      maxCapacity: 2", "      maxCapacity: 2\n      minCapacity: 4", "services[1] (webservice-aurora-example).database.maxCapacity must be at least minCapacity (4), got 2"],
  ])("refuses the service option %j changed to %j: %s", (from, to, message) => {
    const problems = problemsOf(exampleWithLine(from, to));
    expect(problems.map((p) => p.replace(/ \(c\.yaml:\d+:\d+\)$/, ""))).toEqual([message]);
    expect(problems[0]).toMatch(/ \(c\.yaml:\d+:\d+\)$/);
  });
});

describe("the config file a command reads", () => {
  it("is --config, else a non-empty PLATFORM_CONFIG, else the example, each with where it came from", () => {
    expect(configFileFrom("a.yaml", { PLATFORM_CONFIG: "b.yaml" }, "/w")).toEqual({ file: "/w/a.yaml", origin: "--config" });
    expect(configFileFrom(undefined, { PLATFORM_CONFIG: "b.yaml" }, "/w")).toEqual({ file: "/w/b.yaml", origin: "PLATFORM_CONFIG" });
    expect(configFileFrom(undefined, { PLATFORM_CONFIG: "" }, "/w")).toEqual({ file: DEFAULT_CONFIG_PATH });
    expect(configFileFrom(undefined, {}, "/w")).toEqual({ file: DEFAULT_CONFIG_PATH });
  });
});

describe("a key given twice in one mapping", () => {
  const twice = "is given twice in one mapping";
  it("is named with its path, its line and the first one's, beside every other problem of the config", () => {
    const text = exampleWithLine("region: eu-central-1", "region: eu-central-1\nregion: eu-west-1").replace("        LOG_LEVEL: info", "        LOG_LEVEL: info\n        LOG_LEVEL: debug").replace("azCount: 2", 'azCount: "2"');
    const lines = text.split("\n");
    const line = (s: string, nth = 1) => lines.reduce<number[]>((acc, l, i) => (l.includes(s) ? [...acc, i + 1] : acc), [])[nth - 1];
    const problems = problemsOf(text);
    expect(problems).toContain(`region ${twice} (first on line ${line("region: eu-central-1")}): a key appears once; the value would depend on the reader (c.yaml:${line("region: eu-west-1")}:1)`);
    expect(problems).toContain(`services[0] (payments-api).web.environment.LOG_LEVEL ${twice} (first on line ${line("LOG_LEVEL: info")}): a key appears once; the value would depend on the reader (c.yaml:${line("LOG_LEVEL: debug")}:9)`);
    expect(problems.some((p) => p.startsWith("stages.dev.network.azCount must be a number"))).toBe(true);
  });

  it("is found in lists of mappings and in nested ones, and a key given once each in two mappings is no duplicate", () => {
    const text = example.replace("  - slug: payments-api\n", "  - slug: payments-api\n    slug: payments-api\n");
    expect(problemsOf(text).filter((p) => p.includes(twice))).toEqual([expect.stringMatching(/^services\[0\] \(payments-api\)\.slug is given twice/)]);
    expect(problemsOf(example).filter((p) => p.includes(twice))).toEqual([]);
  });
});

describe("YAML the config does not take", () => {
  it("is named for what it is: a merge key, a tag, binary data, an infinite number, a second document, a key that is a mapping", () => {
    const merged = exampleWithLine("    network:\n      cidr: 10.20.0.0/16", "    network: &dev-network\n      cidr: 10.20.0.0/16").replace("    network:\n      cidr: 10.30.0.0/16", "    network:\n      <<: *dev-network\n      cidr: 10.30.0.0/16");
    expect(problemsOf(merged)).toEqual([expect.stringMatching(/^stages\.prod\.network\.<< is a YAML merge key, which the config does not take: write the fields out, or alias the whole mapping/)]);
    expect(problemsOf(exampleWithLine("azCount: 2", "azCount: .inf"))).toEqual([expect.stringMatching(/^stages\.dev\.network\.azCount must be a number, got \.inf \(infinite, or too large a number\)/)]);
    expect(problemsOf(exampleWithLine("azCount: 2", "azCount: 1e400"))).toEqual([expect.stringMatching(/got \.inf \(infinite, or too large a number\)/)]);
    expect(problemsOf(exampleWithLine("azCount: 2", "azCount: .nan"))).toEqual([expect.stringMatching(/got \.nan \(not a number\)/)]);
    expect(problemsOf(exampleWithLine("region: eu-central-1", "region: !!binary aGVsbG8="))).toEqual([expect.stringMatching(/^region must be a string, got binary data \(!!binary\)/)]);
    expect(problemsOf(exampleWithLine("region: eu-central-1", "region: !mine eu-central-1"))).toEqual([expect.stringMatching(/^!mine is a YAML tag the config does not take; write the value without it \(c\.yaml:5:9\)$/)]);
    expect(problemsOf(`${example}\n---\nregion: eu-west-1\n`)).toEqual([expect.stringMatching(/^is not valid YAML: the config is one YAML document; a second one starts here/)]);
    expect(problemsOf(exampleWithLine("region: eu-central-1", "region: eu-central-1\n? [a, b]\n: x"))).toEqual([expect.stringMatching(/^has a key that is a list or a mapping: a key is a name \(c\.yaml:6:3\)$/)]);
  });
});

describe("a stage's Availability Zones", () => {
  const withZones = (zones: string) => exampleWithLine("      azCount: 2\n", `      azCount: 2\n      availabilityZones: ${zones}\n`);
  it("are zones of the config's region, each named once", () => {
    expect(problemsOf(withZones("[eu-central-1a, eu-central-1b]"))).toEqual([]);
    expect(problemsOf(withZones("[us-east-1a, eu-central-1b]"))).toEqual([expect.stringMatching(/^stages\.dev\.network\.availabilityZones\[0\] must be a zone of the config's region eu-central-1 \(eu-central-1a, eu-central-1b, \.\.\.\), got "us-east-1a"/)]);
    expect(problemsOf(withZones("[eu-central-1a, eu-central-1a]"))).toEqual([expect.stringMatching(/^stages\.dev\.network\.availabilityZones\[1\] must be listed once, already at availabilityZones\[0\]: each AZ gets its own subnets, got "eu-central-1a"/)]);
    expect(problemsOf(withZones("[eu-central-1a, eu-central-12]"))).toEqual([expect.stringMatching(/availabilityZones\[1\] must be an Availability Zone name such as eu-central-1a, got "eu-central-12"/)]);
  });
});

describe("a field of the other kind of backend", () => {
  it("is named with the fields the backend's kind takes", () => {
    const cloud = exampleWithLine("  kind: s3\n", "  kind: cloud\n  organization: acme\n");
    const problems = problemsOf(cloud).filter((p) => p.startsWith("backend.bucket"));
    expect(problems).toEqual([expect.stringMatching(/^backend\.bucket is not a known field; allowed here: kind, organization, /)]);
    expect(problemsOf(exampleWithLine("  kind: s3\n", "  kind: s3\n  organization: acme\n"))).toEqual([expect.stringMatching(/^backend\.organization is not a known field; allowed here: kind, bucket, /)]);
  });
});
