import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";

/** The construct library's CI jobs: its API check on a change, its release from the default branch. */

const ROOT = path.join(__dirname, "..", "..");
const gitlab = YAML.parse(fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8"));
const githubText = fs.readFileSync(path.join(ROOT, ".github", "workflows", "release.yml"), "utf8");
const github = YAML.parse(githubText);
const platformText = fs.readFileSync(path.join(ROOT, ".github", "workflows", "platform.yml"), "utf8");
const pins = (text: string) => new Map([...text.matchAll(/uses: ([\w.-]+\/[\w.-]+)@(\S+)/g)].map((m) => [m[1], m[2]]));

describe("the GitLab jobs of the construct library", () => {
  it("check the API on merge requests only, with the whole history for the base commit", () => {
    const job = gitlab["api:check"];
    expect(job).toMatchObject({ extends: ".node", stage: "check", variables: { GIT_DEPTH: "0" }, script: ["npm run --silent api:check"] });
    expect(job.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
  });

  it("release from the default branch only: by themselves when the version changed, by hand otherwise, with a Sigstore ID token", () => {
    const job = gitlab["release:constructs"];
    expect(gitlab.stages.at(-1)).toBe("release");
    expect(job.stage).toBe("release");
    expect(job.rules).toEqual([
      { if: '$CI_PIPELINE_SOURCE != "push" || $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH', when: "never" },
      { changes: ["packages/constructs/package.json"] },
      { when: "manual", allow_failure: true },
    ]);
    expect(job.needs).toContainEqual({ job: "test" });
    expect(job.id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: "sigstore" } });
    // Provenance (public Sigstore log) and public access are opt-in project variables.
    expect(job.variables).toEqual({ NPM_CONFIG_PROVENANCE: "false", APPS_PLATFORM_CONSTRUCTS_ACCESS: "restricted" });
    // The protected environment is what guards the token: who may deploy to it, with approval.
    expect(job.environment).toEqual({ name: "npm-release", deployment_tier: "production" });
    expect(job.resource_group).toBe("release-constructs");
    expect(job.script.at(-1)).toBe('NPM_CONFIG_USERCONFIG="$CI_PROJECT_DIR/.npmrc-release" npm run --silent release');
  });

  it("give npm the token through the environment: the npmrc names ${NPM_TOKEN}, and no line prints it", () => {
    const job = gitlab["release:constructs"];
    const lines: string[] = job.script;
    // Only `test -n` reads the variable in the shell; everything else leaves it to npm.
    for (const l of lines) expect(l.replace('test -n "$NPM_TOKEN"', "")).not.toMatch(/\$NPM_TOKEN\b|\$\{NPM_TOKEN\}(?!\\n')/);
    // The npmrc line, run as the job runs it: the file holds the placeholder, never the token.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "npmrc-"));
    const env = { PATH: process.env.PATH, NPM_TOKEN: "s3cr3t-token", NPM_CONFIG_REGISTRY: "https://gitlab.example.com/api/v4/projects/7/packages/npm/", CI_PROJECT_DIR: dir };
    execFileSync("bash", ["--norc", "--noprofile", "-euc", lines.slice(0, 3).join("\n")], { env, stdio: "pipe" });
    const npmrc = fs.readFileSync(path.join(dir, ".npmrc-release"), "utf8");
    expect(npmrc).toBe("//gitlab.example.com/api/v4/projects/7/packages/npm/:_authToken=${NPM_TOKEN}\n");
    expect(fs.statSync(path.join(dir, ".npmrc-release")).mode & 0o077).toBe(0);
    // Without the variables the job stops at once, saying which one is missing.
    let said = "";
    try {
      execFileSync("bash", ["--norc", "--noprofile", "-euc", lines.slice(0, 3).join("\n")], { env: { ...env, NPM_TOKEN: "" }, stdio: "pipe" });
    } catch (err) {
      said = String((err as { stdout: Buffer }).stdout);
    }
    expect(said).toMatch(/^NPM_TOKEN is not set; add a token that may publish to https:\/\/gitlab\.example\.com\/api\/v4\/projects\/7\/packages\/npm\/ as a masked, protected CI\/CD variable\n$/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("the GitHub release workflow", () => {
  it("checks the API on pull requests with the base branch's history, reading the code only", () => {
    expect(github.permissions).toEqual({ contents: "read" });
    const job = github.jobs["api-check"];
    expect(job.if).toBe("github.event_name == 'pull_request'");
    expect(job.permissions).toBeUndefined();
    expect(job.steps[0].with).toEqual({ "fetch-depth": 0, "persist-credentials": false });
    expect(job.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toEqual(["npm ci --no-audit --no-fund", "npm run --silent api:check"]);
  });

  it("releases from main with an OIDC token for provenance, the token from secrets, the registry from a variable", () => {
    expect(github.on.push).toEqual({ branches: ["main"], paths: ["packages/constructs/package.json"] });
    const job = github.jobs.release;
    expect(job.permissions).toEqual({ "id-token": "write", contents: "read" });
    // NPM_TOKEN is an environment secret: a workflow edited on another branch cannot read it.
    expect(job.environment).toBe("npm-release");
    expect(job.if).toBe("github.event_name != 'pull_request' && github.ref == 'refs/heads/main'");
    const setup = job.steps.find((s: { uses?: string }) => s.uses?.startsWith("actions/setup-node@"));
    expect(setup.with["registry-url"]).toBe("${{ vars.NPM_REGISTRY }}");
    const release = job.steps.find((s: { run?: string }) => s.run === "npm run --silent release");
    expect(release.env).toEqual({
      NPM_CONFIG_REGISTRY: "${{ vars.NPM_REGISTRY }}",
      NODE_AUTH_TOKEN: "${{ secrets.NPM_TOKEN }}",
      NPM_CONFIG_PROVENANCE: "${{ vars.NPM_CONFIG_PROVENANCE || 'false' }}",
      APPS_PLATFORM_CONSTRUCTS_ACCESS: "${{ vars.APPS_PLATFORM_CONSTRUCTS_ACCESS || 'restricted' }}",
      APPS_PLATFORM_CONSTRUCTS_PACKAGE: "${{ vars.APPS_PLATFORM_CONSTRUCTS_PACKAGE }}",
    });
  });

  it("pins every action to a full commit, the same ones platform.yml pins, with the version beside it", () => {
    const mine = pins(githubText);
    const platform = pins(platformText);
    expect(mine.size).toBeGreaterThan(0);
    for (const [action, ref] of mine) {
      expect(ref).toMatch(/^[0-9a-f]{40}$/);
      expect(platform.get(action)).toBe(ref);
      expect(githubText).toContain(`${action}@${ref} # v`);
    }
  });
});
