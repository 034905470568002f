import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { guardedConfig } from "../src/app";
import { ForeignTerraformError, SynthOptions, loadConfigCached, run, synthesizeWithReport } from "../src/main";
import { ConfigError, parseConfig } from "../src/config/loader";
import { UndeclaredInputError, codeInputsHash, treeHash } from "../src/synth-inputs";
import { CorruptEntryError, OutputIndex, SynthCache, TMP_MAX_AGE_MS } from "../src/synth-cache";
import { EXAMPLE_FILE, ROOT, exampleConfig } from "./helpers";

/**
 * The synth cache: an incremental synth writes exactly what a full synth writes, and a stack is
 * rebuilt whenever something it is made from changes.
 */

const BASE = path.join(ROOT, ".tmp", "synth-cache-test");

function scratch(name: string): string {
  const dir = path.join(BASE, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

type Raw = Record<string, any>;

/** The example with two more services, small ones, and without the ephemeral authorizer stages (fewer stacks to build). */
function baseConfig(): Raw {
  const raw = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
  raw.services.push({ slug: "svc-a", gitlabProjectPath: "acme/svc-a" }, { slug: "svc-b", gitlabProjectPath: "acme/svc-b" });
  return raw;
}

function writeConfig(dir: string, raw: Raw): string {
  const file = path.join(dir, "platform.yaml");
  fs.writeFileSync(file, YAML.stringify(raw));
  return file;
}

/** Every file under a folder, relative to it, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return files;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files.set(path.relative(dir, file), fs.readFileSync(file));
    }
  }
  return files;
}

function expectSameTree(actual: string, expected: string): void {
  const a = tree(actual);
  const b = tree(expected);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [file, bytes] of b) {
    if (!a.get(file)!.equals(bytes)) throw new Error(`${file} differs between ${actual} and ${expected}`);
  }
}

function options(dir: string, configFile: string, extra: Partial<SynthOptions> = {}): SynthOptions {
  return { configFile, outdir: path.join(dir, "cdktf.out"), generatedDir: path.join(dir, "generated"), cacheDir: path.join(dir, "cache"), ...extra };
}

/** The stacks a synth built (the others were reused). */
async function builtBy(opts: SynthOptions): Promise<{ built: string[]; reused: number; total: number }> {
  const before = new Map([...tree(path.join(opts.cacheDir!, "entries"))].map(([f]) => [f, true]));
  const report = await synthesizeWithReport(opts, 1, () => undefined);
  const entries = [...tree(path.join(opts.cacheDir!, "entries")).keys()].filter((f) => f.endsWith("meta.json") && !before.has(f));
  const built = entries.map((f) => JSON.parse(fs.readFileSync(path.join(opts.cacheDir!, "entries", f), "utf8")).name as string).sort();
  expect(built).toHaveLength(report.built);
  return { built, reused: report.reused, total: report.summaries.length };
}

describe("incremental synth", () => {
  it("writes, after adding, changing and removing services, exactly what a full synth writes, every file of both folders", async () => {
    const dir = scratch("identical");
    const raw = baseConfig();
    const configFile = writeConfig(dir, raw);
    const inc = options(path.join(dir, "inc"), configFile);
    expect((await builtBy(inc)).reused).toBe(0);

    raw.services.push({ slug: "svc-c", gitlabProjectPath: "acme/svc-c" });
    writeConfig(dir, raw);
    expect((await builtBy(inc)).built).toEqual(["onboarding-svc-c"]);

    raw.services.find((s: Raw) => s.slug === "svc-a").branchRestriction = "main";
    writeConfig(dir, raw);
    expect((await builtBy(inc)).built).toEqual(["onboarding-svc-a"]);

    raw.services = raw.services.filter((s: Raw) => s.slug !== "svc-b");
    writeConfig(dir, raw);
    const removed = await builtBy(inc);
    expect(removed.built).toEqual([]);
    expect(removed.reused).toBe(removed.total);
    expect(fs.existsSync(path.join(inc.generatedDir, "onboarding-svc-b"))).toBe(false);
    expect(fs.existsSync(path.join(inc.outdir, "stacks", "onboarding-svc-b"))).toBe(false);

    const full = options(path.join(dir, "full"), configFile, { cacheDir: undefined });
    await synthesizeWithReport(full, 1, () => undefined);
    expectSameTree(inc.generatedDir, full.generatedDir);
    expectSameTree(inc.outdir, full.outdir);
  });

  it("rebuilds every stack when a shared field changes, and only the stacks of a service, stage or tenant that changed", async () => {
    const dir = scratch("inputs");
    const raw = baseConfig();
    const configFile = writeConfig(dir, raw);
    const opts = options(dir, configFile);
    const first = await builtBy(opts);
    const all = first.built;
    expect(first.built).toHaveLength(first.total);
    const change = async (edit: (r: Raw) => void) => {
      edit(raw);
      writeConfig(dir, raw);
      return (await builtBy(opts)).built;
    };

    // Shared fields every stack may read.
    expect(await change((r) => (r.region = "eu-west-1"))).toEqual(all);
    expect(await change((r) => (r.deploymentAccount.accountId = "999999999999"))).toEqual(all);
    // A stage's zone (and the fleet's domain, which must be in it).
    expect(
      await change((r) => {
        r.stages.dev.zoneName = "dev.apps2.acme.example";
        r.fleet.stages.dev.domain = "accessos.dev.apps2.acme.example";
      }),
    ).toEqual(all);
    expect(await change((r) => (r.stages.prod.accountId = "444444444444"))).toEqual(all);
    // One service: its own stacks.
    expect(await change((r) => (r.services.find((s: Raw) => s.slug === "payments-api").web.memory = 4096))).toEqual([
      "onboarding-payments-api",
      "service-payments-api-dev",
      "service-payments-api-prod",
    ]);
    // One tenant: its stacks and the fleet stacks of its stages, which list every tenant.
    expect(await change((r) => (r.fleet.tenants.find((t: Raw) => t.id === "globex").paused = true))).toEqual([
      "fleet-dev",
      "fleet-prod",
      "tenant-globex-dev",
      "tenant-globex-prod",
    ]);
    // A new tenant is placed by the lock; the others keep their places and are reused.
    const added = await change((r) => r.fleet.tenants.push({ id: "umbrella", tier: "pool", wave: "general" }));
    expect(added).toEqual(["fleet-dev", "fleet-prod", "tenant-umbrella-dev", "tenant-umbrella-prod"]);
    // The config's path is in every main.tf's header.
    const moved = path.join(dir, "moved.yaml");
    fs.copyFileSync(configFile, moved);
    expect((await builtBy(options(dir, moved))).built).toEqual(all.concat("tenant-umbrella-dev", "tenant-umbrella-prod").sort());
  });

  it("puts back a reused stack's file that was edited or removed by hand", async () => {
    const dir = scratch("hand-edit");
    const opts = options(dir, EXAMPLE_FILE);
    await builtBy(opts);
    const mainTf = path.join(opts.generatedDir, "ci-identity", "main.tf");
    const json = path.join(opts.outdir, "stacks", "environment-dev", "cdk.tf.json");
    const good = [fs.readFileSync(mainTf), fs.readFileSync(json)];
    fs.appendFileSync(mainTf, "# edited\n");
    fs.rmSync(json);
    const again = await builtBy(opts);
    expect(again.built).toEqual([]);
    expect(fs.readFileSync(mainTf).equals(good[0])).toBe(true);
    expect(fs.readFileSync(json).equals(good[1])).toBe(true);
  });

  it("leaves what others put in cdktf.out's stack folders (local state, .terraform, overrides), through reuse, rebuild and removal", async () => {
    const dir = scratch("others-files");
    const raw = baseConfig();
    const file = writeConfig(dir, raw);
    const opts = options(dir, file);
    await builtBy(opts);
    // What the CDKTF CLI and Terraform leave beside cdk.tf.json: state-bootstrap's local state lives there.
    const theirs = ["state-bootstrap/terraform.tfstate", "state-bootstrap/.terraform/providers/x", "onboarding-svc-a/emulator_override.tf.json", "onboarding-svc-b/plan"];
    for (const f of theirs) {
      fs.mkdirSync(path.dirname(path.join(opts.outdir, "stacks", f)), { recursive: true });
      fs.writeFileSync(path.join(opts.outdir, "stacks", f), f);
    }
    const kept = () => theirs.filter((f) => fs.existsSync(path.join(opts.outdir, "stacks", f)) && fs.readFileSync(path.join(opts.outdir, "stacks", f), "utf8") === f);
    expect((await builtBy(opts)).built).toEqual([]);
    expect(kept()).toEqual(theirs);
    // svc-a changed (rebuilt) and svc-b removed: svc-b's folder keeps only what synth did not write.
    raw.services.find((s: Raw) => s.slug === "svc-a").branchRestriction = "any";
    raw.services = raw.services.filter((s: Raw) => s.slug !== "svc-b");
    writeConfig(dir, raw);
    expect((await builtBy(opts)).built).toEqual(["onboarding-svc-a"]);
    expect(kept()).toEqual(theirs);
    expect(fs.readdirSync(path.join(opts.outdir, "stacks", "onboarding-svc-b"))).toEqual(["plan"]);
    // A removed stack's folder with nothing left but synth's files goes.
    fs.rmSync(path.join(opts.outdir, "stacks", "onboarding-svc-b", "plan"));
    raw.services = raw.services.filter((s: Raw) => s.slug !== "svc-a");
    writeConfig(dir, raw);
    await builtBy(opts);
    expect(fs.readdirSync(path.join(opts.outdir, "stacks", "onboarding-svc-a"))).toEqual(["emulator_override.tf.json"]);
    expect(fs.existsSync(path.join(opts.outdir, "stacks", "onboarding-svc-b"))).toBe(false);
  });

  it("ignores the cache with --force, and synthesizes only the stacks --only names", async () => {
    const dir = scratch("cli");
    const args = ["--config", EXAMPLE_FILE, "--out", path.join(dir, "out"), "--generated", path.join(dir, "gen"), "--cache", path.join(dir, "cache"), "--quiet"];
    const cli = async (extra: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await run([...args, ...extra], {}, { out: (t) => out.push(t), err: (t) => err.push(t) });
      return { code, out: out.join(""), err: err.join("") };
    };
    const only = await cli(["--only", "tenant-*-dev,ci-identity"]);
    expect(only.code).toBe(0);
    expect(only.out.trimEnd().split("\n").pop()).toBe(`4 of 23 stacks synthesized to ${path.relative(process.cwd(), path.join(dir, "gen"))}`);
    expect(fs.readdirSync(path.join(dir, "gen")).sort()).toEqual(["ci-identity", "fleet-placement.json", "tenant-acme-corp-dev", "tenant-globex-dev", "tenant-initech-dev"]);
    expect(only.err).toBe(`0 reused unchanged from ${path.relative(process.cwd(), path.join(dir, "cache"))}, 4 built\n`);

    const all = await cli([]);
    expect(all.err).toBe(`4 reused unchanged from ${path.relative(process.cwd(), path.join(dir, "cache"))}, 19 built\n`);
    const forced = await cli(["--force"]);
    expect(forced.err).toBe(`0 reused unchanged from ${path.relative(process.cwd(), path.join(dir, "cache"))}, 23 built (--force)\n`);

    const none = await cli(["--only", "tenant-nobody-*"]);
    expect(none.code).toBe(2);
    expect(none.out).toBe("");
    expect(none.err.split("\n")).toHaveLength(2);
    expect(none.err).toMatch(/^npm run synth: --only tenant-nobody-\*: no stack of .*example\.yaml has that name \(its 23 stacks: state-bootstrap, ci-identity, .*\) \(see --help\)\n$/);
    expect((await cli(["--only", "a/b"])).err).toMatch(/^npm run synth: --only takes stack names or globs/);
  });
});

describe("what a stack is made from", () => {
  it("makes the config fields a stack leaves out of its inputs unreadable while it is built", () => {
    const config = exampleConfig();
    const seen = guardedConfig(config, { name: "onboarding-x", leftOut: ["services", "fleet.tenants"] });
    expect(seen.region).toBe(config.region);
    expect(seen.fleet!.product).toBe(config.fleet!.product);
    expect(() => seen.services).toThrow(UndeclaredInputError);
    expect(() => seen.fleet!.tenants).toThrow("stack onboarding-x read fleet.tenants, which its inputs leave out");
    expect(() => ({ ...seen })).toThrow(UndeclaredInputError);
    expect(guardedConfig(config, { name: "tfc", leftOut: [] })).toBe(config);
  });

  it("hashes every file of the code, its path, and the CDKTF environment", () => {
    const dir = scratch("code");
    fs.mkdirSync(path.join(dir, "a", "b"), { recursive: true });
    fs.writeFileSync(path.join(dir, "a", "b", "x.js"), "1");
    const h = () => treeHash([path.join(dir, "a")]);
    const first = h();
    fs.writeFileSync(path.join(dir, "a", "b", "x.js"), "2");
    const changed = h();
    fs.writeFileSync(path.join(dir, "a", "y.js"), "");
    const added = h();
    fs.renameSync(path.join(dir, "a", "y.js"), path.join(dir, "a", "z.js"));
    expect(new Set([first, changed, added, h()]).size).toBe(4);
    expect(codeInputsHash({ CDKTF_CONTEXT_JSON: "{}" }, false)).not.toBe(codeInputsHash({}, false));
    expect(codeInputsHash({ CDKTF_OUTDIR: "x" }, false)).toBe(codeInputsHash({}, false));
  });
});

describe("the cache of validated configs", () => {
  const configs = ["config/example.yaml", "config/example-cloud.yaml", "test/fixtures/service-matrix.yaml", "test/fixtures/deploy-order-cloud.yaml"];

  it.each(configs)("keeps %s exactly: its JSON reads back as the validated config, undefined fields and all", (file) => {
    const config = parseConfig(fs.readFileSync(path.join(ROOT, file), "utf8"), file);
    expect(JSON.parse(JSON.stringify(config))).toStrictEqual(config);
  });

  it("reads a config it validated before from the cache, and validates a changed one", () => {
    const dir = scratch("config-cache");
    const file = writeConfig(dir, baseConfig());
    const cacheDir = path.join(dir, "cache");
    const first = loadConfigCached({ configFile: file }, cacheDir);
    const [entry] = fs.readdirSync(path.join(cacheDir, "config"));
    expect(first.config).toStrictEqual(parseConfig(fs.readFileSync(file, "utf8"), file));
    // What the cache holds is what is used: a planted region shows it was read, not validated again.
    fs.writeFileSync(path.join(cacheDir, "config", entry), JSON.stringify({ ...first.config, region: "planted" }));
    expect(loadConfigCached({ configFile: file }, cacheDir).config.region).toBe("planted");
    const raw = baseConfig();
    raw.services.pop();
    writeConfig(dir, raw);
    expect(loadConfigCached({ configFile: file }, cacheDir).config.services.map((s) => s.slug)).not.toContain("svc-b");
  });

  it("never keeps an invalid config: every run reports its problems with file and line", () => {
    const dir = scratch("config-cache-invalid");
    const raw = baseConfig();
    raw.services[0].slug = "Not A Slug";
    const file = writeConfig(dir, raw);
    const cacheDir = path.join(dir, "cache");
    for (let i = 0; i < 2; i++) {
      let error: unknown;
      try {
        loadConfigCached({ configFile: file }, cacheDir);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toMatchObject({ path: "services[0].slug", file: path.relative(process.cwd(), file) });
      expect((error as ConfigError).problems[0].line).toBeGreaterThan(1);
    }
    expect(fs.existsSync(path.join(cacheDir, "config"))).toBe(false);
  });
});

describe("pruning the synth cache", () => {
  it("removes, after a day, entries no output folder uses and validated configs, and keeps the rest", async () => {
    const dir = scratch("prune");
    const file = writeConfig(dir, baseConfig());
    const opts = options(dir, file);
    await synthesizeWithReport(opts, 1, () => undefined);
    const cache = new SynthCache(opts.cacheDir!);
    const used = fs.readdirSync(cache.entries);
    const day = 24 * 3600 * 1000;
    const old = new Date(Date.now() - 2 * day);
    // An entry of a stack no folder holds any more, and a config validated two days ago, both old.
    fs.mkdirSync(path.join(cache.entries, "f".repeat(64)));
    fs.utimesSync(path.join(cache.entries, "f".repeat(64)), old, old);
    const [config] = fs.readdirSync(path.join(cache.dir, "config"));
    fs.writeFileSync(path.join(cache.dir, "config", "e".repeat(64) + ".json"), "{}");
    fs.utimesSync(path.join(cache.dir, "config", "e".repeat(64) + ".json"), old, old);
    for (const h of used) fs.utimesSync(cache.entryDir(h), old, old);
    // The synth above pruned already; two hours later the next synth prunes again.
    const later = Date.now() + 2 * 3600 * 1000;
    cache.prune(day, later);
    expect(fs.readdirSync(cache.entries).sort()).toEqual([...used].sort());
    expect(fs.readdirSync(path.join(cache.dir, "config"))).toEqual([config]);
    // At most once an hour.
    fs.mkdirSync(path.join(cache.entries, "f".repeat(64)));
    fs.utimesSync(path.join(cache.entries, "f".repeat(64)), old, old);
    cache.prune(day, later + 10 * 60 * 1000);
    expect(fs.existsSync(path.join(cache.entries, "f".repeat(64)))).toBe(true);
  });

  it("removes what a stopped synth left in tmp/ after an hour, never the folder of a synth running beside it", () => {
    const dir = scratch("prune-tmp");
    const cache = new SynthCache(path.join(dir, "cache"));
    const now = Date.now();
    const tmp = path.join(cache.dir, "tmp");
    const running = path.join(tmp, "build-111-0");
    const writing = path.join(tmp, `${"a".repeat(64)}.111.0000`);
    const stopped = path.join(tmp, "build-222-40");
    for (const d of [running, writing, stopped]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(writing, "main.tf"), "half\n");
    const fresh = new Date(now - (TMP_MAX_AGE_MS - 60_000));
    const stale = new Date(now - (TMP_MAX_AGE_MS + 60_000));
    fs.utimesSync(running, fresh, fresh);
    fs.utimesSync(writing, fresh, fresh);
    fs.utimesSync(stopped, stale, stale);
    cache.prune(24 * 3600 * 1000, now);
    expect(fs.readdirSync(tmp).sort()).toEqual([path.basename(running), path.basename(writing)].sort());
    expect(fs.readFileSync(path.join(writing, "main.tf"), "utf8")).toBe("half\n");
  });
});

describe("what synth trusts and what it leaves", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };
  const argv = (opts: SynthOptions) => ["--config", opts.configFile, "--out", opts.outdir, "--generated", opts.generatedDir, "--cache", opts.cacheDir!, "--quiet"];

  it("refuses, before writing anything, a Terraform file in a stack's folder that synth did not write", async () => {
    const dir = scratch("foreign-tf");
    const opts = options(dir, EXAMPLE_FILE);
    await builtBy(opts);
    const planted = ["zz_override.tf", "extra.tf.json", "values.auto.tfvars"].map((f) => path.join(opts.generatedDir, "ci-identity", f));
    for (const f of planted) fs.writeFileSync(f, "");
    const mainTf = path.join(opts.generatedDir, "environment-dev", "main.tf");
    fs.appendFileSync(mainTf, "# edited\n");
    const before = fs.readFileSync(mainTf);
    const r = io();
    expect(await run(argv(opts), {}, r.io)).toBe(2);
    for (const f of planted) expect(r.err.join("")).toContain(path.relative(process.cwd(), f));
    // Nothing written: the edited file of another stack is not put back either.
    expect(fs.readFileSync(mainTf).equals(before)).toBe(true);
    await expect(synthesizeWithReport({ ...opts, only: ["ci-identity"] }, 1, () => undefined)).rejects.toThrow(ForeignTerraformError);
    // Terraform's working files beside main.tf are no Terraform configuration.
    for (const f of planted) fs.rmSync(f);
    fs.writeFileSync(path.join(opts.generatedDir, "ci-identity", "terraform.tfstate"), "{}");
    fs.writeFileSync(path.join(opts.generatedDir, "ci-identity", ".terraform.lock.hcl"), "");
    expect(await run(argv(opts), {}, io().io)).toBe(0);
    expect(fs.readFileSync(path.join(opts.generatedDir, "ci-identity", "terraform.tfstate"), "utf8")).toBe("{}");
  });

  it("refuses, before writing anything, a placement lock it cannot read or of another product, even as a protected tenant is removed", async () => {
    const dir = scratch("lock");
    const raw = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
    const opts = options(dir, writeConfig(dir, raw));
    await builtBy(opts);
    const lockFile = path.join(opts.generatedDir, "fleet-placement.json");
    const lock = fs.readFileSync(lockFile, "utf8");
    // What two merge requests that each added a tenant leave after a merge.
    const conflicted = `<<<<<<< HEAD\n${lock}=======\n${lock.replace('"version": 1', '"version": 1 ')}>>>>>>> other\n`;
    const truncated = lock.slice(0, Math.floor(lock.length / 2));
    const foreign = JSON.stringify({ ...JSON.parse(lock), product: "other" }, null, 2);
    // A tenant whose data is protected, removed from the config: refused with a readable lock.
    const gone = raw.fleet.tenants[0].id as string;
    raw.fleet.tenants = raw.fleet.tenants.slice(1);
    writeConfig(dir, raw);
    const r0 = io();
    expect(await run(argv(opts), {}, r0.io)).toBe(2);
    expect(r0.err.join("")).toContain(`has lost tenant ${gone}`);
    for (const [text, message] of [
      [conflicted, "is not a placement lock"],
      [truncated, "is not a placement lock"],
      [foreign, 'is the placement lock of "other", not of fleet.product "accessos"'],
    ]) {
      fs.writeFileSync(lockFile, text);
      const before = { generated: tree(opts.generatedDir), out: tree(opts.outdir) };
      const r = io();
      expect(await run(argv(opts), {}, r.io)).toBe(2);
      expect(r.err.join("").trim().split("\n")).toEqual([expect.stringContaining(`${path.relative(process.cwd(), lockFile)} ${message}`)]);
      expect(r.out).toEqual([]);
      expect([...tree(opts.generatedDir)].every(([f, b]) => before.generated.get(f)?.equals(b))).toBe(true);
      expect([...tree(opts.generatedDir).keys()].sort()).toEqual([...before.generated.keys()].sort());
      expect([...tree(opts.outdir).keys()].sort()).toEqual([...before.out.keys()].sort());
    }
    // With the lock put back, the removal is refused for what it is.
    fs.writeFileSync(lockFile, lock);
    const r1 = io();
    expect(await run(argv(opts), {}, r1.io)).toBe(2);
    expect(r1.err.join("")).toContain(`has lost tenant ${gone}`);
  });

  it("never writes outside a stack's folder from a cache entry, and refuses an entry's file that is not what it recorded", async () => {
    const dir = scratch("poisoned");
    const opts = options(dir, EXAMPLE_FILE);
    await builtBy(opts);
    const cache = new SynthCache(opts.cacheDir!);
    const metaOf = (h: string) => path.join(cache.entryDir(h), "meta.json");
    const entry = fs.readdirSync(cache.entries).find((h) => JSON.parse(fs.readFileSync(metaOf(h), "utf8")).name === "ci-identity")!;
    const meta = JSON.parse(fs.readFileSync(metaOf(entry), "utf8"));
    // A name that climbs out of the stack's folder: the entry is not used, the stack is built again.
    const victim = path.join(dir, "victim.txt");
    fs.writeFileSync(victim, "mine");
    fs.writeFileSync(path.join(opts.cacheDir!, "victim.txt"), "planted");
    fs.writeFileSync(metaOf(entry), JSON.stringify({ ...meta, generated: [...meta.generated, "../../victim.txt"], files: { ...meta.files, "../../victim.txt": { sha256: "x", size: 7 } } }));
    fs.rmSync(path.join(opts.generatedDir, "ci-identity", "main.tf"));
    const again = await synthesizeWithReport(opts, 1, () => undefined);
    expect([again.built, again.reused]).toEqual([1, again.total - 1]);
    expect(fs.readFileSync(victim, "utf8")).toBe("mine");
    expect(JSON.parse(fs.readFileSync(metaOf(entry), "utf8")).generated).toEqual(meta.generated);
    // An entry's main.tf changed under its recorded hash: refused when it would be written.
    fs.appendFileSync(path.join(cache.entryDir(entry), "main.tf"), 'resource "aws_iam_user" "x" {}\n');
    fs.rmSync(path.join(opts.generatedDir, "ci-identity", "main.tf"));
    await expect(synthesizeWithReport(opts, 1, () => undefined)).rejects.toThrow(CorruptEntryError);
    const r = io();
    expect(await run(argv(opts), {}, r.io)).toBe(1);
    expect(r.err.join("")).toMatch(/^npm run synth: the synth cache's .*main\.tf is not what its entry recorded .*--force/);
    expect(await run([...argv(opts), "--force"], {}, io().io)).toBe(0);
    expect(fs.readFileSync(path.join(opts.generatedDir, "ci-identity", "main.tf"), "utf8")).not.toContain("aws_iam_user");
  });

  it("removes a stack's file it wrote into generated/ and writes no more, and leaves the files it never wrote", async () => {
    const dir = scratch("no-more");
    const opts = options(dir, EXAMPLE_FILE);
    await builtBy(opts);
    const old = path.join(opts.generatedDir, "ci-identity", "old-asset.zip");
    const notes = path.join(opts.generatedDir, "ci-identity", "notes.zip");
    fs.writeFileSync(old, "x");
    fs.writeFileSync(notes, "x");
    // As an earlier synth that wrote old-asset.zip for the stack would have recorded it.
    const index = new OutputIndex(new SynthCache(opts.cacheDir!), opts.outdir, opts.generatedDir);
    index.record(old, "0".repeat(64));
    index.save();
    await builtBy(opts);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(notes)).toBe(true);
  });

  it("writes the same manifest whatever SYNTH_HCL_OUTPUT says (synth writes main.tf itself)", async () => {
    const dir = scratch("hcl-output");
    const opts = options(dir, EXAMPLE_FILE);
    await builtBy(opts);
    const manifest = fs.readFileSync(path.join(opts.outdir, "manifest.json"), "utf8");
    process.env.SYNTH_HCL_OUTPUT = "true";
    try {
      await synthesizeWithReport({ ...opts, force: true }, 1, () => undefined);
    } finally {
      delete process.env.SYNTH_HCL_OUTPUT;
    }
    expect(fs.readFileSync(path.join(opts.outdir, "manifest.json"), "utf8")).toBe(manifest);
    expect(manifest).not.toContain("cdk.tf\"");
  });
});
