import { spawn, spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { run, shareStacks } from "../../src/main";
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

  it("ends with no worker left when it stops before synth: a missing config, a wrong flag", () => {
    // The first worker starts as the code loads, before the arguments are read. spawnSync returns once
    // every process holding the pipes it gave has ended, a worker (which shares standard error) too.
    const dir = scratch("early");
    const missing = compiled(["--config", path.join(dir, "nope.yaml"), "--out", path.join(dir, "cdktf.out"), "--generated", path.join(dir, "generated")]);
    expect(missing.code).toBe(2);
    expect(missing.err.trim().split("\n")).toEqual([expect.stringMatching(/nope\.yaml.*not found/)]);
    const wrong = compiled(["--config", configFile(dir, 0), "--no-such-flag"]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--no-such-flag/);
    expect(fs.existsSync(path.join(dir, "generated"))).toBe(false);
    // An output folder the system will not make (Node's recursive mkdir retries /proc forever): one line.
    const unmakeable = compiled(["--config", configFile(dir, 0), "--out", "/proc/apps-platform-test", "--generated", path.join(dir, "generated"), "--cache", path.join(dir, "cache"), "--only", "ci-identity"]);
    expect({ code: unmakeable.code, err: unmakeable.err }).toEqual({ code: 2, err: "the output folder /proc/apps-platform-test/stacks (--out): cannot be made: /proc/apps-platform-test cannot be made (the file system refuses a folder there)\n" });
    expect(fs.existsSync(path.join(dir, "generated"))).toBe(false);
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

  it("--standby starts on its line of arguments, with its standard input still open", async () => {
    // The synth keeps building a share of its own after it hands a worker its line; a worker that
    // waited for the pipe to close would wait for that share to end.
    const dir = scratch("line");
    const file = configFile(dir, 0);
    const list = path.join(dir, "stacks.txt");
    fs.writeFileSync(list, "ci-identity\n");
    const args = ["--config", file, "--out", path.join(dir, "out"), "--generated", path.join(dir, "generated"), "--shard", "0/1", "--stacks-from", list, "--cache", path.join(dir, "cache")];
    const child = spawn(process.execPath, [MAIN, "--standby"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stdin.write(`${JSON.stringify(args)}\n`);
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve("still waiting after 60 s");
      }, 60_000);
      child.on("close", (c) => {
        clearTimeout(timer);
        resolve(c ?? "killed");
      });
    });
    child.stdin.destroy();
    expect(code).toBe(0);
    expect((JSON.parse(out) as { name: string }[]).map((m) => m.name)).toEqual(["ci-identity"]);
  });
});

describe("shareStacks: how a parallel synth shares the stacks out", () => {
  it("gives every stack to exactly one process, none more than its limit, and every lane about as many", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 600 }), (n, count, max) => {
        const names = Array.from({ length: n }, (_, i) => `s${i}`);
        const { own, lanes } = shareStacks(names, count, max);
        expect(lanes).toHaveLength(count);
        const parts = lanes.flat();
        expect([...own, ...parts.flat()].sort()).toEqual([...names].sort());
        expect(own.length).toBeLessThanOrEqual(max);
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(part.length).toBeLessThanOrEqual(max);
        }
        // This process's lane counts its own share: no lane has more than one stack over another.
        const sizes = lanes.map((l, k) => l.flat().length + (k === 0 ? own.length : 0));
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // Its own share is as big as its lane allows, so no worker starts for what it could build.
        expect(own.length).toBe(Math.min(max, sizes[0]));
        // Parts of a lane differ by at most one stack: the lane's workers are as few as its limit allows.
        for (const l of lanes) {
          expect(l.length).toBe(Math.ceil(l.flat().length / max));
          if (l.length > 0) expect(Math.max(...l.map((p) => p.length)) - Math.min(...l.map((p) => p.length))).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("deals the stacks in turn, so that each lane has as many of each kind as the others", () => {
    // The config's order: every onboarding stack, then every (costlier) tenant stack.
    const names = [...Array.from({ length: 20 }, (_, i) => `onboarding-${i}`), ...Array.from({ length: 20 }, (_, i) => `tenant-${i}`)];
    const { own, lanes } = shareStacks(names, 2, 400);
    for (const lane of [own, lanes[1].flat()]) {
      expect(lane.filter((n) => n.startsWith("onboarding-"))).toHaveLength(10);
      expect(lane.filter((n) => n.startsWith("tenant-"))).toHaveLength(10);
    }
  });
});

