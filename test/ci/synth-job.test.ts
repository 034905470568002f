import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";

/** The platform repository's synth job: freshness of generated/, with the synth cache kept between pipelines. */

const ROOT = path.join(__dirname, "..", "..");
const gitlab = YAML.parse(fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8"));

describe("the GitLab synth job", () => {
  const job = gitlab.synth;

  it("keeps the synth cache between pipelines, apart for protected refs, beside node_modules", () => {
    const caches: { key: unknown; paths: string[] }[] = job.cache;
    // The folder npm run synth reuses stacks from by default (src/main.ts --cache).
    const main = fs.readFileSync(path.join(ROOT, "src", "main.ts"), "utf8");
    expect(main).toContain('path.join(ROOT, ".cache", "synth")');
    const synthCache = caches.find((c) => c.paths.includes(".cache/synth/"));
    // A merge request's job must not write what a protected branch's synth job reuses.
    expect(synthCache?.key).toEqual(expect.stringContaining("$CI_COMMIT_REF_PROTECTED"));
    // The job's own cache list replaces the template's, so node_modules must be in it again.
    expect(caches).toContainEqual(gitlab[".node"].cache);
  });

  it("fails when synth changes generated/", () => {
    expect(job.script[0]).toBe("npm run --silent synth");
    expect(job.script).toContain("git diff --exit-code --stat -- generated platform-config.schema.json docs/fleet-provisioning.schema.json");
  });
});

describe("the synth job's check of what is committed under generated/", () => {
  const check: string = gitlab.synth.script.at(-1);

  function repo(files: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-job-"));
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), "x");
    }
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "x");
    return dir;
  }
  const run = (dir: string) => {
    const r = spawnSync("bash", ["-c", check], { cwd: dir, encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
  };
  const synths = ["generated/ci-identity/main.tf", "generated/ci-identity/.apps-platform-generated", "generated/authorizer-dev/authorizer.zip", "generated/fleet-placement.json", "config/example.yaml"];

  it("passes what synth writes", () => {
    expect(run(repo(synths)).status).toBe(0);
  });

  it.each(["generated/state-bootstrap/terraform.tfstate", "generated/ci-identity/.terraform.lock.hcl", "generated/ci-identity/zz_override.tf", "generated/ci-identity/sub/main.tf", "generated/stray.tf"])(
    "fails on a committed %s, naming it",
    (file) => {
      const r = run(repo([...synths, file]));
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(file);
    },
  );
});
