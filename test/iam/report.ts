import * as fs from "fs";
import * as path from "path";
import { PlatformConfig } from "../../src/config/schema";
import { CommandSpec, UsageError, formatHelp, parseArgs } from "../../src/cli/args";
import { PROJECT_ROOT } from "../../src/paths";
import { twentyServices } from "../fixtures/generated-configs";
import { exampleConfig, synthPlatform } from "../helpers";
import { runMutations } from "./mutation-run";
import { SurfaceResult } from "./surface";
import { runSurface, totalsByKind } from "./surface-run";
import { fleetTenantsConfig } from "../fixtures/fleet-configs";
import { EQUIVALENT_FLEET_MUTANTS, FLEET_MUTATION_ROLES, runFleetMutations } from "./fleet-mutation";
import { FleetSurfaceResult, fleetTotalsByKind, runFleetSurface } from "./fleet-surface";
import { fleetTrustCases, runCases, trustCases } from "./trust";

/**
 * `npm run report:isolation`: runs the searching proof of the test suite (the attack surface of every
 * tenant role and every fleet role, the mutation checks, the trust cases) and writes its numbers into docs/isolation.md,
 * between the report markers. Lives beside the tests because it uses the AGPL-licensed evaluator,
 * which nothing under src/ may import.
 */

const START = "<!-- report:start (npm run report:isolation writes this part) -->";
const END = "<!-- report:end -->";

interface Section {
  readonly title: string;
  readonly config: PlatformConfig;
  readonly surface: SurfaceResult[];
  readonly trust: { cases: number; wrong: number };
}

async function section(title: string, config: PlatformConfig, deployOnly: boolean): Promise<Section> {
  const synthesized = synthPlatform(config);
  const surface = await runSurface(config, synthesized, deployOnly ? (p) => p.kind === "deploy" : () => true);
  const trust = await runCases(config, trustCases(config, synthesized));
  return { title, config, surface, trust: { cases: trust.length, wrong: trust.filter((r) => !r.ok).length } };
}

function surfaceTable(s: Section): string {
  const rows = totalsByKind(s.surface).map((t) => `| ${t.kind} | ${t.roles} | ${t.candidates} | ${t.pruned} | ${t.sampled} | ${t.evaluated} | ${t.failures} |`);
  const sum = (f: (r: SurfaceResult) => number) => s.surface.reduce((n, r) => n + f(r), 0);
  const perService = s.config.services.map((svc) => {
    const of = s.surface.filter((r) => r.principal.slug === svc.slug);
    return `${svc.slug} ${of.reduce((n, r) => n + r.candidates, 0)}`;
  });
  const failures = s.surface.flatMap((r) => r.failures);
  return [
    `### ${s.title}`,
    "",
    `${s.config.services.length} services; ${sum((r) => r.candidates)} candidate requests, ${sum((r) => r.evaluated)} decided by the evaluator, ${failures.length} allowed that must not be.`,
    "",
    "| role | roles | candidate requests | pruned (no Allow pattern matches) | of those, evaluated as a check | evaluated | wrongly allowed |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Candidate requests per service (all its roles): ${perService.join(", ")}.`,
    "",
    `Trust of the CI roles: ${s.trust.cases} OIDC cases, ${s.trust.wrong} decided wrongly.`,
    "",
    ...(failures.length > 0 ? ["**Wrongly allowed:**", "", ...failures.slice(0, 50).map((f) => `- ${f.decision}: ${f.case.description}`), ""] : []),
  ].join("\n");
}

interface FleetSection {
  readonly title: string;
  readonly config: PlatformConfig;
  readonly surface: FleetSurfaceResult[];
  readonly trust: { cases: number; wrong: number };
}

async function fleetSection(title: string, config: PlatformConfig): Promise<FleetSection> {
  const synthesized = synthPlatform(config);
  const surface = await runFleetSurface(config, synthesized);
  const trust = await runCases(config, fleetTrustCases(config, synthesized));
  return { title, config, surface, trust: { cases: trust.length, wrong: trust.filter((r) => !r.ok).length } };
}

function fleetTable(s: FleetSection): string {
  const fleet = s.config.fleet!;
  const tier = (t: "pool" | "silo") => fleet.tenants.filter((x) => x.tier === t).length;
  const rows = fleetTotalsByKind(s.surface).map((t) => `| ${t.kind} | ${t.roles} | ${t.candidates} | ${t.pruned} | ${t.sampled} | ${t.evaluated} | ${t.failures} |`);
  const sum = (f: (r: FleetSurfaceResult) => number) => s.surface.reduce((n, r) => n + f(r), 0);
  const failures = s.surface.flatMap((r) => r.failures);
  const missing = s.surface.filter((r) => r.missingBaselines.length > 0);
  return [
    `### ${s.title}`,
    "",
    `${tier("pool")} pool and ${tier("silo")} silo tenants in ${Object.keys(fleet.stages).length} stages, routing ${fleet.routing}; ${sum((r) => r.candidates)} candidate requests, ${sum((r) => r.evaluated)} decided by the evaluator, ${failures.length} allowed that must not be.`,
    "",
    "| role | roles | candidate requests | pruned (no Allow pattern matches) | of those, evaluated as a check | evaluated | wrongly allowed |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Trust of the fleet roles: ${s.trust.cases} cases, ${s.trust.wrong} decided wrongly.`,
    "",
    ...(missing.length > 0 ? ["**Allowed actions with no allowed request of the role's own:**", "", ...missing.map((r) => `- ${r.principal.role.name}: ${r.missingBaselines.join(", ")}`), ""] : []),
    ...(failures.length > 0 ? ["**Wrongly allowed:**", "", ...failures.slice(0, 50).map((f) => `- ${f.decision}: ${f.case.description}`), ""] : []),
  ].join("\n");
}

async function main(): Promise<void> {
  const example = exampleConfig();
  const sections = [
    await section("The example platform (config/example.yaml), every tenant role", example, false),
    await section("A generated platform of 20 services in one stage, every deploy role", twentyServices(), true),
  ];
  const chosen = new Set(["payments-api-dev-deploy", "payments-api-dev-read", "payments-api-dev-exec", "payments-api-dev-ecr", "webservice-aurora-example-dev-deploy", "payments-api-ci-plan", "payments-api-ci-apply", "status-page-ci-apply"]);
  const mutations = await runMutations(example, synthPlatform(example), (p) => chosen.has(p.role.name));
  const noticed = mutations.filter((m) => m.noticedBy);
  const layered = mutations.filter((m) => !m.noticedBy && m.backedByResourcePolicy);
  const unnoticed = mutations.filter((m) => !m.noticedBy && !m.backedByResourcePolicy);
  const fleets = [
    await fleetSection("Tenant fleets: the example's fleet (config/example.yaml), every fleet role", example),
    await fleetSection("Tenant fleets: the fleet fixture (test/fixtures/fleet-configs.ts), every fleet role", fleetTenantsConfig()),
  ];
  const fixture = fleetTenantsConfig();
  const fleetMutations = (await runFleetMutations(fixture, synthPlatform(fixture), (p) => FLEET_MUTATION_ROLES.has(p.role.name))).outcomes;
  const fleetNoticed = fleetMutations.filter((m) => m.noticedBy);
  const fleetLayered = fleetMutations.filter((m) => !m.noticedBy && m.noticedWithoutTheBackingBy);
  const fleetEquivalent = fleetMutations.filter((m) => !m.noticedBy && !m.noticedWithoutTheBackingBy && EQUIVALENT_FLEET_MUTANTS[m.label]);
  const fleetUnnoticed = fleetMutations.filter((m) => !m.noticedBy && !m.noticedWithoutTheBackingBy && !EQUIVALENT_FLEET_MUTANTS[m.label]);
  const report = [
    START,
    "",
    ...sections.map(surfaceTable),
    "### The mutation check (example platform)",
    "",
    `${mutations.length} weakened copies of ${chosen.size} roles' policies (each Deny removed, each condition key of an Allow removed, each narrowed Resource widened to \`*\`): ` +
      `${noticed.length} noticed by the search as is, ${layered.length} noticed once the resource policy's Deny that backs them is removed too, ${unnoticed.length} unnoticed.`,
    "",
    ...(layered.length > 0 ? ["Conditions a key or bucket policy backs up (two layers, each tested):", "", ...layered.map((m) => `- ${m.principal.role.name}: ${m.mutant.label}`), ""] : []),
    ...(unnoticed.length > 0 ? ["**Unnoticed (dead or untested):**", "", ...unnoticed.map((m) => `- ${m.principal.role.name}: ${m.mutant.label}`), ""] : []),
    ...fleets.map(fleetTable),
    "### The mutation check of the fleet (fleet fixture)",
    "",
    `${fleetMutations.length} weakened copies of ${FLEET_MUTATION_ROLES.size} fleet roles' policies and of the fleet key's policy (each Deny removed, each condition key of an Allow removed, each narrowed Resource widened to \`*\`): ` +
      `${fleetNoticed.length} noticed by the search as is, ${fleetLayered.length} noticed once the layer that backs them is weakened too, ${fleetEquivalent.length} equivalent (no request tells them apart), ${fleetUnnoticed.length} unnoticed.`,
    "",
    ...(fleetLayered.length > 0 ? ["Backed by another layer (two layers, each tested):", "", ...fleetLayered.map((m) => `- ${m.label}: backed by ${m.backedBy}`), ""] : []),
    ...(fleetEquivalent.length > 0 ? ["Equivalent:", "", ...fleetEquivalent.map((m) => `- ${m.label}: ${EQUIVALENT_FLEET_MUTANTS[m.label]}`), ""] : []),
    ...(fleetUnnoticed.length > 0 ? ["**Unnoticed (dead or untested):**", "", ...fleetUnnoticed.map((m) => `- ${m.label}`), ""] : []),
    END,
  ].join("\n");
  const file = path.join(PROJECT_ROOT, "docs", "isolation.md");
  const doc = fs.readFileSync(file, "utf8");
  const at = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (at < 0 || end < 0) throw new Error(`${file} has no report markers`);
  fs.writeFileSync(file, doc.slice(0, at) + report + doc.slice(end + END.length));
  process.stdout.write(`${report}\nwrote ${path.relative(process.cwd(), file)}\n`);
  const fleetWrong = fleets.some((f) => f.trust.wrong > 0 || f.surface.some((r) => r.failures.length > 0 || r.missingBaselines.length > 0));
  if (sections.some((s) => s.surface.some((r) => r.failures.length > 0) || s.trust.wrong > 0) || unnoticed.length > 0 || fleetWrong || fleetUnnoticed.length > 0) process.exitCode = 1;
}

const REPORT_COMMAND: CommandSpec = {
  command: "npm run report:isolation --",
  summary: "Runs the isolation proof (attack-surface search, mutation check, trust cases) and writes its numbers into docs/isolation.md.",
  options: [],
};

function start(argv: string[]): boolean {
  try {
    if (!parseArgs(argv, REPORT_COMMAND).help) return true;
    process.stdout.write(formatHelp(REPORT_COMMAND));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`npm run report:isolation: ${err.message} (see --help)\n`);
    process.exitCode = 2;
  }
  return false;
}

if (start(process.argv.slice(2))) main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
