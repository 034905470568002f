import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LIBRARY, extractionKey } from "../../src/release/api-extractor";
import { Npm, NpmResult, npmProblem, releaseSettings, repositoryOf, run } from "../../src/release/release-cli";
import { fileInTarball } from "../../src/release/tarball";

const PKG = "@acme/apps-platform-constructs";
const ROOT = path.join(__dirname, "..", "..");
const committed = fs.readFileSync(path.join(ROOT, LIBRARY.report), "utf8");
const renamed = committed.replace("readonly deletionWindowInDays?: number;", "readonly deletionWindowDays?: number;");
const REGISTRY = "http://127.0.0.1:4873/";
const manifest = { name: PKG, version: "0.1.0", publishConfig: { access: "restricted" } };

/** The first line of the UsageError releaseSettings throws, or "" when it accepts the environment. */
const refusal = (env: NodeJS.ProcessEnv, pkg: { name: string; publishConfig?: { access?: string } } = manifest) => {
  try {
    releaseSettings(env, pkg);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("the release's settings", () => {
  it("take the registry, the name, the access and provenance from the environment", () => {
    expect(releaseSettings({ NPM_CONFIG_REGISTRY: "http://127.0.0.1:4873" }, manifest)).toEqual({
      name: PKG,
      access: "restricted",
      registry: REGISTRY,
      registryFlags: ["--registry", REGISTRY, `--@acme:registry=${REGISTRY}`],
      provenance: false,
    });
    const other = releaseSettings({ NPM_CONFIG_REGISTRY: REGISTRY, APPS_PLATFORM_CONSTRUCTS_PACKAGE: "@other/constructs", APPS_PLATFORM_CONSTRUCTS_ACCESS: "public", NPM_CONFIG_PROVENANCE: "true" }, manifest);
    expect(other).toMatchObject({ name: "@other/constructs", access: "public", provenance: true, registryFlags: ["--registry", REGISTRY, `--@other:registry=${REGISTRY}`] });
    expect(releaseSettings({ NPM_CONFIG_REGISTRY: REGISTRY, APPS_PLATFORM_CONSTRUCTS_PACKAGE: "constructs", APPS_PLATFORM_CONSTRUCTS_ACCESS: "public" }, manifest).registryFlags).toEqual(["--registry", REGISTRY]);
  });

  it("refuse, in one line naming the variable and what it allows, what would publish wrongly", () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{}, /^NPM_CONFIG_REGISTRY is not set: name the registry to publish to/],
      [{ NPM_CONFIG_REGISTRY: "127.0.0.1:4873" }, /^NPM_CONFIG_REGISTRY must be an http\(s\) URL without credentials .*, got "127\.0\.0\.1:4873"$/],
      // A token in the URL would be printed with it: refused, and not repeated in the message.
      [{ NPM_CONFIG_REGISTRY: "https://ci:s3cr3t@npm.example.com/" }, /^NPM_CONFIG_REGISTRY must be an http\(s\) URL without credentials .*, got "https:\/\/<credentials>@npm\.example\.com\/"$/],
      [{ NPM_CONFIG_REGISTRY: REGISTRY, APPS_PLATFORM_CONSTRUCTS_PACKAGE: "@Acme/Constructs" }, /^APPS_PLATFORM_CONSTRUCTS_PACKAGE must be an npm package name .*, got "@Acme\/Constructs"$/],
      [{ NPM_CONFIG_REGISTRY: REGISTRY, APPS_PLATFORM_CONSTRUCTS_PACKAGE: "@acme/" }, /^APPS_PLATFORM_CONSTRUCTS_PACKAGE must be an npm package name/],
      [{ NPM_CONFIG_REGISTRY: REGISTRY, APPS_PLATFORM_CONSTRUCTS_ACCESS: "private" }, /^APPS_PLATFORM_CONSTRUCTS_ACCESS must be public or restricted, got "private"$/],
      [{ NPM_CONFIG_REGISTRY: REGISTRY, APPS_PLATFORM_CONSTRUCTS_PACKAGE: "constructs" }, /^constructs has no scope, and npm restricts only scoped packages: publish under @scope\/constructs, or set APPS_PLATFORM_CONSTRUCTS_ACCESS=public$/],
      [{ NPM_CONFIG_REGISTRY: REGISTRY, NPM_CONFIG_PROVENANCE: "true" }, /^NPM_CONFIG_PROVENANCE=true needs a public package: .*set APPS_PLATFORM_CONSTRUCTS_ACCESS=public, or NPM_CONFIG_PROVENANCE=false$/],
      [{ NPM_CONFIG_REGISTRY: REGISTRY, NPM_CONFIG_PROVENANCE: "yes" }, /^NPM_CONFIG_PROVENANCE must be true or false, got "yes"$/],
    ];
    for (const [env, re] of cases) {
      const message = refusal(env);
      expect(message).toMatch(re);
      expect(message.split("\n")).toHaveLength(1);
    }
  });

  it("link provenance to the repository the CI names", () => {
    expect(repositoryOf({ CI_PROJECT_URL: "https://gitlab.example.com/acme/apps-platform" })).toEqual({ type: "git", url: "git+https://gitlab.example.com/acme/apps-platform.git", directory: "packages/constructs" });
    expect(repositoryOf({ GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "acme/apps-platform" })?.url).toBe("git+https://github.com/acme/apps-platform.git");
    expect(repositoryOf({})).toBeUndefined();
  });
});

describe("the key of an extraction", () => {
  it("changes with the declarations, the name and the config, not with the compiled code", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "key-"));
    const put = (f: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), text);
    };
    put(`${LIBRARY.dir}/package.json`, JSON.stringify(manifest));
    put(LIBRARY.config, "{}");
    put(`${LIBRARY.dir}/dist/index.d.ts`, "export * from './kms';\n");
    put(`${LIBRARY.dir}/dist/kms/index.d.ts`, "export declare const a: string;\n");
    put(`${LIBRARY.dir}/dist/kms/index.js`, "exports.a = 'a';\n");
    const first = extractionKey(root);
    put(`${LIBRARY.dir}/dist/kms/index.js`, "exports.a = 'b';\n");
    put(`${LIBRARY.dir}/package.json`, JSON.stringify({ ...manifest, version: "9.9.9" }));
    expect(extractionKey(root)).toBe(first);
    put(`${LIBRARY.dir}/dist/kms/index.d.ts`, "export declare const b: string;\n");
    const second = extractionKey(root);
    expect(second).not.toBe(first);
    put(`${LIBRARY.dir}/package.json`, JSON.stringify({ ...manifest, name: "@other/constructs" }));
    expect(extractionKey(root)).not.toBe(second);
    put(LIBRARY.config, '{"messages":{}}');
    put(`${LIBRARY.dir}/package.json`, JSON.stringify(manifest));
    expect(extractionKey(root)).not.toBe(second);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe("a file in a tarball", () => {
  it("is read from npm's ustar layout, and from a pax header's long name", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarball-"));
    const long = `package/${"deep/".repeat(30)}report.md`;
    for (const [f, text] of [["package/api/apps-platform-constructs.api.md", committed], ["package/package.json", "{}"], [long, "long"]]) {
      fs.mkdirSync(path.dirname(path.join(dir, "src", f)), { recursive: true });
      fs.writeFileSync(path.join(dir, "src", f), text);
    }
    for (const format of ["ustar", "pax"]) {
      const tgz = path.join(dir, `${format}.tgz`);
      const files = format === "ustar" ? ["package/package.json", "package/api/apps-platform-constructs.api.md"] : ["package/package.json", long, "package/api/apps-platform-constructs.api.md"];
      execFileSync("tar", ["-czf", tgz, `--format=${format}`, "-C", path.join(dir, "src"), ...files]);
      const buf = fs.readFileSync(tgz);
      expect(fileInTarball(buf, "package/api/apps-platform-constructs.api.md")?.toString("utf8")).toBe(committed);
      expect(fileInTarball(buf, "package/api/missing.md")).toBeUndefined();
      if (format === "pax") expect(fileInTarball(buf, long)?.toString("utf8")).toBe("long");
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("npm run release", () => {
  let root: string;
  let calls: { args: readonly string[]; cwd: string }[];
  let published: string[];
  let baseTarball: string;

  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  /** A registry that has `published` of the package, each shipping the committed report. */
  const npm: Npm = (args, cwd): NpmResult => {
    calls.push({ args, cwd });
    const ok = (stdout: string) => ({ code: 0, stdout, stderr: "" });
    if (args[0] === "view") return published.length ? ok(JSON.stringify(published)) : { code: 1, stdout: '{"error":{"code":"E404"}}', stderr: "npm error code E404" };
    if (args[0] === "pack" && args.includes("--dry-run")) return ok(JSON.stringify([{ files: ["package.json", "dist/index.js", "dist/index.d.ts", "api/apps-platform-constructs.api.md"].map((p) => ({ path: p })) }]));
    if (args[0] === "pack") {
      const dest = args[args.indexOf("--pack-destination") + 1];
      fs.copyFileSync(baseTarball, path.join(dest, "base.tgz"));
      return ok(JSON.stringify([{ filename: "base.tgz" }]));
    }
    if (args[0] === "publish") return ok(JSON.stringify({ id: `${PKG}@x`, size: 100, unpackedSize: 300, entryCount: 4 }));
    throw new Error(`unexpected npm ${args.join(" ")}`);
  };
  const release = async (env: NodeJS.ProcessEnv, current = committed) => {
    const out: string[] = [];
    const err: string[] = [];
    let extracted = 0;
    const code = await run([], { NPM_CONFIG_REGISTRY: REGISTRY, ...env }, { out: (t) => out.push(t), err: (t) => err.push(t) }, {
      root,
      npm,
      extract: () => (extracted++, { report: current, committed: current, problems: [] }),
    });
    return { code, out: out.join(""), err: err.join(""), extracted };
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
    calls = [];
    published = [];
    write(`${LIBRARY.dir}/package.json`, JSON.stringify({ ...manifest, scripts: { build: "tsc" }, devDependencies: { esbuild: "1" } }));
    write(`${LIBRARY.dir}/dist/index.js`, "module.exports = {};\n");
    write(`${LIBRARY.dir}/dist/index.d.ts`, "export {};\n");
    write(LIBRARY.report, committed);
    const src = path.join(root, "tar");
    fs.mkdirSync(path.join(src, "package", "api"), { recursive: true });
    fs.writeFileSync(path.join(src, "package", "api", "apps-platform-constructs.api.md"), committed);
    baseTarball = path.join(root, "base.tgz");
    execFileSync("tar", ["-czf", baseTarball, "-C", src, "package"]);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("publishes a first release from a staged copy under the configured name, with provenance when asked", async () => {
    const r = await release({ APPS_PLATFORM_CONSTRUCTS_PACKAGE: "@other/constructs", APPS_PLATFORM_CONSTRUCTS_ACCESS: "public", NPM_CONFIG_PROVENANCE: "true", CI_PROJECT_URL: "https://gitlab.example.com/acme/apps-platform" });
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toContain("@other/constructs has no release on http://127.0.0.1:4873/: 0.1.0 is the first");
    expect(r.out).toContain("published @other/constructs@0.1.0 to http://127.0.0.1:4873/: 4 files, 100 bytes packed, 300 unpacked; access public; provenance signed");
    const publish = calls.find((c) => c.args[0] === "publish")!;
    expect(publish.args).toEqual(["publish", "--json", "--ignore-scripts", "--registry", REGISTRY, `--@other:registry=${REGISTRY}`, "--provenance"]);
    expect(publish.cwd).toBe(path.join(root, ".tmp", "release", "package"));
    const staged = JSON.parse(fs.readFileSync(path.join(publish.cwd, "package.json"), "utf8"));
    expect(staged).toEqual({
      name: "@other/constructs",
      version: "0.1.0",
      publishConfig: { access: "public" },
      repository: { type: "git", url: "git+https://gitlab.example.com/acme/apps-platform.git", directory: "packages/constructs" },
    });
    expect(fs.readdirSync(path.join(publish.cwd, "dist")).sort()).toEqual(["index.d.ts", "index.js"]);
  });

  it("leaves a version that is on the registry alone, without extracting the API", async () => {
    published = ["0.1.0"];
    const r = await release({});
    expect(r).toMatchObject({ code: 0, extracted: 0 });
    expect(r.out).toBe(`npm run release: nothing to publish: ${PKG}@0.1.0 is on ${REGISTRY} already\n`);
    expect(calls.map((c) => c.args[0])).toEqual(["view"]);
  });

  it("refuses a breaking change released as a minor version, naming the line and the way out", async () => {
    published = ["0.1.0"];
    write(`${LIBRARY.dir}/package.json`, JSON.stringify({ ...manifest, version: "0.2.0" }));
    const r = await release({}, renamed);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`npm run release: the public API of ${PKG} needs a major release (a removed or changed API line needs major, added lines only need minor), but only minor (the version 0.1.0 → 0.2.0) is declared`);
    expect(r.err).toContain("  - EncryptionKeyProps › readonly deletionWindowInDays?: number;");
    expect(r.err).toContain("Add a major changeset (npx changeset) and run npm run version-packages: the version must go from 0.1.0 by a major step at least.");
    expect(calls.some((c) => c.args[0] === "publish")).toBe(false);
  });

  it("publishes the same change as 1.0.0, and refuses a version below the last release", async () => {
    published = ["0.1.0"];
    write(`${LIBRARY.dir}/package.json`, JSON.stringify({ ...manifest, version: "1.0.0" }));
    const r = await release({}, renamed);
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toContain("1.0.0 after 0.1.0: major by version, the API needs major");
    expect(r.out).toContain(`published ${PKG}@1.0.0`);
    published = ["0.1.0", "2.0.0"];
    const lower = await release({}, renamed);
    expect(lower).toMatchObject({ code: 1 });
    expect(lower.err).toBe(`npm run release: ${PKG}@1.0.0 is below the last release 2.0.0 on ${REGISTRY}: versions only go up (npm run version-packages)\n`);
  });

  it("says in one line why npm failed: the error of its JSON output, or its error lines", () => {
    const refused = '{\n  "error": {\n    "code": "ECONNREFUSED",\n    "summary": "request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9",\n    "detail": "proxy"\n  }\n}\n';
    expect(npmProblem({ code: 1, stdout: refused, stderr: "" })).toBe("ECONNREFUSED: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9");
    expect(npmProblem({ code: 1, stdout: "", stderr: "npm warn x\nnpm error code E403\nnpm error 403 Forbidden - PUT http://r/x\n" })).toBe("npm error code E403\n  npm error 403 Forbidden - PUT http://r/x");
  });

  it("refuses a stale report before it publishes", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run([], { NPM_CONFIG_REGISTRY: REGISTRY }, { out: (t) => out.push(t), err: (t) => err.push(t) }, { root, npm, extract: () => ({ report: renamed, committed, problems: [] }) });
    expect(code).toBe(1);
    expect(err.join("")).toBe(`npm run release: ${LIBRARY.report} is not what the package exports: run npm run api, commit the report with its changeset, and release from that commit\n`);
    expect(calls.some((c) => c.args[0] === "publish")).toBe(false);
  });
});
