import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { Testing } from "cdktf";
import { buildPlatform, stackNamesOf } from "../../src/app";
import { PlatformConfig } from "../../src/config/schema";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { FleetContractReader } from "../../src/fleet/contract";
import { parseConfig } from "../../src/config/loader";
import { TFC_AWS_AUDIENCE } from "../../src/tfc/names";
import { TfcWorkspace, tfcWorkspaces } from "../../src/tfc/workspaces";
import { EXAMPLE_FILE, ROOT, TfJson, configProblems, resourcesOf } from "../helpers";
import { CLOUD_EXAMPLE_FILE, cloudFixture } from "../iam/tfc-trust";

const { config, synthesized } = cloudFixture();
const tfc = synthesized.json.get("tfc")!;
const workspaces = tfcWorkspaces(config);

/** The tfc stack's tfe_workspace resources by workspace name, with their Terraform ids. */
function workspaceResources(json: TfJson): Map<string, { id: string; r: Record<string, any> }> {
  return new Map(Object.entries(json.resource!.tfe_workspace).map(([id, r]) => [(r as any).name as string, { id, r: r as Record<string, any> }]));
}
const madeWorkspaces = workspaceResources(tfc);
const nameOfRef = (ref: string) => [...madeWorkspaces].find(([, w]) => ref === `\${tfe_workspace.${w.id}.id}`)?.[0];

describe("config/example-cloud.yaml", () => {
  it("is config/example.yaml with the cloud backend: nothing else differs", () => {
    const s3 = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
    const cloud = YAML.parse(fs.readFileSync(CLOUD_EXAMPLE_FILE, "utf8"));
    expect(cloud.backend.kind).toBe("cloud");
    expect(s3.backend.kind).toBe("s3");
    delete s3.backend;
    delete cloud.backend;
    expect(cloud).toEqual(s3);
  });
});

describe("the tfc stack's workspaces", () => {
  it("are every stack of the config but the tfc stack itself and the ephemeral template, in the order they are first applied", () => {
    expect(workspaces.map((w) => w.name)).toEqual(stackNamesOf(config).filter((n) => n !== "tfc" && n !== "ephemeral"));
    expect([...madeWorkspaces.keys()].sort()).toEqual(workspaces.map((w) => w.name).sort());
  });

  it("take their configuration from generated/<stack> of the repository's branch, run remotely with the pinned Terraform, and wait for confirmation to apply", () => {
    const version = fs.readFileSync(path.join(ROOT, ".terraform-version"), "utf8").trim();
    for (const [name, { r }] of madeWorkspaces) {
      expect([name, r]).toEqual([
        name,
        expect.objectContaining({
          organization: "acme",
          project_id: "${data.tfe_project.project.id}",
          working_directory: `generated/${name}`,
          trigger_patterns: [`generated/${name}/**`],
          file_triggers_enabled: true,
          vcs_repo: { identifier: "acme/apps-platform", branch: "main", github_app_installation_id: "ghain-AbCdEf0123456789" },
          terraform_version: version,
          auto_apply: false,
          auto_apply_run_trigger: false,
          queue_all_runs: false,
        }),
      ]);
    }
    const settings = resourcesOf(tfc, "tfe_workspace_settings") as Record<string, any>[];
    expect(settings).toHaveLength(workspaces.length);
    for (const s of settings) expect([nameOfRef(s.workspace_id), s.execution_mode, s.global_remote_state]).toEqual([expect.any(String), "remote", false]);
    expect(tfc.data!.tfe_project.project).toMatchObject({ name: "apps-platform", organization: "acme" });
    // Workspaces the CLI creates in the project (the tfc stack's own, ephemeral stages) run locally.
    expect(resourcesOf(tfc, "tfe_project_settings")).toEqual([expect.objectContaining({ default_execution_mode: "local" })]);
  });

  it("apply without confirmation only when the config says autoApply, and are CLI-driven without vcs", () => {
    const raw = YAML.parse(fs.readFileSync(CLOUD_EXAMPLE_FILE, "utf8"));
    raw.backend.autoApply = true;
    delete raw.backend.vcs;
    const json = synthTfc(parseConfig(YAML.stringify(raw), "cloud.yaml"));
    for (const { r } of workspaceResources(json).values()) {
      expect(r).toMatchObject({ auto_apply: true, auto_apply_run_trigger: true });
      expect(r.vcs_repo).toBeUndefined();
      expect(r.trigger_patterns).toBeUndefined();
    }
  });

  it("queue a run after each workspace whose contract they read, as the stacks' readers show", () => {
    const app = Testing.app();
    const stacks = buildPlatform(app, config);
    const reads = new Map<string, Set<string>>();
    for (const stack of stacks) {
      const from = new Set<string>();
      for (const c of stack.node.findAll()) {
        if (c instanceof ContractReader) {
          from.add(`environment-${(c as any).stage}`);
          if ((c as any).props.serviceParameterPrefix) from.add(`onboarding-${stack.node.id.replace(/^service-/, "").replace(/-[^-]+$/, "")}`);
        }
        if (c instanceof FleetContractReader) from.add(stack.node.id.replace(/^tenant-.*-([^-]+)$/, "fleet-$1"));
      }
      reads.set(stack.node.id, from);
    }
    for (const ws of workspaces) expect([ws.name, [...ws.sources].sort()]).toEqual([ws.name, [...reads.get(ws.name)!].sort()]);
    // Every environment's contract has readers, and the run triggers are exactly the sources.
    expect(workspaces.filter((w) => w.sources.includes("environment-prod")).length).toBeGreaterThan(3);
    const triggers = (resourcesOf(tfc, "tfe_run_trigger") as Record<string, string>[]).map((t) => `${nameOfRef(t.sourceable_id)} -> ${nameOfRef(t.workspace_id)}`).sort();
    expect(triggers).toEqual(workspaces.flatMap((w) => w.sources.map((s) => `${s} -> ${w.name}`)).sort());
  });
});

describe("the runs' dynamic AWS credentials", () => {
  const variables = (resourcesOf(tfc, "tfe_variable") as Record<string, any>[]).map((v) => ({ ws: nameOfRef(v.workspace_id)!, key: v.key as string, value: v.value as string, category: v.category, sensitive: v.sensitive }));
  const varsOf = (ws: string) => Object.fromEntries(variables.filter((v) => v.ws === ws).map((v) => [v.key, v.value]));

  it("are environment variables of each workspace: auth on, the audience, and the plan and apply roles of each configuration", () => {
    expect(variables.every((v) => v.category === "env" && !v.sensitive)).toBe(true);
    expect(varsOf("environment-dev")).toEqual({
      TFC_AWS_PROVIDER_AUTH: "true",
      TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE: TFC_AWS_AUDIENCE,
      TFC_AWS_PLAN_ROLE_ARN: "arn:aws:iam::222222222222:role/apps-platform/tfc/tfc-environment-dev-plan",
      TFC_AWS_APPLY_ROLE_ARN: "arn:aws:iam::222222222222:role/apps-platform/tfc/tfc-environment-dev-apply",
    });
    // A service stack plans as the service's read role and applies as its deploy role.
    expect(varsOf("service-payments-api-prod")).toMatchObject({
      TFC_AWS_PLAN_ROLE_ARN: "arn:aws:iam::333333333333:role/apps-platform/read/payments-api-prod-read",
      TFC_AWS_APPLY_ROLE_ARN: "arn:aws:iam::333333333333:role/apps-platform/deploy/payments-api-prod-deploy",
    });
    // Onboarding works in the deployment account (default) and in each stage's account (tagged).
    expect(varsOf("onboarding-payments-api")).toMatchObject({
      TFC_AWS_PLAN_ROLE_ARN: "arn:aws:iam::111111111111:role/apps-platform/tfc/tfc-onboarding-payments-api-plan",
      TFC_AWS_PROVIDER_AUTH_STAGE_DEV: "true",
      TFC_AWS_PLAN_ROLE_ARN_STAGE_DEV: "arn:aws:iam::222222222222:role/apps-platform/tfc/tfc-onboarding-payments-api-plan",
      TFC_AWS_APPLY_ROLE_ARN_STAGE_PROD: "arn:aws:iam::333333333333:role/apps-platform/tfc/tfc-onboarding-payments-api-apply",
    });
    expect(variables).toHaveLength(4 * workspaces.reduce((n, w) => n + w.credentials.length, 0));
  });

  it("match every workspace stack's providers: one configuration per provider and account, used as it is, without a role assumed on top", () => {
    const credentialsOf = (ws: TfcWorkspace) => ws.credentials.map((c) => `${c.tag ?? "default"}@${c.accountId}`).sort();
    for (const ws of workspaces) {
      const json = synthesized.json.get(ws.name)!;
      const providers = (json.provider!.aws as Record<string, any>[]).map((p) => ({ alias: p.alias as string | undefined, account: p.allowed_account_ids[0] as string, p }));
      expect([ws.name, providers.map((p) => `${p.alias ? p.alias.toUpperCase() : "default"}@${p.account}`).sort()]).toEqual([ws.name, credentialsOf(ws)]);
      for (const { alias, p } of providers) {
        expect([ws.name, alias, p.assume_role]).toEqual([ws.name, alias, undefined]);
        expect([ws.name, alias, p.shared_config_files]).toEqual([ws.name, alias, alias ? [`\${var.tfc_aws_dynamic_credentials.aliases["${alias.toUpperCase()}"].shared_config_file}`] : undefined]);
      }
      expect(Object.keys((json as any).variable ?? {}).includes("tfc_aws_dynamic_credentials")).toBe(providers.some((p) => p.alias));
    }
    // A service stack has no role to pass for a plan: the phase's credential is the role.
    expect((synthesized.json.get("service-payments-api-dev") as any).variable?.platform_role_arn).toBeUndefined();
    // The tfc stack runs with the operator's credentials, and the ephemeral stages with their pipeline's, through the provisioner roles.
    for (const stack of ["tfc", "ephemeral"]) {
      // ci_phase=apply (the default) picks the provisioner; plan, the account's read role.
      for (const p of synthesized.json.get(stack)!.provider!.aws as Record<string, any>[])
        expect([stack, p.assume_role[0].role_arn]).toEqual([stack, expect.stringMatching(/^\$\{\(var\.ci_phase == "plan"\) \? "[^"]+:role\/apps-platform\/ci\/apps-platform-read" : "[^"]+:role\/apps-platform-provisioner"\}$/)]);
    }
  });

  it("come from one OIDC provider of the host in every account, for the audience aws.workload.identity", () => {
    const providers = resourcesOf(tfc, "aws_iam_openid_connect_provider") as Record<string, any>[];
    expect(providers.map((p) => [p.url, p.client_id_list, p.provider ?? "aws"]).sort()).toEqual([
      ["https://app.terraform.io", [TFC_AWS_AUDIENCE], "aws"],
      ["https://app.terraform.io", [TFC_AWS_AUDIENCE], "aws.stage_dev"],
      ["https://app.terraform.io", [TFC_AWS_AUDIENCE], "aws.stage_prod"],
    ]);
  });
});

describe("the cloud backend's config", () => {
  const cloudText = fs.readFileSync(CLOUD_EXAMPLE_FILE, "utf8");
  it("takes the repository through exactly one of an OAuth token or a GitHub App installation", () => {
    expect(configProblems(cloudText.replace("    githubAppInstallationId: ghain-AbCdEf0123456789\n", ""), "cloud.yaml")).toEqual([
      "backend.vcs needs one of `oauthTokenId` or `githubAppInstallationId`: how HCP Terraform reaches the repository (cloud.yaml:27:5)",
    ]);
    expect(configProblems(cloudText.replace("    githubAppInstallationId:", "    oauthTokenId: ot-AbCdEf0123456789\n    githubAppInstallationId:"), "cloud.yaml")).toEqual([
      "backend.vcs Only one of `oauthTokenId` or `githubAppInstallationId` can be given. (cloud.yaml:27:5)",
    ]);
  });

  it("names what is wrong with a field, where, and what was given", () => {
    expect(configProblems(cloudText.replace("githubAppInstallationId: ghain-AbCdEf0123456789", "githubAppInstallationId: 12345"), "cloud.yaml")).toEqual([
      "backend.vcs.githubAppInstallationId must be a string (quote numbers such as account ids in YAML), got 12345 (cloud.yaml:29:30)",
    ]);
    expect(configProblems(cloudText.replace("project: apps-platform", "project: 'apps:platform'"), "cloud.yaml")).toEqual([
      `backend.project must match ^[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,38}[A-Za-z0-9_-])?$ (1 to 40 letters, digits, '_', '-' and inner spaces), got "apps:platform" (cloud.yaml:24:12)`,
    ]);
    expect(configProblems(cloudText.replace("  autoApply: false", "  autoApply: yes please"), "cloud.yaml")).toEqual(['backend.autoApply must be true or false, got "yes please" (cloud.yaml:30:14)']);
  });

  it("refuses a fleet tenant whose workspace's role names IAM would refuse", () => {
    const id = "a".repeat(32);
    const stage = "s".repeat(16);
    const withLong = (kind: "cloud" | "s3") => {
      const raw = YAML.parse(fs.readFileSync(kind === "cloud" ? CLOUD_EXAMPLE_FILE : EXAMPLE_FILE, "utf8"));
      raw.stages[stage] = { accountId: "444444444444", zoneName: "long.apps.acme.example", network: { cidr: "10.40.0.0/16" } };
      raw.fleet.stages[stage] = { domain: "accessos.long.apps.acme.example" };
      raw.fleet.tenants[1].id = id;
      return configProblems(YAML.stringify(raw), "cloud.yaml");
    };
    expect(withLong("cloud")).toEqual([
      expect.stringMatching(
        new RegExp(`^fleet.tenants\\[1\\].id makes the workspace "tenant-${id}-${stage}" with the plan role name "tfc-tenant-${id}-${stage}-plan" 65 characters long \\(AWS allows 64\\) and the apply role name "tfc-tenant-${id}-${stage}-apply" 66 characters long \\(AWS allows 64\\), got "${id}" \\(cloud.yaml:\\d+:\\d+\\)$`),
      ),
    ]);
    // The S3 backend makes no such roles.
    expect(withLong("s3")).toEqual([]);
  });
});

function synthTfc(c: PlatformConfig): TfJson {
  const app = Testing.app();
  const stack = buildPlatform(app, c).find((s) => s.node.id === "tfc")!;
  return JSON.parse(Testing.synth(stack));
}
