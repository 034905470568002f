import * as fs from "node:fs";
import * as path from "node:path";
import { readPlan } from "../../src/delivery/plan-model";
import { PLAN_SUMMARY_COMMAND, runCli, stackOf } from "../../src/delivery/plan-summary-cli";
import { GITLAB_NOTE_LIMIT, NOTE_MARKER, renderSummary } from "../../src/delivery/plan-summary";
import { compareFixtures } from "../../src/delivery/plan-fixtures-check";
import { ROOT } from "../helpers";

const PLANS = path.join(ROOT, "test", "fixtures", "plans");
const fixture = (name: string) => path.join(PLANS, `${name}.json`);
const raw = (name: string) => JSON.parse(fs.readFileSync(fixture(name), "utf8"));
const FIXTURES = fs.readdirSync(PLANS).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();

/** The values scripts/plan-fixtures.sh plants: a sensitive variable, its rotation, and an out-of-band write. */
const PLANTED = ["PLANTED-s3cr3t-4f1c9a-do-not-print", "PLANTED-r0tated-77e2b0-do-not-print", "PLANTED-dr1ft-0b5e11-do-not-print"];

function scratch(name: string): string {
  const dir = path.join(ROOT, ".tmp", "plan-summary-test", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}

/** The lines of the section `#### <title>` of a summary, up to the next heading. */
function section(md: string, title: string): string {
  const start = md.indexOf(`#### ${title}`);
  if (start < 0) return "";
  const rest = md.slice(start + 5);
  const end = rest.search(/\n#{2,4} |\n<details>/);
  return end < 0 ? rest : rest.slice(0, end);
}

describe("the plan fixtures are real plans of the generated stacks", () => {
  it("hold the planted secrets in clear, as terraform show -json writes them (else the masking tests prove nothing)", () => {
    const all = FIXTURES.map((f) => fs.readFileSync(fixture(f), "utf8")).join("\n");
    for (const secret of PLANTED) expect(all).toContain(secret);
    expect(FIXTURES).toEqual(["environment-dev-create", "environment-dev-drift", "environment-dev-replace", "onboarding-payments-api-destroy", "onboarding-payments-api-trust"]);
  });
});

describe("one plan's summary", () => {
  it("counts the creates of a new environment and names the services they belong to by the app tag", () => {
    const plan = readPlan(raw("environment-dev-create"), "environment-dev");
    expect(plan.counts).toEqual({ create: 51, update: 0, replace: 0, delete: 0, import: 0, move: 0 });
    const { note } = renderSummary([plan]);
    expect(note.startsWith(`${NOTE_MARKER}\n## Terraform plan\n`)).toBe(true);
    expect(note).toContain("| `environment-dev` | 51 | 0 | 0 | 0 | 0 | 0 | 0 | IAM, DNS |");
    expect(note).toContain("| `apps-platform` | 35 | 0 | 0 | 0 | 0 | 0 |");
    expect(note).toContain("| `payments-api` | 1 | 0 | 0 | 0 | 0 | 0 |");
    expect(note).toContain("| (no app tag) | 15 | 0 | 0 | 0 | 0 | 0 |");
    // A new trust policy is shown statement by statement, not as a JSON string.
    expect(section(note, "IAM policy and trust changes")).toContain(
      [
        '+ statement "ServiceAssumesRoleForThisAccount" (Allow sts:AssumeRole)',
        "+     Effect Allow",
        "+     Principal Service vpc-flow-logs.amazonaws.com",
        "+     Action sts:AssumeRole",
        "+     Condition StringEquals aws:SourceAccount 222222222222",
      ].join("\n"),
    );
    expect(note).not.toContain('{\\"Version\\"');
    expect(section(note, "DNS changes")).toContain('| create | `aws_route53_zone.zone` | `"dev.apps.acme.example"` |  | `"dev.apps.acme.example"` |');
    // Values known only after apply say so.
    expect(section(note, "Outputs")).toContain("- **create** `vpc_id`: `(known after apply)`");
    expect(section(note, "Outputs")).toContain("- **create** `fixture_connection`: `(sensitive)`");
  });

  it("shows a trust change as the statement values that come and go", () => {
    const plan = readPlan(raw("onboarding-payments-api-trust"), "onboarding-payments-api");
    expect(plan.counts.update).toBeGreaterThan(0);
    expect(plan.counts).toMatchObject({ create: 0, replace: 0, delete: 0 });
    const iam = section(renderSummary([plan]).note, "IAM policy and trust changes");
    expect(iam).toContain("**update** `aws_iam_role.ci-apply_role_91702007`");
    expect(iam).toMatch(/trust policy \(`assume_role_policy`\)\n\n```diff\n  statement "PipelinesOfThisProjectOnRestrictedRefs" \(Allow sts:AssumeRoleWithWebIdentity\)\n\+     Condition StringEquals gitlab.com:sub project_path:acme\/payments\/payments-api:ref_type:branch:ref:release\n```/);
    // The unchanged condition values are not repeated as changes.
    expect(iam).not.toMatch(/^[-+] .*ref:main$/m);
  });

  it("says why a resource is replaced and which attribute forces it", () => {
    const plan = readPlan(raw("environment-dev-replace"), "environment-dev");
    expect(plan.counts.replace).toBe(1);
    const note = renderSummary([plan]).note;
    const replacements = section(note, "Replacements");
    expect(replacements).toContain("- **replace** `aws_route53_zone.zone` `dev.apps.acme-corp.example` · service `apps-platform`: an attribute cannot change in place (`replace_because_cannot_update`)");
    expect(replacements).toContain('  - forced by `name`: `"dev.apps.acme.example"` → `"dev.apps.acme-corp.example"`');
    expect(section(note, "DNS changes")).toContain('| replace | `aws_route53_zone.zone` | `"dev.apps.acme-corp.example"` | `"dev.apps.acme.example"` | `"dev.apps.acme-corp.example"` |');
  });

  it("lists what a destroy removes, and its IAM as statements that go", () => {
    const plan = readPlan(raw("onboarding-payments-api-destroy"), "onboarding-payments-api");
    expect(plan.counts.delete).toBe(plan.changes.length);
    expect(plan.counts.delete).toBeGreaterThan(40);
    const note = renderSummary([plan]).note;
    const destroys = section(note, "Destroys");
    expect(destroys.split("\n").filter((l) => l.startsWith("- **delete**"))).toHaveLength(plan.counts.delete);
    expect(destroys).toContain("- **delete** `aws_iam_role.ci-apply_role_91702007` `payments-api-ci-apply`");
    expect(section(note, "IAM policy and trust changes")).toMatch(/^- statement "PipelinesOfThisProjectOnRestrictedRefs"/m);
    expect(note).toContain("| `payments-api` | 0 | 0 | 0 |");
  });

  it("reports drift apart from the planned change, trust drift as statements", () => {
    const plan = readPlan(raw("environment-dev-drift"), "environment-dev");
    expect(plan.drift.map((d) => d.address).sort()).toEqual(["aws_iam_role.flow-logs_role_B4B87A12", "aws_ssm_parameter.fixture_secret", "aws_vpc.network_vpc_4E8F0223"]);
    const note = renderSummary([plan]).note;
    const drift = section(note, "Drift: changed outside Terraform");
    expect(drift).toContain('+ statement "ConsoleEdit" (Allow sts:AssumeRole)');
    expect(drift).toContain("+     Principal AWS arn:aws:iam::444444444444:root");
    expect(drift).toContain('`tags.env`: `"dev"` → `"edited-by-hand"`');
    // A secret changed out of band is said to have changed, without either value.
    expect(drift).toContain("`value`: `(sensitive)` → `(sensitive, changed)`");
    // The planned change puts it back: the IAM section shows the statement going again.
    expect(section(note, "IAM policy and trust changes")).toContain('- statement "ConsoleEdit" (Allow sts:AssumeRole)');
  });

  it("titles a drift report so and puts the drift first", () => {
    const plan = readPlan(raw("environment-dev-drift"), "environment-dev");
    const note = renderSummary([plan], { drift: true }).note;
    expect(note).toContain("## Terraform drift report\n");
    expect(note.indexOf("#### Drift")).toBeLessThan(note.indexOf("#### IAM"));
    expect(renderSummary([plan], { title: "Nightly drift: prod" }).note).toContain("## Nightly drift: prod\n");
  });
});

describe("what Terraform can plan beyond the fixtures, built from them", () => {
  const base = () => raw("onboarding-payments-api-trust");
  const roleIndex = (doc: { resource_changes: { address: string }[] }) => doc.resource_changes.findIndex((r) => r.address === "aws_iam_role.ci-apply_role_91702007");

  it("counts an import, a move and a create-before-destroy replacement, and leaves no-ops and reads out", () => {
    const doc = base();
    const i = roleIndex(doc);
    const role = doc.resource_changes[i];
    doc.resource_changes.push(
      { ...role, address: "aws_iam_role.imported", change: { ...role.change, actions: ["no-op"], importing: { id: "imported" } } },
      { ...role, address: "aws_iam_role.moved", previous_address: "aws_iam_role.old", change: { ...role.change, actions: ["no-op"] } },
      { ...role, address: "aws_iam_role.cbd", change: { ...role.change, actions: ["create", "delete"] }, action_reason: "replace_by_request" },
      { ...role, address: "data.aws_iam_policy_document.read", mode: "data", change: { ...role.change, actions: ["read"] } },
    );
    const before = readPlan(base(), "s");
    const plan = readPlan(doc, "s");
    expect(plan.counts).toEqual({ ...before.counts, import: 1, move: 1, replace: before.counts.replace + 1 });
    expect(plan.changes.map((c) => c.address)).not.toContain("data.aws_iam_policy_document.read");
    const note = renderSummary([plan]).note;
    expect(note).toContain("- **import** `aws_iam_role.imported` `payments-api-ci-apply` · service `payments-api`");
    expect(note).toContain("- **move** (moved from `aws_iam_role.old`) `aws_iam_role.moved`");
    expect(section(note, "Replacements")).toContain("`aws_iam_role.cbd` `payments-api-ci-apply` · service `payments-api`: requested with -replace (`replace_by_request`)");
    expect(note).toContain("| `s` | 0 | " );
  });

  it("masks a value marked sensitive at any depth, in before and after, and in outputs", () => {
    const doc = base();
    const role = doc.resource_changes[roleIndex(doc)];
    role.change.before.tags = { ...role.change.before.tags, owner: "SECRET-before-deep" };
    role.change.after.tags = { ...role.change.after.tags, owner: "SECRET-after-deep" };
    role.change.before_sensitive = { tags: { owner: true } };
    role.change.after_sensitive = { tags: { owner: true } };
    doc.output_changes = { deep: { actions: ["update"], before: { a: [{ b: "SECRET-out-before" }] }, after: { a: [{ b: "SECRET-out-after" }] }, after_unknown: false, before_sensitive: { a: [{ b: true }] }, after_sensitive: { a: [{ b: true }] } } };
    const out = renderSummary([readPlan(doc, "s")]);
    for (const text of [out.note, out.full]) {
      expect(text).not.toMatch(/SECRET-/);
      expect(text).toContain("`tags.owner`: `(sensitive)` → `(sensitive, changed)`");
      expect(text).toContain('- **update** `deep`: `{"a":[{"b":"(sensitive)"}]}` → `{"a":[{"b":"(sensitive, changed)"}]}`');
    }
  });
});

describe("npm run plan-summary", () => {
  it("answers --help with its usage and every option", () => {
    const r = cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toBe("usage: npm run --silent plan-summary -- <plan.json | <stack>=<plan.json>>... [options]");
    for (const o of ["--title <text>", "--drift", "--gitlab-report <file>", "--full <file>", "--details-url <url>", "-h, --help"]) expect(r.out).toContain(`\n  ${o} `);
    expect(PLAN_SUMMARY_COMMAND.options.map((o) => o.name)).toEqual(["--title", "--drift", "--gitlab-report", "--full", "--details-url"]);
  });

  it("summarizes several plans: the totals table first, then one section per stack in the order given", () => {
    const dir = scratch("several");
    const r = cli([`environment-dev=${fixture("environment-dev-replace")}`, `onboarding-payments-api=${fixture("onboarding-payments-api-trust")}`, "--gitlab-report", path.join(dir, "report.json"), "--full", path.join(dir, "full.md")]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const env = readPlan(raw("environment-dev-replace"), "e");
    const onb = readPlan(raw("onboarding-payments-api-trust"), "o");
    const tableAt = r.out.indexOf("| Stack |");
    expect(tableAt).toBeGreaterThan(0);
    expect(tableAt).toBeLessThan(r.out.indexOf("### Stack `environment-dev`"));
    expect(r.out.indexOf("### Stack `environment-dev`")).toBeLessThan(r.out.indexOf("### Stack `onboarding-payments-api`"));
    const sum = (k: "create" | "update" | "replace" | "delete") => env.counts[k] + onb.counts[k];
    expect(r.out).toContain(`| **Total (2 stacks)** | **${sum("create")}** | **${sum("update")}** | **${sum("replace")}** | **${sum("delete")}** | **0** | **0** |`);
    expect(fs.readFileSync(path.join(dir, "full.md"), "utf8")).toBe(r.out);
    // GitLab's widget reads exactly these three numbers; as gitlab-terraform computes them, a replace is a create and a delete.
    const report = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
    expect(Object.keys(report)).toEqual(["create", "update", "delete"]);
    const actions = [raw("environment-dev-replace"), raw("onboarding-payments-api-trust")].flatMap((d) => d.resource_changes.flatMap((c: { change: { actions: string[] } }) => c.change.actions));
    expect(report).toEqual({ create: actions.filter((a) => a === "create").length, update: actions.filter((a) => a === "update").length, delete: actions.filter((a) => a === "delete").length });
    expect(report.create).toBe(sum("create") + sum("replace"));
  });

  it("never prints a planted secret: not to stdout, the --full file, the report or an error", () => {
    const dir = scratch("secrets");
    const files = FIXTURES.map((f) => `${f}=${fixture(f)}`);
    const outputs: string[] = [];
    for (const drift of [[], ["--drift"]]) {
      const r = cli([...files, ...drift, "--full", path.join(dir, "full.md"), "--gitlab-report", path.join(dir, "report.json"), "--details-url", "https://gitlab.example/job/1/artifacts/full.md"]);
      expect(r.code).toBe(0);
      outputs.push(r.out, r.err, fs.readFileSync(path.join(dir, "full.md"), "utf8"), fs.readFileSync(path.join(dir, "report.json"), "utf8"));
    }
    // A plan file that breaks partway: the error names the file, not what is in it.
    const broken = path.join(dir, "broken.json");
    fs.writeFileSync(broken, fs.readFileSync(fixture("environment-dev-create"), "utf8").slice(0, 20000));
    const r = cli([broken]);
    expect(r.code).toBe(2);
    outputs.push(r.out, r.err);
    const all = outputs.join("\n");
    expect(all).toContain("(sensitive)");
    for (const secret of PLANTED) expect(all).not.toContain(secret);
    expect(all).not.toContain("PLANTED-");
  });

  it("keeps the note under GitLab's limit for 500 stacks, linking the full text", () => {
    const dir = scratch("many");
    const docs = FIXTURES.map((f) => fs.readFileSync(fixture(f), "utf8"));
    const args: string[] = [];
    for (let i = 0; i < 500; i++) {
      const file = path.join(dir, `stack-${String(i + 1).padStart(3, "0")}`, "plan.json");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, docs[i % docs.length]);
      args.push(file);
    }
    const url = "https://gitlab.example/acme/apps-platform/-/jobs/77/artifacts/file/plan-summary.md";
    const r = cli([...args, "--full", path.join(dir, "full.md"), "--details-url", url]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.length).toBeLessThan(GITLAB_NOTE_LIMIT);
    const full = fs.readFileSync(path.join(dir, "full.md"), "utf8");
    expect(full.length).toBeGreaterThan(GITLAB_NOTE_LIMIT);
    // Every stack is in the compact table (named after its folder); the ones without a section are named with the link.
    for (let i = 1; i <= 500; i++) expect(r.out).toContain(`| \`stack-${String(i).padStart(3, "0")}\` |`);
    const omitted = /### (\d+) more stacks\n\nTheir counts are in the table above; their sections are in \[the full summary\]\((.+?)\): (.*)\./.exec(r.out);
    expect(omitted).not.toBeNull();
    expect(omitted![2]).toBe(url);
    const shown = (r.out.match(/^### Stack /gm) ?? []).length;
    expect(shown + Number(omitted![1])).toBe(500);
    expect(shown).toBeGreaterThan(0);
    expect((full.match(/^### Stack /gm) ?? []).length).toBe(500);
    expect(full).toContain("### Stack `stack-500`");
  });

  it("cuts at the budget it is given and says so without a link when there is none", () => {
    const plans = FIXTURES.map((f) => readPlan(raw(f), f));
    const small = renderSummary(plans, { budget: 20_000 });
    expect(small.omitted).toBeGreaterThan(0);
    expect(small.note.length).toBeLessThan(20_000 + 2_000);
    expect(small.note).toContain("their sections are in the full summary (the job's --full file)");
    expect(renderSummary(plans).omitted).toBe(0);
  });

  it("names a stack by <stack>=, else by the file, else by the folder of a plan.json", () => {
    expect(stackOf("fleet-dev=out/x.json")).toEqual({ stack: "fleet-dev", file: "out/x.json" });
    expect(stackOf("plans/environment-prod.json")).toEqual({ stack: "environment-prod", file: "plans/environment-prod.json" });
    expect(stackOf("generated/tenant-globex-dev/plan.json").stack).toBe("tenant-globex-dev");
    expect(stackOf("generated/tenant-globex-dev/tfplan.json").stack).toBe("tenant-globex-dev");
  });

  it("says in one line, exit 2, what is wrong with a plan file or the command line", () => {
    const dir = scratch("errors");
    const shown = (f: string) => path.relative(process.cwd(), f);
    fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify({ format_version: "1.0", terraform_version: "1.11.4", values: { root_module: {} } }));
    fs.writeFileSync(path.join(dir, "other.json"), JSON.stringify({ hello: "world" }));
    fs.writeFileSync(path.join(dir, "text.json"), "Terraform will perform the following actions:\n");
    const cases: [string[], string][] = [
      [[path.join(dir, "absent.json")], `plan-summary: the plan file ${shown(path.join(dir, "absent.json"))}: not found\n`],
      [[dir], `plan-summary: the plan file ${shown(dir)}: is a directory, not a file\n`],
      [[path.join(dir, "state.json")], `plan-summary: the plan file ${shown(path.join(dir, "state.json"))}: the JSON of a Terraform state, not of a plan: write it with terraform show -json <planfile>\n`],
      [[path.join(dir, "other.json")], `plan-summary: the plan file ${shown(path.join(dir, "other.json"))}: not the JSON of a Terraform plan (no format_version): write it with terraform show -json <planfile>\n`],
      [[], "plan-summary: no plan file given: npm run --silent plan-summary -- <plan.json | <stack>=<plan.json>>... (see --help)\n"],
      [["--ful", "x", fixture("environment-dev-create")], "plan-summary: unknown option --ful; did you mean --full?\n"],
      [[fixture("environment-dev-create"), "--details-url", "gitlab"], 'plan-summary: --details-url must be an http(s) URL, got "gitlab"\n'],
      [[`a=${fixture("environment-dev-create")}`, `a=${fixture("environment-dev-drift")}`], expect.stringMatching(/^plan-summary: two plans are named stack "a" .*: name them with <stack>=<plan.json>\n$/) as unknown as string],
    ];
    for (const [argv, err] of cases) expect(cli(argv)).toEqual({ code: 2, out: "", err });
    // An output file that cannot be written is one line too, and nothing goes to stdout.
    expect(cli([fixture("environment-dev-create"), "--full", path.join(dir, "no-such-folder", "full.md")])).toEqual({
      code: 2,
      out: "",
      err: `plan-summary: the --full file ${shown(path.join(dir, "no-such-folder", "full.md"))}: cannot be written (its folder does not exist)\n`,
    });
    const text = cli([path.join(dir, "text.json")]);
    expect(text.code).toBe(2);
    expect(text.err).toMatch(/^plan-summary: the plan file .*text\.json: not JSON \(.*\): write it with terraform show -json <planfile>\n$/);
  });
});

describe("scripts/plan-fixtures.sh --check", () => {
  it("finds no difference between the committed fixtures and an identical copy, and names a fixture whose plan changed", () => {
    const dir = scratch("check");
    for (const f of FIXTURES) fs.copyFileSync(fixture(f), path.join(dir, `${f}.json`));
    expect(compareFixtures(PLANS, dir)).toEqual([]);
    // A fresh run whose trust change no longer reaches the role: the comparison says which file.
    const doc = raw("onboarding-payments-api-trust");
    const role = doc.resource_changes.find((r: { address: string }) => r.address === "aws_iam_role.ci-apply_role_91702007");
    role.change.after.assume_role_policy = role.change.before.assume_role_policy;
    role.change.actions = ["no-op"];
    fs.writeFileSync(path.join(dir, "onboarding-payments-api-trust.json"), JSON.stringify(doc));
    const differ = compareFixtures(PLANS, dir);
    expect(differ).toHaveLength(2);
    expect(differ[0]).toMatch(/^onboarding-payments-api-trust\.json: committed .*"aws_iam_role\.ci-apply_role_91702007"/s);
    expect(differ[1]).not.toContain("aws_iam_role.ci-apply_role_91702007");
    fs.rmSync(path.join(dir, "environment-dev-drift.json"));
    expect(compareFixtures(PLANS, dir).some((l) => l.startsWith("environment-dev-drift.json: fresh (missing)"))).toBe(true);
  });
});
