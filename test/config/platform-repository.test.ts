import * as fs from "fs";
import { EXAMPLE_FILE, configProblems, configWith, exampleConfig, synthPlatform } from "../helpers";
import { platformConfigJsonSchema } from "../../src/config/schema-export";

const example = fs.readFileSync(EXAMPLE_FILE, "utf8");
const LINE = "  platformRepository: { gitlabProjectPath: acme/apps-platform } # this repository: README \"Platform CI roles\"";

/** The example with its platformRepository line replaced (line 16 of the example). */
function withRepository(replacement: string): string {
  if (!example.includes(LINE)) throw new Error("example.yaml has no platformRepository line");
  return example.replace(LINE, replacement);
}

describe("ciIdentity.platformRepository", () => {
  it("names the platform's own repository in the example", () => {
    expect(exampleConfig().ciIdentity.platformRepository).toEqual({ gitlabProjectPath: "acme/apps-platform" });
  });

  it.each([
    ["both repositories", "  platformRepository: { gitlabProjectPath: acme/apps-platform, githubRepository: acme/apps-platform }", "ciIdentity.platformRepository Only one of `gitlabProjectPath` or `githubRepository` can be given. (c.yaml:16:23)"],
    ["neither", "  platformRepository: {}", "ciIdentity.platformRepository One of `gitlabProjectPath` or `githubRepository` is required. (c.yaml:16:23)"],
    [
      "a path without a group",
      "  platformRepository: { gitlabProjectPath: apps-platform }",
      "ciIdentity.platformRepository.gitlabProjectPath must match ^[A-Za-z0-9][A-Za-z0-9_.-]*(?:\\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$ (a group, any subgroups and a project separated by /, each of letters, digits, '_', '.' and '-', e.g. group/payments-api), got \"apps-platform\" (c.yaml:16:44)",
    ],
    ["an unknown field", "  platformRepository: { gitlabProjectPath: acme/apps-platform, branch: main }", "ciIdentity.platformRepository.branch is not a known field; allowed here: gitlabProjectPath, githubRepository (c.yaml:16:64)"],
    [
      "a service's repository",
      "  platformRepository: { gitlabProjectPath: acme/payments/payments-api }",
      "services[0] (payments-api).gitlabProjectPath must differ from ciIdentity.platformRepository.gitlabProjectPath: the platform's repository deploys no service, got \"acme/payments/payments-api\" (c.yaml:44:24)",
    ],
  ])("refuses %s, naming the field, file and line", (_, line, message) => {
    expect(configProblems(withRepository(line))).toEqual([message]);
  });

  it("needs the provider of its repository", () => {
    const text = withRepository("  platformRepository: { githubRepository: acme/apps-platform }").replace("  github: { audience: sts.amazonaws.com }\n", "").replace(/  - slug: status-page[\s\S]*?web: \{\}\n/, "");
    expect(configProblems(text)).toEqual(['ciIdentity.platformRepository.githubRepository needs ciIdentity.github to be configured, got "acme/apps-platform" (c.yaml:15:43)']);
  });

  it("is described in the JSON Schema editors show, with its default", () => {
    const schema = platformConfigJsonSchema() as any;
    const repo = schema.properties.ciIdentity.properties.platformRepository;
    expect(repo.description).toMatch(/apps-platform-ci-plan .*apps-platform-ci-apply .*Default: none/);
    expect(Object.keys(repo.properties)).toEqual(["gitlabProjectPath", "githubRepository"]);
    expect(JSON.parse(fs.readFileSync(`${__dirname}/../../platform-config.schema.json`, "utf8")).properties.ciIdentity.properties.platformRepository).toEqual(repo);
  });

  it("without it, no platform CI role and no read role exists, and the stacks still switch on ci_phase", () => {
    const config = configWith((raw) => delete raw.ciIdentity.platformRepository);
    const json = synthPlatform(config).json;
    const roleNames = [...json.values()].flatMap((j) => Object.values(j.resource?.aws_iam_role ?? {}).map((r: any) => r.name));
    expect(roleNames.filter((n) => n.startsWith("apps-platform-ci-") || n === "apps-platform-read")).toEqual([]);
    expect((json.get("environment-dev") as any).variable).toHaveProperty("ci_phase");
  });
});
