import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { run } from "../../src/main";
import { EXAMPLE_FILE, ROOT } from "../helpers";

/**
 * The compiled synth (what `npm run synth` runs) with its worker processes: the first worker starts
 * before the config is read and gets its stacks on standard input; a few missing stacks all go to it,
 * many are shared between it, further workers and the synth itself. Whatever the split, the files are
 * those of a synth in one process.
 */

const BASE = path.join(ROOT, ".tmp", "synth-workers-test");
const MAIN = path.join(ROOT, "dist", "src", "main.js");

function scratch(name: string): string {
  const dir = path.join(BASE, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The example with `extra` more services (enough for workers to share them), and no ephemeral stages. */
function configFile(dir: string, extra: number, name = "platform.yaml"): string {
  const raw = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
  for (let i = 0; i < extra; i++) raw.services.push({ slug: `svc-${i}`, gitlabProjectPath: `acme/svc-${i}` });
  delete raw.ephemeral;
  const file = path.join(dir, name);
  fs.writeFileSync(file, YAML.stringify(raw));
  return file;
}

function compiled(args: string[], input?: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: "utf8", input, timeout: 10 * 60_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(path.relative(dir, path.join(entry.parentPath, entry.name)), fs.readFileSync(path.join(entry.parentPath, entry.name)));
  }
  return files;
}

function expectSameTree(actual: string, expected: string): void {
  const a = tree(actual);
  const b = tree(expected);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  const differing = [...b].filter(([file, bytes]) => !a.get(file)!.equals(bytes)).map(([file]) => file);
  expect(differing).toEqual([]);
}

describe("the compiled synth's workers", () => {
  it("writes, cold with workers sharing the stacks and again with one service added, exactly what a synth in one process writes", async () => {
    const dir = scratch("split");
    // The same path for both configs: main.tf names the config in its header.
    const file = configFile(dir, 24);
    const out = (what: string) => ["--out", path.join(dir, what, "cdktf.out"), "--generated", path.join(dir, what, "generated")];
    const cold = compiled(["--config", file, ...out("workers"), "--cache", path.join(dir, "cache"), "--quiet"]);
    expect(cold.err).toMatch(/^0 reused unchanged from .*, (\d+) built\n$/);
    const stacks = Number(/, (\d+) built/.exec(cold.err)![1]);
    // More than one process's share: the parallel split ran, not the few-stacks path.
    expect(stacks).toBeGreaterThanOrEqual(40);
    expect(cold.code).toBe(0);

    configFile(dir, 25);
    const added = compiled(["--config", file, ...out("workers"), "--cache", path.join(dir, "cache"), "--quiet"]);
    expect(added.code).toBe(0);
    const [, reused, built] = /^(\d+) reused unchanged from .*, (\d+) built\n$/.exec(added.err)!.map(Number);
    expect(reused + built).toBeGreaterThan(stacks);
    expect(built).toBeGreaterThan(0);
    expect(built).toBeLessThan(40);

    // The reference: one process, no workers, no cache of its own.
    const lines: string[] = [];
    const code = await run(["--config", file, ...out("one"), "--quiet"], {}, { out: (t) => lines.push(t), err: () => undefined });
    expect(code).toBe(0);
    expectSameTree(path.join(dir, "workers", "generated"), path.join(dir, "one", "generated"));
    expectSameTree(path.join(dir, "workers", "cdktf.out"), path.join(dir, "one", "cdktf.out"));
    expect(added.out).toBe(lines.join("").replace("split/one/generated", "split/workers/generated"));

    // Everything reused: the worker started for nothing is stopped, and nothing changes.
    const before = tree(path.join(dir, "workers"));
    const again = compiled(["--config", file, ...out("workers"), "--cache", path.join(dir, "cache"), "--quiet"]);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(new RegExp(`^${reused + built} reused unchanged from .*, 0 built\\n$`));
    const after = tree(path.join(dir, "workers"));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect([...after].filter(([f, b]) => !before.get(f)!.equals(b)).map(([f]) => f)).toEqual([]);
  });

  it("stops the worker it started when the synth refuses, and writes nothing", () => {
    const dir = scratch("failing");
    const file = configFile(dir, 0);
    // A stack folder that is a file: refused before anything is built.
    fs.mkdirSync(path.join(dir, "generated"), { recursive: true });
    const r = compiled(["--config", file, "--out", path.join(dir, "cdktf.out"), "--generated", path.join(dir, "generated"), "--cache", path.join(dir, "cache"), "--only", "ci-identity"]);
    expect(r.code).toBe(0);
    fs.rmSync(path.join(dir, "generated", "ci-identity"), { recursive: true });
    fs.writeFileSync(path.join(dir, "generated", "ci-identity"), "not a folder\n");
    const refused = compiled(["--config", file, "--out", path.join(dir, "cdktf.out"), "--generated", path.join(dir, "generated"), "--cache", path.join(dir, "cache"), "--only", "ci-identity", "--force"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("exists and was not written by npm run synth");
    expect(fs.readFileSync(path.join(dir, "generated", "ci-identity"), "utf8")).toBe("not a folder\n");
  });

  it("--standby with nothing on standard input does nothing, and refuses other flags beside it", () => {
    const dir = scratch("standby");
    const idle = compiled(["--standby"], "");
    expect(idle).toEqual({ code: 0, out: "", err: "" });
    const mixed = compiled(["--standby", "--out", path.join(dir, "out")], "");
    expect(mixed.code).toBe(2);
    expect(mixed.err).toBe("npm run synth: --standby takes its other arguments from standard input, not the command line (see --help)\n");
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
    for (const input of ['{"not": "a list"}', "--out x", "[1, 2]"]) {
      const bad = compiled(["--standby"], input);
      expect(bad.code).toBe(2);
      expect(bad.err).toBe("npm run synth: --standby reads a JSON array of arguments from standard input (see --help)\n");
    }
    const nested = compiled(["--standby"], JSON.stringify(["--standby"]));
    expect(nested.code).toBe(2);
    expect(nested.err).toBe("npm run synth: --standby reads the arguments of a worker, not another --standby (see --help)\n");
  });
});
