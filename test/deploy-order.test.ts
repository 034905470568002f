import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../src/config/loader";
import { PlatformConfig } from "../src/config/schema";
import { StackFacts, formatDeployOrder, prerequisites, stackFactsOf } from "../src/deploy-order";
import { deployOrder, run } from "../src/main";
import { ROOT, configWith, exampleConfig, synthPlatform } from "./helpers";

const CLOUD_FIXTURE = path.join(ROOT, "test", "fixtures", "deploy-order-cloud.yaml");

/** The "What to do next" text of a config, from its stacks as synth builds them. */
function orderOf(config: PlatformConfig): string {
  const { stacks, json } = synthPlatform(config);
  const summaries = stacks.map((s) => ({
    name: s.node.id,
    resources: 0,
    backend: s.backendDescription.location,
    workspace: s.backendDescription.workspace,
    facts: stackFactsOf(json.get(s.node.id)!, s.backendDescription.workspace),
  }));
  return deployOrder(config, summaries, path.join(process.cwd(), "generated"));
}

/** The numbered steps: the stacks (or pattern) each names, in order. */
function steps(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => /^ {2}\d+\. /.test(l))
    .map((l) => l.replace(/^ {2}\d+\. /, ""));
}

/** The lines of the step whose first line starts with `name`. */
function step(text: string, name: string): string {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.replace(/^ {2}\d+\. /, "").startsWith(name));
  if (i < 0) throw new Error(`no step ${name} in\n${text}`);
  const rest = lines.slice(i + 1);
  const end = rest.findIndex((l) => /^ {2}\d+\. /.test(l));
  return [lines[i], ...(end < 0 ? rest : rest.slice(0, end))].join("\n");
}

describe("what to do next after a synth of the example", () => {
  const text = orderOf(exampleConfig());

  it("orders the stacks so that each comes after what it needs: state, environments, onboarding, services, fleets, tenants", () => {
    expect(steps(text)).toEqual([
      "first, outside the platform (no stack creates it)",
      "state-bootstrap",
      "ci-identity",
      "environment-dev, environment-prod  (TF_WORKSPACE=<stage>)",
      "onboarding-payments-api, onboarding-webservice-aurora-example, onboarding-status-page",
      "service-<slug>-<stage> (5 stacks)  (TF_WORKSPACE=<stage>)",
      "ephemeral  (one workspace per stage: npm run ephemeral -- up --stage <stage>)",
      "authorizer-dev, authorizer-stage, authorizer-prod  (TF_WORKSPACE=<stage>)",
      "fleet-dev, fleet-prod  (TF_WORKSPACE=<stage>)",
      "tenant-<id>-<stage> (5 stacks)  (TF_WORKSPACE=<stage>)",
    ]);
  });

  it("names the provisioner role in every account as what must exist before anything, since no stack creates it", () => {
    expect(step(text, "first, outside the platform")).toBe(
      [
        "  0. first, outside the platform (no stack creates it)",
        "     the role apps-platform-provisioner in 111111111111 (deployment), 222222222222 (dev) and 333333333333 (prod), assumable by the credentials you apply with",
      ].join("\n"),
    );
  });

  it("says where each step works, as which role, and what it waits for", () => {
    expect(step(text, "state-bootstrap")).toBe(
      [
        "  1. state-bootstrap",
        "     in 111111111111 (deployment) as apps-platform-provisioner",
        "     local state first; once its bucket exists, move the state into it (README: Bootstrapping the state bucket)",
      ].join("\n"),
    );
    expect(step(text, "onboarding-")).toBe(
      [
        "  4. onboarding-payments-api, onboarding-webservice-aurora-example, onboarding-status-page",
        "     in 111111111111 (deployment), 222222222222 (dev) and 333333333333 (prod) as apps-platform-provisioner",
        "     after state-bootstrap (state bucket) and environment-<stage> (contract)",
      ].join("\n"),
    );
    expect(step(text, "service-")).toBe(
      [
        "  5. service-<slug>-<stage> (5 stacks)  (TF_WORKSPACE=<stage>)",
        "     in 222222222222 (dev) and 333333333333 (prod) as apps-platform/deploy/<slug>-<stage>-deploy (assumed from apps-platform/ci/<slug>-ci-apply)",
        "     after onboarding-<slug> (state bucket, role, contract) and environment-<stage> (contract)",
      ].join("\n"),
    );
    expect(step(text, "tenant-")).toMatch(/after state-bootstrap \(state bucket\), environment-<stage> \(contract\) and fleet-<stage> \(contract\)$/);
  });

  it("drops the local-state step once state-bootstrap keeps its state in its bucket", () => {
    const s3 = orderOf(
      configWith((raw) => {
        raw.backend.stateBootstrapBackend = "s3";
        delete raw.fleet;
      }),
    );
    expect(step(s3, "state-bootstrap")).toBe(["  1. state-bootstrap", "     in 111111111111 (deployment) as apps-platform-provisioner"].join("\n"));
  });

  it("reads the roles and accounts from the stacks: another deployment role and stage account show up as given", () => {
    const other = orderOf(
      configWith((raw) => {
        raw.deploymentAccount.roleName = "org-terraform";
        raw.stages.dev.accountId = "999999999999";
        delete raw.fleet;
      }),
    );
    expect(step(other, "first, outside")).toContain(
      "the roles org-terraform in 111111111111 (deployment) and apps-platform-provisioner in 999999999999 (dev) and 333333333333 (prod)",
    );
    expect(step(other, "ci-identity")).toContain("in 111111111111 (deployment) as org-terraform");
  });
});

describe("what to do next for a Terraform Cloud platform without ephemeral stacks or a fleet", () => {
  it("prints exactly this, every stack in its own workspace and the roles of the config", () => {
    const config = parseConfig(fs.readFileSync(CLOUD_FIXTURE, "utf8"), "test/fixtures/deploy-order-cloud.yaml");
    expect(orderOf(config)).toBe(
      [
        "What to do next: apply the stacks in this order, each in its Terraform Cloud workspace (named as the stack, in project apps of globex-infra; cd generated/<stack> && terraform init && terraform apply):",
        "  0. first, outside the platform (no stack creates it)",
        "     the roles platform-admin in 444444444444 (deployment) and platform-builder in 555555555555 (staging), assumable by the credentials you apply the tfc stack with (the workspaces then run as their own roles)",
        "  1. tfc",
        "     in 444444444444 (deployment) as platform-admin, in 555555555555 (staging) as platform-builder",
        "  2. ci-identity",
        "     in HCP Terraform, as its workspace's plan and apply roles (dynamic credentials made by tfc)",
        "     after tfc (workspace)",
        "  3. environment-staging",
        "     in HCP Terraform, as its workspace's plan and apply roles (dynamic credentials made by tfc)",
        "     after tfc (workspace)",
        "  4. onboarding-billing",
        "     in HCP Terraform, as its workspace's plan and apply roles (dynamic credentials made by tfc)",
        "     after tfc (workspace) and environment-staging (contract)",
        "  5. service-billing-staging",
        "     in HCP Terraform, as its workspace's plan and apply roles (dynamic credentials made by tfc)",
        "     after tfc (workspace), environment-staging (contract) and onboarding-billing (contract)",
      ].join("\n"),
    );
  });
});

describe("the order itself", () => {
  const facts = (over: Partial<StackFacts>): StackFacts => ({
    providers: [],
    backend: { kind: "local" },
    workspace: "default",
    creates: { buckets: [], roles: [], parameters: [] },
    reads: [],
    ...over,
  });
  const config = exampleConfig();

  it("puts a stack after the one that makes what it reads, even when synth lists it first", () => {
    const stacks = [
      { name: "reader-x", facts: facts({ reads: ["111111111111 /shared/value"] }) },
      { name: "maker-x", facts: facts({ creates: { buckets: [], roles: [], parameters: ["111111111111 /shared/value"] } }) },
    ];
    expect(prerequisites(stacks).get("reader-x")).toEqual([{ stack: "maker-x", reasons: ["contract"] }]);
    expect(steps(formatDeployOrder({ config, stacks, generatedDir: "generated", patterns: {} }))).toEqual(["maker-x", "reader-x"]);
  });

  it("does not take a parameter of the same name in another account for the one read", () => {
    const stacks = [
      { name: "reader-x", facts: facts({ reads: ["222222222222 /shared/value"] }) },
      { name: "maker-x", facts: facts({ creates: { buckets: [], roles: [], parameters: ["111111111111 /shared/value"] } }) },
    ];
    expect(prerequisites(stacks).get("reader-x")).toEqual([]);
  });

  it("refuses stacks that need each other, naming them", () => {
    const stacks = [
      { name: "a-1", facts: facts({ reads: ["1 /b"], creates: { buckets: [], roles: [], parameters: ["1 /a"] } }) },
      { name: "b-1", facts: facts({ reads: ["1 /a"], creates: { buckets: [], roles: [], parameters: ["1 /b"] } }) },
    ];
    expect(() => formatDeployOrder({ config, stacks, generatedDir: "generated", patterns: {} })).toThrow("the stacks a-1, b-1 need each other; no order applies them");
  });
});

describe("npm run synth prints what to do next", () => {
  async function synth(extra: string[]): Promise<string> {
    const dir = path.join(ROOT, ".tmp", "deploy-order-test");
    fs.rmSync(dir, { recursive: true, force: true });
    const out: string[] = [];
    const code = await run(["--config", CLOUD_FIXTURE, "--out", path.join(dir, "out"), "--generated", path.join(dir, "gen"), ...extra], {}, { out: (t) => out.push(t), err: () => undefined });
    expect(code).toBe(0);
    return out.join("");
  }

  it("after the table, unless --quiet", async () => {
    const full = await synth([]);
    const [table, next] = full.split("\n\n");
    expect(table.split("\n").pop()).toBe(`5 stacks synthesized to ${path.relative(process.cwd(), path.join(ROOT, ".tmp", "deploy-order-test", "gen"))}`);
    expect(next).toMatch(/^What to do next: apply the stacks in this order/);
    expect(next.trimEnd().split("\n")).toHaveLength(17);

    const quiet = await synth(["--quiet"]);
    expect(quiet).toBe(`${table}\n`);
  });
});
