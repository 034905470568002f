import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gate, gateReport } from "../../src/release/api-gate";
import { run, resolveCheckBase } from "../../src/release/api-cli";
import { LIBRARY } from "../../src/release/api-extractor";
import { parseChangeset } from "../../src/release/changesets";

const PKG = "@acme/apps-platform-constructs";
const ROOT = path.join(__dirname, "..", "..");
const committed = fs.readFileSync(path.join(ROOT, LIBRARY.report), "utf8");
const renamed = committed.replace("readonly deletionWindowInDays?: number;", "readonly deletionWindowDays?: number;");
const added = committed.replace("    readonly policy: PolicyStatement[];\n}", "    readonly policy: PolicyStatement[];\n    readonly multiRegion?: boolean;\n}");
const changeset = (bump: string, file = ".changeset/kms.md") => parseChangeset(`---\n"${PKG}": ${bump}\n---\n\nKMS.\n`, file, [PKG]);
const input = (currentReport: string, over: Partial<Parameters<typeof gate>[0]> = {}) => ({
  packageName: PKG,
  baseName: "main (abc)",
  baseReport: committed,
  currentReport,
  baseVersion: "0.1.0",
  currentVersion: "0.1.0",
  changesets: [],
  ...over,
});

describe("the semver gate", () => {
  it("refuses a renamed prop with a minor changeset, naming the lines and the changeset to add", () => {
    const i = input(renamed, { changesets: [changeset("minor")] });
    const r = gate(i);
    expect(r).toMatchObject({ needed: "major", declared: "minor", declaredBy: [".changeset/kms.md"], ok: false });
    expect(gateReport(i, r)).toEqual([
      `the public API of ${PKG} needs a major release (a removed or changed API line needs major, added lines only need minor), but only minor (.changeset/kms.md) is declared; 1 API line removed or changed, 1 added against main (abc):`,
      "  - EncryptionKeyProps › readonly deletionWindowInDays?: number;",
      "  + EncryptionKeyProps › readonly deletionWindowDays?: number;",
      `Add one: npx changeset (choose major for ${PKG}), or write .changeset/<short-name>.md:`,
      "  ---",
      `  "${PKG}": major`,
      "  ---",
      "",
      "  What changed, and what a user of the package does about it.",
    ]);
  });

  it("passes it with a major changeset, or with a major version change", () => {
    expect(gate(input(renamed, { changesets: [changeset("minor"), changeset("major", ".changeset/b.md")] }))).toMatchObject({ ok: true, declared: "major", declaredBy: [".changeset/b.md"] });
    expect(gate(input(renamed, { currentVersion: "1.0.0" }))).toMatchObject({ ok: true, declared: "major", declaredBy: ["the version 0.1.0 → 1.0.0"] });
    expect(gate(input(renamed, { currentVersion: "0.2.0" }))).toMatchObject({ ok: false, declared: "minor" });
  });

  it("asks a minor release for an added prop, and nothing for an unchanged API", () => {
    expect(gate(input(added))).toMatchObject({ needed: "minor", ok: false, declared: "none" });
    expect(gateReport(input(added), gate(input(added)))[0]).toContain("but no changeset of the change declares a release");
    expect(gate(input(added, { changesets: [changeset("minor")] })).ok).toBe(true);
    expect(gate(input(added, { changesets: [changeset("patch")] })).ok).toBe(false);
    const same = gate(input(committed));
    expect(same).toMatchObject({ needed: "none", ok: true });
    expect(gateReport(input(committed), same)).toEqual([`the public API of ${PKG} is the same as in main (abc): no changeset needed`]);
  });

  it("refuses a version below the base's", () => {
    const r = gate(input(committed, { baseVersion: "0.2.0", currentVersion: "0.1.0" }));
    expect(r.ok).toBe(false);
  });
});

describe("npm run api:check", () => {
  let repo: string;
  const gitIn = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" });
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  };
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };
  // What API Extractor would write from the built package: the report is given, not extracted.
  const check = async (generated: string, argv: string[] = ["--base", "main"], env: NodeJS.ProcessEnv = {}) => {
    const r = io();
    const code = await run("check", argv, env, r.io, {
      root: repo,
      extract: (root) => ({ report: generated, committed: fs.readFileSync(path.join(root, LIBRARY.report), "utf8"), problems: [] }),
    });
    return { code, out: r.out.join(""), err: r.err.join("") };
  };

  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "api-check-"));
    gitIn("init", "-q", "-b", "main");
    write(`${LIBRARY.dir}/package.json`, JSON.stringify({ name: PKG, version: "0.1.0" }));
    write(LIBRARY.report, committed);
    write(".changeset/earlier.md", `---\n"${PKG}": major\n---\nAn earlier change's.\n`);
    gitIn("add", "-A");
    gitIn("commit", "-qm", "base");
    gitIn("checkout", "-qb", "change");
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  it("fails on a stale report: run npm run api, commit it, and add a major changeset", async () => {
    const r = await check(renamed);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`npm run api:check: ${LIBRARY.report} is not what the package exports (2 API lines differ). Run npm run api, commit the report, and add a major changeset (npx changeset), as the change against main`);
    // The base's pending major changeset is an earlier change's: it does not cover this one.
    expect(r.err).toContain("no changeset of the change declares a release");
    expect(r.err).toContain("  - EncryptionKeyProps › readonly deletionWindowInDays?: number;");
  });

  it("with the report updated, fails on a minor changeset and passes on a major one", async () => {
    write(LIBRARY.report, renamed);
    write(".changeset/kms.md", `---\n"${PKG}": minor\n---\nRenamed.\n`);
    const minor = await check(renamed);
    expect(minor.code).toBe(1);
    expect(minor.err).toMatch(/needs a major release .*, but only minor \(\.changeset\/kms\.md\) is declared/);
    expect(minor.err).not.toContain("Run npm run api");
    write(".changeset/kms.md", `---\n"${PKG}": major\n---\nRenamed.\n`);
    const major = await check(renamed);
    expect(major).toMatchObject({ code: 0, err: "" });
    expect(major.out).toContain("needs a major release");
    expect(major.out).toContain("declared: major (.changeset/kms.md)");
  });

  it("passes an unchanged API with no changeset, and a report whose comments alone are stale asks for no changeset", async () => {
    expect(await check(committed)).toMatchObject({ code: 0, err: "" });
    const recommented = committed.replace("// @public\nexport const ZONE_NAME_PATTERN", "// @public (undocumented)\nexport const ZONE_NAME_PATTERN");
    const r = await check(recommented);
    expect(r.code).toBe(1);
    expect(r.err).toContain("differs from what API Extractor writes in its comments only. Run npm run api, commit the report; no changeset is needed");
  });

  it("finds the base: --base, then GitLab's and GitHub's variables, then the merge base with main", async () => {
    const main = gitIn("rev-parse", "main").trim();
    write("x.txt", "x");
    gitIn("add", "-A");
    gitIn("commit", "-qm", "change");
    gitIn("update-ref", "refs/remotes/origin/main", main);
    expect(resolveCheckBase(repo, undefined, {})).toEqual({ commit: main, name: `main (merge base ${main.slice(0, 12)})` });
    expect(resolveCheckBase(repo, "HEAD~1", { CI_MERGE_REQUEST_DIFF_BASE_SHA: "HEAD" }).commit).toBe(main);
    expect(resolveCheckBase(repo, undefined, { CI_MERGE_REQUEST_DIFF_BASE_SHA: main }).name).toBe(main.slice(0, 12));
    expect(resolveCheckBase(repo, undefined, { GITHUB_BASE_REF: "main" })).toEqual({ commit: main, name: `origin/main (${main.slice(0, 12)})` });
    const wrong = await check(committed, ["--base", "no-such-ref"]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toBe("npm run api:check: the base no-such-ref is not a commit of this clone: fetch it (git fetch --depth=1 origin no-such-ref) or clone deeper (GIT_DEPTH: 0)\n");
    const gh = await check(committed, [], { GITHUB_BASE_REF: "release-1" });
    expect(gh).toMatchObject({ code: 2, err: "npm run api:check: the base branch release-1 (GITHUB_BASE_REF) is not in this clone: check out with fetch-depth: 0, or fetch it (git fetch origin release-1)\n" });
  });

  it("refuses a bad changeset and an unknown option in one line", async () => {
    write(".changeset/bad.md", `---\n"${PKG}": breaking\n---\n`);
    const bad = await check(committed);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err.trim().split("\n")).toHaveLength(1);
    expect(bad.err).toContain("the changeset .changeset/bad.md: the release of @acme/apps-platform-constructs must be one of patch, minor, major (or none), got \"breaking\"");
    const typo = await check(committed, ["--bsae", "main"]);
    expect(typo).toMatchObject({ code: 2, err: "npm run api:check: unknown option --bsae; did you mean --base? (see --help)\n" });
    const help = io();
    expect(await run("check", ["--help"], {}, help.io, { root: repo })).toBe(0);
    expect(help.out.join("")).toContain("usage: npm run api:check -- [options]");
  });
});
