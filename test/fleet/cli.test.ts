import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { FLEET_COMMAND, FLEET_COMMANDS, WavesReport, run } from "../../src/fleet/cli";
import { PLACEMENT_LOCK } from "../../src/fleet/lock-file";
import { ROOT } from "../helpers";
import { RawTenant, exampleWithFleet, scratch, tenantIds, writeConfig } from "../fixtures/fleet-configs";

/**
 * `npm run fleet` as a user runs it: the exported run() with argv, env and captured output. The
 * expectations are worked out from the config (and the lock) written by each test, not copied from
 * the command's output: the numbers are derived in the comments beside them.
 */

const COMMITTED = path.join(ROOT, "generated");

function cli(argv: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = run(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}

const rel = (f: string) => path.relative(process.cwd(), f);

/** The rows formatCapacity prints, by what they count. */
function capacityRows(stageBlock: string): Map<string, { used: number; quota: number; flag: string }> {
  const rows = new Map<string, { used: number; quota: number; flag: string }>();
  for (const line of stageBlock.split("\n")) {
    const m = /^ {2}(\S.*?) +(\d+) \/ (\d+) +\d+%(.*)$/.exec(line);
    if (m) rows.set(m[1], { used: Number(m[2]), quota: Number(m[3]), flag: m[4].trim() });
  }
  return rows;
}

/** One stage's block of a capacity or placement output. */
function stageBlock(out: string, stage: string): string {
  const block = out.split("\n\n").find((b) => b.startsWith(`accessos in ${stage}:`));
  if (!block) throw new Error(`no block for stage ${stage} in:\n${out}`);
  return block;
}

/** The tenants a capacity block names to move, in its order. */
function toMove(block: string): string[] {
  const m = /move to an account of their own \((\d+)\): (.*)$/m.exec(block);
  if (!m) return [];
  const ids = m[2].split(", ");
  expect(ids).toHaveLength(Number(m[1]));
  return ids;
}

/** 250 tenants over two waves and both stages; `tier` picks each one's tier by its index. */
function fleetOf250(tier: (i: number) => "pool" | "silo" = () => "pool", change: (fleet: Record<string, any>) => void = () => undefined) {
  return exampleWithFleet((fleet) => {
    fleet.tenants = tenantIds(250).map((id, i): RawTenant => ({ id, tier: tier(i), wave: i < 10 ? "canary" : "general" }));
    change(fleet);
  });
}

describe("npm run fleet: help and wrong use", () => {
  it.each([[["--help"]], [["-h"]], [["--stage", "dev", "--help"]], [["lst", "--help"]]])("answers %j with every command and option, exit 0", (argv) => {
    const { code, out, err } = cli(argv);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^usage: npm run fleet -- <capacity\|waves\|placement> \[options\]\n/);
    for (const c of ["capacity", "waves", "placement"]) expect(out).toMatch(new RegExp(`^  ${c} +\\S`, "m"));
    for (const o of ["--stage <stage>", "--json", "--config <file>", "--generated <dir>", "-h, --help"]) expect(out).toContain(`\n  ${o} `);
    expect(out).toContain("env PLATFORM_CONFIG; default config/example.yaml");
  });

  it.each(FLEET_COMMANDS.map((c) => [c.name]))("answers %s --help with that command's own options only", (name) => {
    const { code, out } = cli([name, "--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^usage: npm run fleet -- ${name} \\[options\\]\\n`));
    const spec = FLEET_COMMANDS.find((c) => c.name === name)!.spec;
    for (const o of spec.options) expect(out).toContain(o.description);
    // --json is the waves command's alone.
    expect(out.includes("\n  --json ")).toBe(name === "waves");
    expect(out).not.toMatch(/^commands:/m);
  });

  it.each([
    [[], "npm run fleet: a command is required: capacity, waves, placement (see --help)"],
    [["plan"], 'npm run fleet: unknown command "plan"; commands: capacity, waves, placement (see --help)'],
    [["wave"], 'npm run fleet: unknown command "wave"; did you mean waves?; commands: capacity, waves, placement (see --help)'],
    [["waves", "--stag", "dev"], "npm run fleet: unknown option --stag; did you mean --stage? (see --help)"],
    [["capacity", "--verbose"], "npm run fleet: unknown option --verbose (see --help)"],
    [["capacity", "--json"], "npm run fleet: --json is not used by capacity (only by waves) (see --help)"],
    [["placement", "--json"], "npm run fleet: --json is not used by placement (only by waves) (see --help)"],
    [["waves", "--stage"], "npm run fleet: --stage needs a value: --stage <stage> (see --help)"],
    [["waves", "--stage", "--json"], 'npm run fleet: --stage needs a value (<stage>), got the option "--json"; a value starting with "-" is not accepted (see --help)'],
    [["waves"], "npm run fleet: --stage is required for waves: one of the fleet's stages, dev, prod (see --help)"],
    [["waves", "--stage", "qa"], 'npm run fleet: unknown stage "qa": the fleet\'s stages are dev, prod (fleet.stages) (see --help)'],
    [["capacity", "--stage", "Dev"], 'npm run fleet: unknown stage "Dev": the fleet\'s stages are dev, prod (fleet.stages) (see --help)'],
    [["placement", "--stage", "qa"], 'npm run fleet: unknown stage "qa": the fleet\'s stages are dev, prod (fleet.stages) (see --help)'],
  ])("refuses %j with exit 2 and one line naming what is wrong", (argv, message) => {
    expect(cli(argv)).toEqual({ code: 2, out: "", err: `${message}\n` });
  });

  it("names a platform stage the fleet is not in as such", () => {
    const dir = scratch("fleet-cli", "dev-only");
    const config = writeConfig(dir, "dev-only.yaml", exampleWithFleet((fleet) => {
      delete fleet.stages.prod;
      fleet.tenants = fleet.tenants.map((t: RawTenant) => ({ ...t, stages: ["dev"] }));
    }));
    expect(cli(["waves", "--stage", "prod", "--config", config])).toEqual({
      code: 2,
      out: "",
      err: 'npm run fleet: unknown stage "prod" (a stage of the platform the fleet is not in): the fleet\'s stages are dev (fleet.stages) (see --help)\n',
    });
  });

  it("turns a config file that is missing or a directory into one line naming it, from --config or PLATFORM_CONFIG", () => {
    const dir = scratch("fleet-cli", "missing");
    expect(cli(["capacity", "--config", path.join(dir, "nope.yaml")])).toEqual({ code: 2, out: "", err: `the config file ${rel(path.join(dir, "nope.yaml"))} (from --config): not found\n` });
    expect(cli(["waves", "--stage", "dev"], { PLATFORM_CONFIG: dir })).toEqual({ code: 2, out: "", err: `the config file ${rel(dir)} (from PLATFORM_CONFIG): is a directory, not a file\n` });
  });

  it("prints every problem of an invalid config, as synth does, and no stack trace", () => {
    const { code, out, err } = cli(["capacity", "--config", path.join(ROOT, "test", "fixtures", "planted-mistakes.yaml")]);
    expect({ code, out }).toEqual({ code: 2, out: "" });
    expect(err.split("\n")[0]).toBe("17 problems in the platform config:");
    expect(err).not.toMatch(/\n\s+at /);
  });

  it("refuses fewer listener rules per load balancer than a tenant has web services, rather than hanging", () => {
    const dir = scratch("fleet-cli", "rules");
    // Four web services (three with a path, iam-service the catch-all): 3 rules cannot hold one tenant.
    const config = writeConfig(dir, "rules.yaml", exampleWithFleet((fleet) => (fleet.quotas = { rulesPerLoadBalancer: 3 })));
    const { code, out, err } = cli(["capacity", "--config", config]);
    expect({ code, out }).toEqual({ code: 2, out: "" });
    expect(err).toMatch(
      /^1 problem in the platform config:\n {2}fleet\.quotas\.rulesPerLoadBalancer must be at least 4: a tenant takes one listener rule per web service \(integrations-service, discovery-service, audit-service, iam-service\) on the load balancer it is placed on, got 3 \(.*rules\.yaml:\d+:\d+\)\n$/,
    );
    // Four rules hold one tenant per load balancer, on every load balancer but the first (its control-plane rule leaves 3).
    const four = writeConfig(dir, "four.yaml", exampleWithFleet((fleet) => (fleet.quotas = { rulesPerLoadBalancer: 4 })));
    const placed = cli(["placement", "--stage", "dev", "--config", four, "--generated", dir]);
    expect(placed.code).toBe(0);
    expect(placed.out).toMatch(/load balancer 1 \(accessos-dev-1\): 0 of 0 places used/);
    expect(placed.out).toMatch(/load balancer 4 \(accessos-dev-4\): 1 of 1 places used\n {4}position 0 +initech /);
  });

  it("says so in one line when the config has no fleet", () => {
    const dir = scratch("fleet-cli", "no-fleet");
    const config = writeConfig(dir, "no-fleet.yaml", exampleWithFleet((_, raw) => delete raw.fleet));
    for (const argv of [["capacity"], ["waves", "--stage", "dev"], ["placement"]]) {
      expect(cli([...argv, "--config", config])).toEqual({ code: 2, out: "", err: `the platform config ${rel(config)} has no fleet: section, so there is no tenant fleet to show\n` });
    }
  });
});

describe("npm run fleet -- waves", () => {
  it("lists the example's waves in promotion order with their images and tenants, from the committed lock", () => {
    // config/example.yaml: canary (1.8.0) holds acme-corp; general (1.7.3) holds globex and initech, in
    // that order; initech is paused and runs in dev only. The lock puts all three on the first load balancer.
    const dev = cli(["waves", "--stage", "dev", "--generated", COMMITTED]);
    expect(dev).toEqual({
      code: 0,
      err: "",
      out: [
        `accessos: config/example.yaml, placement lock ${rel(path.join(COMMITTED, PLACEMENT_LOCK))}`,
        "",
        "accessos in dev: 2 waves in promotion order, 3 tenants",
        "1. canary  image 1.8.0  (1 tenant): acme-corp [lb 1]",
        "2. general  image 1.7.3  (2 tenants): globex [lb 1], initech [lb 1, paused]",
        "promoting a wave (a new image in fleet.waves) plans only its tenants' stacks, tenant-<id>-dev",
        "",
      ].join("\n"),
    });
    const prod = cli(["waves", "--stage", "prod"]);
    expect(prod.out).toContain("\n1. canary  image 1.8.0  (1 tenant): acme-corp [lb 1]\n2. general  image 1.7.3  (1 tenant): globex [lb 1]\n");
  });

  it("prints the documented JSON with --json", () => {
    const { code, out } = cli(["waves", "--stage", "dev", "--json", "--generated", COMMITTED]);
    expect(code).toBe(0);
    const report: WavesReport = JSON.parse(out);
    expect(report).toEqual({
      product: "accessos",
      stage: "dev",
      routing: "hostHeader",
      paused: false,
      placementLock: rel(path.join(COMMITTED, PLACEMENT_LOCK)),
      waves: [
        { order: 1, name: "canary", image: "1.8.0", tenants: [{ id: "acme-corp", tier: "pool", paused: false, loadBalancer: 1, stack: "tenant-acme-corp-dev" }] },
        {
          order: 2,
          name: "general",
          image: "1.7.3",
          tenants: [
            { id: "globex", tier: "silo", paused: false, loadBalancer: 1, stack: "tenant-globex-dev" },
            { id: "initech", tier: "pool", paused: true, loadBalancer: 1, stack: "tenant-initech-dev" },
          ],
        },
      ],
    });
  });

  it("keeps the config's order of waves and of tenants, whatever their names, for any assignment of tenants", () => {
    const dir = scratch("fleet-cli", "waves-property");
    // Names that sort differently from the order they are written in, so a sorted list would fail.
    const waveNames = ["zeta", "alpha", "mid", "beta"];
    const ids = ["delta", "bravo", "echo", "alpha-co", "charlie", "foxtrot", "golf", "acme"];
    const tenant = fc.record({
      wave: fc.integer({ min: 0, max: waveNames.length - 1 }),
      tier: fc.constantFrom("pool" as const, "silo" as const),
      paused: fc.boolean(),
      stages: fc.constantFrom<string[] | undefined>(undefined, ["dev"], ["prod"], ["prod", "dev"]),
    });
    let run = 0;
    fc.assert(
      fc.property(fc.array(tenant, { minLength: 0, maxLength: ids.length }), fc.integer({ min: 1, max: waveNames.length }), fc.boolean(), (tenants, waveCount, devPaused) => {
        const waves = waveNames.slice(0, waveCount).map((name, i) => ({ name, image: `${waveCount - i}.0.${i}` }));
        const raw: RawTenant[] = tenants.map((t, i) => ({ id: ids[i], wave: waves[t.wave % waveCount].name, tier: t.tier, paused: t.paused, ...(t.stages ? { stages: t.stages } : {}) }));
        const config = writeConfig(dir, `waves-${run++}.yaml`, exampleWithFleet((fleet) => {
          fleet.waves = waves;
          fleet.tenants = raw;
          fleet.stages.dev.paused = devPaused;
        }));
        for (const stage of ["dev", "prod"]) {
          const { code, out } = cli(["waves", "--stage", stage, "--json", "--config", config, "--generated", dir]);
          expect(code).toBe(0);
          const stagePaused = stage === "dev" && devPaused;
          // At most eight tenants: they all fit on the first load balancer (24 places).
          const expected: WavesReport = {
            product: "accessos",
            stage,
            routing: "hostHeader",
            paused: stagePaused,
            placementLock: null,
            waves: waves.map((w, i) => ({
              order: i + 1,
              name: w.name,
              image: w.image,
              tenants: raw
                .filter((t) => t.wave === w.name && (t.stages ?? ["dev", "prod"]).includes(stage))
                .map((t) => ({ id: t.id, tier: t.tier!, paused: t.paused! || stagePaused, loadBalancer: 1, stack: `tenant-${t.id}-${stage}` })),
            })),
          };
          expect(JSON.parse(out)).toEqual(expected);
        }
      }),
      { numRuns: 15 },
    );
  });

  it("marks the tenants of a paused stage and says the stage is paused", () => {
    const dir = scratch("fleet-cli", "paused-stage");
    const config = writeConfig(dir, "paused.yaml", exampleWithFleet((fleet) => (fleet.stages.prod.paused = true)));
    const { out } = cli(["waves", "--stage", "prod", "--config", config, "--generated", dir]);
    expect(out).toContain(
      "accessos in prod: 2 waves in promotion order, 2 tenants\n  the stage is paused (fleet.stages.prod.paused): none of its tenants runs tasks\n" +
        "1. canary  image 1.8.0  (1 tenant): acme-corp [lb 1, paused]\n2. general  image 1.7.3  (1 tenant): globex [lb 1, paused]\n",
    );
  });

  it("names the load balancer of each tenant once the first is full, and an empty wave", () => {
    const dir = scratch("fleet-cli", "spill");
    const ids = tenantIds(60);
    // The first load balancer holds 24 tenants (100 rules less the control plane's one, 4 per tenant), the others 25.
    const config = writeConfig(dir, "sixty.yaml", exampleWithFleet((fleet) => {
      fleet.waves.push({ name: "late", image: "1.6.0" });
      fleet.tenants = ids.map((id, i) => ({ id, wave: i % 2 === 0 ? "canary" : "general" }));
    }));
    const { code, out } = cli(["waves", "--stage", "dev", "--config", config, "--generated", dir]);
    expect(code).toBe(0);
    const lb = (i: number) => (i < 24 ? 1 : i < 49 ? 2 : 3);
    const listed = (parity: number) =>
      ids
        .map((id, i) => [id, i] as const)
        .filter(([, i]) => i % 2 === parity)
        .map(([id, i]) => `${id} [lb ${lb(i)}]`)
        .join(", ");
    expect(out).toContain(`\n1. canary  image 1.8.0  (30 tenants): ${listed(0)}\n2. general  image 1.7.3  (30 tenants): ${listed(1)}\n3. late  image 1.6.0  (0 tenants)\n`);
    expect(out).toContain("t-024 [lb 1], t-026 [lb 2]");
  });
});

describe("npm run fleet -- capacity", () => {
  it("reports the example's quota use per stage from the committed lock", () => {
    const { code, out, err } = cli(["capacity"]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const dev = capacityRows(stageBlock(out, "dev"));
    // dev: 3 tenants × 4 web services + the tenant registry's apex rule = 13 target groups and rules.
    expect(dev.get("target groups on the busiest load balancer")).toEqual({ used: 13, quota: 100, flag: "" });
    // 3 tenants × (task + execution role) + 3 control-plane task roles + 1 control-plane execution role
    // + the platform's: 3 services × 5 roles + 10 ephemeral authorizers + flow logs + provisioner = 37.
    expect(dev.get("IAM roles")).toEqual({ used: 37, quota: 1000, flag: "" });
    // globex (silo) + the pool + payments-api's and webservice-aurora-example's databases.
    expect(dev.get("Aurora DB clusters")).toEqual({ used: 4, quota: 40, flag: "" });
    const prod = capacityRows(stageBlock(out, "prod"));
    // prod: acme-corp and globex (initech is dev-only): 2 × 4 + 1.
    expect(prod.get("listener rules on the busiest load balancer")).toEqual({ used: 9, quota: 100, flag: "" });
    expect(prod.get("Aurora DB clusters")).toEqual({ used: 3, quota: 40, flag: "" });
    expect(out).toMatch(/^accessos in dev: quota use \(move threshold 80%\)$/m);
    expect(out.match(/no tenant needs an account of its own/g)).toHaveLength(2);
  });

  it("shows one stage with --stage", () => {
    const { code, out } = cli(["capacity", "--stage", "prod"]);
    expect(code).toBe(0);
    expect(out).toContain("accessos in prod: quota use");
    expect(out).not.toContain("accessos in dev");
  });

  it("spreads 250 pool tenants over 11 load balancers and moves none", () => {
    const dir = scratch("fleet-cli", "250-pool");
    const config = writeConfig(dir, "pool.yaml", fleetOf250());
    const { code, out } = cli(["capacity", "--config", config, "--generated", dir]);
    expect(code).toBe(0);
    for (const stage of ["dev", "prod"]) {
      const block = stageBlock(out, stage);
      const rows = capacityRows(block);
      // 24 on the first, 25 on each other: 24 + 9 × 25 = 249, so the 250th needs an eleventh.
      expect(rows.get("load balancers")).toEqual({ used: 11, quota: 50, flag: "" });
      // The fullest load balancers hold 25 tenants × 4 target groups.
      expect(rows.get("target groups on the busiest load balancer")).toMatchObject({ used: 100, quota: 100 });
      // 250 × 5 tenant services + 3 control-plane services.
      expect(rows.get("ECS services in the fleet's cluster")).toEqual({ used: 1253, quota: 5000, flag: "" });
      expect(toMove(block)).toEqual([]);
    }
    // dev: 500 tenant roles + 4 control plane + 27 platform (see above); prod: 500 + 4 + 2 services × 5 + 2.
    expect(capacityRows(stageBlock(out, "dev")).get("IAM roles")!.used).toBe(531);
    expect(capacityRows(stageBlock(out, "prod")).get("IAM roles")!.used).toBe(516);
    const placement = cli(["placement", "--stage", "dev", "--config", config, "--generated", dir]).out;
    expect(placement).toContain("accessos in dev: 250 tenants on 11 load balancers (routing hostHeader)");
    expect(placement).toMatch(/load balancer 11 \(accessos-dev-11\): 1 of 25 places used\n {4}position 0 +t-250 /);
  });

  describe("with 35 silo tenants among 250", () => {
    const dir = scratch("fleet-cli", "250-silo");
    // Every seventh tenant is a silo: t-007, t-014, …, t-245.
    const silo = tenantIds(250).filter((_, i) => i % 7 === 6);
    const config = writeConfig(dir, "silo.yaml", fleetOf250((i) => (i % 7 === 6 ? "silo" : "pool")));

    it("counts their databases and names the newest silo tenants to move when dbClustersPerRegion is near", () => {
      expect(silo).toHaveLength(35);
      const { code, out } = cli(["capacity", "--config", config, "--generated", dir]);
      expect(code).toBe(0);
      const dev = stageBlock(out, "dev");
      // dev: 35 silo clusters + the pool + 2 platform databases = 38 of 40; the threshold is 80% of 40 = 32,
      // so 6 silo tenants must go, the newest in the config first.
      expect(capacityRows(dev).get("Aurora DB clusters")).toEqual({ used: 38, quota: 40, flag: "above threshold" });
      expect(capacityRows(dev).get("DB instances")).toEqual({ used: 38, quota: 40, flag: "above threshold" });
      expect(toMove(dev)).toEqual(silo.slice(-6).reverse());
      // prod: 35 + 1 + payments-api's database = 37, so 5.
      const prod = stageBlock(out, "prod");
      expect(capacityRows(prod).get("Aurora DB clusters")).toEqual({ used: 37, quota: 40, flag: "above threshold" });
      expect(toMove(prod)).toEqual(silo.slice(-5).reverse());
    });

    it("is back under the threshold once the named tenants move, and would not be with one fewer", () => {
      const named = silo.slice(-6);
      const without = (ids: string[]) => fleetOf250((i) => (i % 7 === 6 ? "silo" : "pool"), (fleet) => (fleet.tenants = fleet.tenants.filter((t: RawTenant) => !ids.includes(t.id))));
      const moved = cli(["capacity", "--stage", "dev", "--config", writeConfig(dir, "moved.yaml", without(named)), "--generated", dir]).out;
      expect(capacityRows(moved).get("Aurora DB clusters")).toEqual({ used: 32, quota: 40, flag: "" });
      expect(moved).toContain("no tenant needs an account of its own");
      const short = cli(["capacity", "--stage", "dev", "--config", writeConfig(dir, "short.yaml", without(named.slice(1))), "--generated", dir]).out;
      expect(capacityRows(short).get("Aurora DB clusters")).toEqual({ used: 33, quota: 40, flag: "above threshold" });
      expect(toMove(short)).toEqual([named[0]]);
    });

    it("moves nobody once the quotas are raised", () => {
      const raised = writeConfig(dir, "raised.yaml", fleetOf250((i) => (i % 7 === 6 ? "silo" : "pool"), (fleet) => (fleet.quotas = { dbClustersPerRegion: 100, dbInstancesPerRegion: 100 })));
      const out = cli(["capacity", "--config", raised, "--generated", dir]).out;
      expect(capacityRows(stageBlock(out, "dev")).get("Aurora DB clusters")).toEqual({ used: 38, quota: 100, flag: "" });
      expect(out.match(/no tenant needs an account of its own/g)).toHaveLength(2);
    });
  });

  it("names the newest tenants of any tier when IAM roles are near the account's quota", () => {
    const dir = scratch("fleet-cli", "250-roles");
    const ids = tenantIds(250);
    const config = writeConfig(dir, "roles.yaml", fleetOf250(undefined, (fleet) => (fleet.quotas = { rolesPerAccount: 600 })));
    const out = cli(["capacity", "--config", config, "--generated", dir]).out;
    // dev: 531 roles, the threshold 480: 2 roles per tenant, so 26 tenants (531 - 52 = 479).
    expect(capacityRows(stageBlock(out, "dev")).get("IAM roles")).toEqual({ used: 531, quota: 600, flag: "above threshold" });
    expect(toMove(stageBlock(out, "dev"))).toEqual(ids.slice(-26).reverse());
    // prod: 516 roles: 18 tenants (516 - 36 = 480).
    expect(toMove(stageBlock(out, "prod"))).toEqual(ids.slice(-18).reverse());
  });

  it("names enough tenants, and not twice as many, when the load balancers per Region are near", () => {
    const dir = scratch("fleet-cli", "250-albs");
    const ids = tenantIds(250);
    // 50 rules per load balancer: 49 / 4 = 12 tenants on the first, 50 / 4 = 12 on each other, so
    // 250 tenants need 21 load balancers; the threshold is 80% of 25 = 20. Each tenant is 1/12 of a
    // load balancer, so 12 tenants must go (the 25 of a target-groups-only estimate would be twice that).
    const quotas = { rulesPerLoadBalancer: 50, loadBalancersPerRegion: 25 };
    const config = writeConfig(dir, "albs.yaml", fleetOf250(undefined, (fleet) => (fleet.quotas = quotas)));
    const block = stageBlock(cli(["capacity", "--config", config, "--generated", dir]).out, "dev");
    expect(capacityRows(block).get("load balancers")).toEqual({ used: 21, quota: 25, flag: "above threshold" });
    expect(toMove(block)).toEqual(ids.slice(-12).reverse());
    // Once they have moved, 238 tenants fill 20 load balancers: at the threshold, not above it.
    const moved = writeConfig(dir, "moved.yaml", fleetOf250(undefined, (fleet) => {
      fleet.quotas = quotas;
      fleet.tenants = fleet.tenants.slice(0, 238);
    }));
    const after = stageBlock(cli(["capacity", "--config", moved, "--generated", dir]).out, "dev");
    expect(capacityRows(after).get("load balancers")).toEqual({ used: 20, quota: 25, flag: "" });
    expect(toMove(after)).toEqual([]);
  });

  it("uses the placement lock: a tenant locked on a later load balancer keeps it there", () => {
    const dir = scratch("fleet-cli", "capacity-lock");
    // acme-corp locked alone on the third load balancer: prod needs three, the first holding globex only.
    const lock = { version: 1, product: "accessos", stages: { prod: { "acme-corp": { loadBalancer: 2, position: 7, allowDestroy: false } } } };
    fs.writeFileSync(path.join(dir, PLACEMENT_LOCK), JSON.stringify(lock));
    const out = cli(["capacity", "--stage", "prod", "--generated", dir]).out;
    expect(out.split("\n")[0]).toBe(`accessos: config/example.yaml, placement lock ${rel(path.join(dir, PLACEMENT_LOCK))}`);
    expect(capacityRows(out).get("load balancers")).toEqual({ used: 3, quota: 50, flag: "" });
    // globex's 4 + the control plane's 1 on the first; acme-corp's 4 on the third.
    expect(capacityRows(out).get("target groups on the busiest load balancer")!.used).toBe(5);
  });
});

describe("npm run fleet -- placement", () => {
  it("shows the example's places and priorities from the committed lock", () => {
    // Rules in routing order: the path services in config order (indexes 0, 1, 2), the catch-all
    // iam-service at index 9; priority = 100 + 10 × position + index. The control plane's apex rule
    // (tenant-registry, the catch-all) is 9 + 1 = 10.
    const { code, out } = cli(["placement", "--stage", "dev", "--generated", COMMITTED]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        `accessos: config/example.yaml, placement lock ${rel(path.join(COMMITTED, PLACEMENT_LOCK))}`,
        "",
        "accessos in dev: 3 tenants on 1 load balancer (routing hostHeader)",
        "  load balancer 1 (accessos-dev-1): 3 of 24 places used",
        "    control plane: 10 tenant-registry (accessos.dev.apps.acme.example)",
        "    position 0    acme-corp  100 integrations-service, 101 discovery-service, 102 audit-service, 109 iam-service",
        "    position 1    globex     110 integrations-service, 111 discovery-service, 112 audit-service, 119 iam-service",
        "    position 2    initech    120 integrations-service, 121 discovery-service, 122 audit-service, 129 iam-service",
        "",
      ].join("\n"),
    );
  });

  it("keeps locked places, gives a new tenant the lowest free one, and says what the next synth changes", () => {
    const dir = scratch("fleet-cli", "placement-lock");
    const lock = {
      version: 1,
      product: "accessos",
      stages: {
        dev: {
          globex: { loadBalancer: 0, position: 5, allowDestroy: false },
          "acme-corp": { loadBalancer: 0, position: 2, allowDestroy: false },
          hooli: { loadBalancer: 0, position: 0, allowDestroy: true },
          umbrella: { loadBalancer: 0, position: 1, allowDestroy: false },
        },
      },
    };
    fs.writeFileSync(path.join(dir, PLACEMENT_LOCK), JSON.stringify(lock));
    const before = fs.readFileSync(path.join(dir, PLACEMENT_LOCK), "utf8");
    const { code, out, err } = cli(["placement", "--stage", "dev", "--generated", dir]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    // hooli and umbrella are gone, so positions 0 and 1 are free: initech (not in the lock) takes 0.
    expect(out).toContain(
      [
        "    position 0    initech    100 integrations-service, 101 discovery-service, 102 audit-service, 109 iam-service",
        "    position 2    acme-corp  120 integrations-service, 121 discovery-service, 122 audit-service, 129 iam-service",
        "    position 5    globex     150 integrations-service, 151 discovery-service, 152 audit-service, 159 iam-service",
        "  new since the lock (the lowest free places): initech",
        "  gone since the lock: hooli (its place on load balancer 1, position 0, is freed)",
        "  gone since the lock: umbrella, whose data is protected (allowDestroy: false): synth refuses this config until it is destroyed with allowDestroy: true (docs/fleet.md)",
      ].join("\n"),
    );
    // The command reads the lock and never writes it.
    expect(fs.readFileSync(path.join(dir, PLACEMENT_LOCK), "utf8")).toBe(before);
  });

  it("refuses, as synth does, a lock of another product, a file that is no lock and one it cannot read; and a --generated that is no folder", () => {
    const dir = scratch("fleet-cli", "foreign-lock");
    const file = path.join(dir, PLACEMENT_LOCK);
    fs.writeFileSync(file, JSON.stringify({ version: 1, product: "other", stages: { dev: { "acme-corp": { loadBalancer: 3, position: 3, allowDestroy: false } } } }));
    const foreign = cli(["placement", "--stage", "dev", "--generated", dir]);
    expect(foreign).toEqual({ code: 2, out: "", err: expect.stringMatching(new RegExp(`^${rel(file).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is the placement lock of "other", not of fleet.product "accessos", and synth does not place the fleet's tenants without it`)) });
    fs.writeFileSync(file, "{ not json");
    expect(cli(["placement", "--stage", "dev", "--generated", dir]).err).toMatch(/ is not a placement lock \(JSON with version 1, product and stages\), and synth does not place the fleet's tenants without it/);
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(cli(["placement", "--stage", "dev", "--generated", dir])).toEqual({ code: 2, out: "", err: expect.stringMatching(/^the placement lock .*fleet-placement\.json: is a directory, not a file, and synth does not place/) });
    fs.rmdirSync(file);
    // No lock in a folder that is there: places as the first synth would.
    const none = cli(["placement", "--stage", "dev", "--generated", dir]);
    expect(none.code).toBe(0);
    expect(none.out).toContain(`no placement lock in ${rel(dir)} (places as the first synth gives them)`);
    for (const [generated, why] of [
      [path.join(dir, "none"), "not found"],
      [path.join(dir, "file"), "is a file, not a folder"],
    ]) {
      fs.writeFileSync(path.join(dir, "file"), "");
      expect(cli(["placement", "--stage", "dev", "--generated", generated])).toEqual({ code: 2, out: "", err: `the folder of the generated HCL ${rel(generated)} (from --generated): ${why}\n` });
    }
  });

  it("gives tenants no rules in router mode, the router one rule on the first load balancer", () => {
    const dir = scratch("fleet-cli", "router");
    const config = writeConfig(dir, "router.yaml", exampleWithFleet((fleet) => (fleet.routing = "router")));
    const { code, out } = cli(["placement", "--stage", "prod", "--config", config, "--generated", dir]);
    expect(code).toBe(0);
    expect(out).toContain(
      [
        "accessos in prod: 2 tenants on 1 load balancer (routing router)",
        "  load balancer 1 (accessos-prod-1): 2 tenants, no rules of their own",
        "    control plane: 10 tenant-registry (accessos.apps.acme.example), 99 router (*.accessos.apps.acme.example)",
        "    position 0    acme-corp  reached through the router",
        "    position 1    globex     reached through the router",
      ].join("\n"),
    );
    expect(cli(["waves", "--stage", "prod", "--config", config, "--generated", dir]).out).toContain("1. canary  image 1.8.0  (1 tenant): acme-corp [router]\n");
  });
});

describe("the fleet command's spec", () => {
  it("lists in the top-level help every option a command takes", () => {
    const top = new Set(FLEET_COMMAND.options.map((o) => o.name));
    for (const c of FLEET_COMMANDS) for (const o of c.spec.options) expect(top).toContain(o.name);
  });
});
