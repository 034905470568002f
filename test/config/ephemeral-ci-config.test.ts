import * as fs from "fs";
import { EXAMPLE_FILE, configProblems } from "../helpers";

const example = fs.readFileSync(EXAMPLE_FILE, "utf8");
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("the ephemeral stages' CI provider and stable stages in the config", () => {
  it("accepts the example: GitLab project, stable dev and stage in dev, prod with allowProd", () => {
    expect(configProblems(example)).toEqual([]);
  });

  it.each([
    [
      "a stable stage in a production account without allowProd",
      "    prod: { stage: prod, cognito: false, allowProd: true }",
      "    prod: { stage: prod, cognito: false }",
      'ephemeral.stableStages.prod.stage names stage "prod", which is not marked `ephemeral: true` (a production account): set ephemeral.stableStages.prod.allowProd: true to deploy the authorizer there, got "prod"',
    ],
    ["a stable stage on an unknown stage", "    stage: { stage: dev }", "    stage: { stage: qa }", 'ephemeral.stableStages.stage.stage must be one of the stages defined in stages (dev, prod), got "qa"'],
    ["a stable stage named default", "    stage: { stage: dev }", "    default: { stage: dev }", "ephemeral.stableStages.default must match"],
    ["(accepted) a GitHub repository instead, with ciIdentity.github configured", "  gitlabProjectPath: acme/authz-service", "  githubRepository: acme/authz-service", ""],
    [
      "both CI providers",
      "  gitlabProjectPath: acme/authz-service",
      "  gitlabProjectPath: acme/authz-service\n  githubRepository: acme/authz-service",
      "ephemeral Only one of `gitlabProjectPath` or `githubRepository` can be given",
    ],
    ["a malformed project path", "  gitlabProjectPath: acme/authz-service", "  gitlabProjectPath: authz", 'ephemeral.gitlabProjectPath must match'],
    ["stable stages without a CI repository", "  gitlabProjectPath: acme/authz-service\n", "", "ephemeral.stableStages needs ephemeral.gitlabProjectPath or ephemeral.githubRepository"],
  ])("refuses %s, naming the field, file and line", (_, from, to, message) => {
    expect(example).toContain(from);
    const text = example.replace(from, to);
    const problems = configProblems(text);
    if (message === "") {
      // The example configures ciIdentity.github, so the GitHub repository is accepted.
      expect(problems).toEqual([]);
      return;
    }
    const found = problems.find((p) => p.includes(message));
    expect([found, problems]).toEqual([expect.stringMatching(/\(c\.yaml:\d+:\d+\)$/), problems]);
  });

  it("names the line of the refused stable stage", () => {
    const text = example.replace("    prod: { stage: prod, cognito: false, allowProd: true }", "    prod: { stage: prod, cognito: false }");
    const problem = configProblems(text).find((p) => p.startsWith("ephemeral.stableStages.prod.stage"))!;
    expect(problem).toContain(`(c.yaml:${lineOf(text, "    prod: { stage: prod, cognito: false }")}:`);
  });

  it("refuses a GitHub repository when ciIdentity has no github issuer", () => {
    const text = example.replace("  gitlabProjectPath: acme/authz-service", "  githubRepository: acme/authz-service").replace("\n  github: { audience: sts.amazonaws.com }\n", "\n");
    expect(configProblems(text)).toContainEqual(expect.stringMatching(/^ephemeral\.githubRepository needs ciIdentity\.github to be configured, got "acme\/authz-service" \(c\.yaml:\d+:\d+\)$/));
  });
});
