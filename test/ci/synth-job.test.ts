import * as fs from "fs";
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
