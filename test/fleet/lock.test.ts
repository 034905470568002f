import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { ConfigError } from "../../src/config/loader";
import { PLACEMENT_LOCK, synthesize } from "../../src/main";
import { EXAMPLE_FILE } from "../helpers";

/** A work folder with a config file made from the example. */
function workspace(name: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-lock-${name}-`));
  const configFile = path.join(dir, "platform.yaml");
  const raw = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
  const write = (change: (fleet: Record<string, any>) => void) => {
    change(raw.fleet);
    fs.writeFileSync(configFile, YAML.stringify(raw));
  };
  write(() => {});
  const options = { configFile, outdir: path.join(dir, "cdktf.out"), generatedDir: path.join(dir, "generated") };
  const lock = () => JSON.parse(fs.readFileSync(path.join(options.generatedDir, PLACEMENT_LOCK), "utf8"));
  return { dir, options, write, lock, synth: () => synthesize(options, 1, () => {}) };
}

describe("the placement lock", () => {
  it("keeps every tenant's place when another is added before it, and frees a place only with its tenant", async () => {
    const w = workspace("add");
    await w.synth();
    const first = w.lock();
    expect(first.stages.prod).toEqual({
      "acme-corp": { loadBalancer: 0, position: 0, allowDestroy: false },
      globex: { loadBalancer: 0, position: 1, allowDestroy: false },
    });
    // A new tenant listed first takes the lowest free place, not acme-corp's.
    w.write((f) => f.tenants.unshift({ id: "hooli", tier: "pool", wave: "canary" }));
    await w.synth();
    const second = w.lock();
    expect(second.stages.prod["acme-corp"]).toEqual(first.stages.prod["acme-corp"]);
    expect(second.stages.prod.globex).toEqual(first.stages.prod.globex);
    expect(second.stages.prod.hooli).toEqual({ loadBalancer: 0, position: 2, allowDestroy: false });
    const priorities = (stack: string) =>
      [...fs.readFileSync(path.join(w.options.generatedDir, stack, "main.tf"), "utf8").matchAll(/^\s*priority\s*=\s*(\d+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    // Position 2: priorities 120-122 for the three path rules, 129 for the catch-all.
    expect(priorities("tenant-hooli-prod")).toEqual([120, 121, 122, 129]);
    expect(priorities("tenant-acme-corp-prod")).toEqual([100, 101, 102, 109]);
  }, 120_000);

  it("refuses to drop a tenant whose data is protected, names what to set, and writes nothing", async () => {
    const w = workspace("drop");
    await w.synth();
    const before = fs.readFileSync(path.join(w.options.generatedDir, PLACEMENT_LOCK), "utf8");
    w.write((f) => (f.tenants = f.tenants.filter((t: { id: string }) => t.id !== "globex")));
    const error = await w.synth().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const messages = (error as ConfigError).problems.map((p) => `${p.path} ${p.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^fleet\.tenants has lost tenant globex in stage dev \(accessos\), whose data is protected: to remove it, put it back with allowDestroy: true/),
      expect.stringMatching(/^fleet\.tenants has lost tenant globex in stage prod \(accessos\)/),
    ]);
    expect((error as ConfigError).problems[0].line).toBeGreaterThan(1);
    expect(fs.readFileSync(path.join(w.options.generatedDir, PLACEMENT_LOCK), "utf8")).toBe(before);
    expect(fs.existsSync(path.join(w.options.generatedDir, "tenant-globex-prod", "main.tf"))).toBe(true);
  }, 120_000);

  it("lets a tenant with allowDestroy go: its stacks and place are removed, nobody else moves", async () => {
    const w = workspace("remove");
    await w.synth();
    const first = w.lock();
    w.write((f) => (f.tenants = f.tenants.filter((t: { id: string }) => t.id !== "initech")));
    await w.synth();
    expect(fs.existsSync(path.join(w.options.generatedDir, "tenant-initech-dev"))).toBe(false);
    const second = w.lock();
    expect(second.stages.dev).toEqual({ "acme-corp": first.stages.dev["acme-corp"], globex: first.stages.dev.globex });
  }, 120_000);
});
