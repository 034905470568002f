import { Testing } from "cdktf";
import { PlatformConfig } from "../../src/config/schema";
import { fleetStages } from "../../src/fleet/model";
import { FleetStack } from "../../stacks/fleet";
import { TenantStack } from "../../stacks/tenant";
import { configWith, exampleConfig, resourcesOf } from "../helpers";

/**
 * What a wave promotion or a pause changes: a config change of one wave's image must change only
 * that wave's tenant stacks, so its plan touches no other tenant; a pause scales services to zero
 * and keeps everything else.
 */

/**
 * The Terraform JSON of every tenant stack of a config, and of the fleet stacks of `fleetsOf` (every
 * stage by default), by stack name. The fleet stacks are the largest: the changes below synthesize
 * them only where the change could reach them.
 */
function fleetJson(config: PlatformConfig, fleetsOf: readonly string[] = Object.keys(config.fleet!.stages)): Map<string, string> {
  const app = Testing.app();
  const out = new Map<string, string>();
  for (const stage of fleetStages(config.fleet!)) {
    if (fleetsOf.includes(stage.stage)) {
      const fleet = new FleetStack(app, config, stage);
      out.set(fleet.node.id, Testing.synth(fleet));
    }
    for (const t of stage.tenants) {
      const tenant = new TenantStack(app, config, stage, t);
      out.set(tenant.node.id, Testing.synth(tenant));
    }
  }
  return out;
}

/** The stacks of `after` whose JSON differs from `before`'s. */
const changed = (before: Map<string, string>, after: Map<string, string>) => [...after.keys()].filter((k) => before.get(k) !== after.get(k)).sort();

describe("waves and pause", () => {
  const before = fleetJson(exampleConfig());

  it("promoting the canary wave changes only the canary tenants' stacks, and no fleet stack", () => {
    const after = fleetJson(configWith((raw) => (raw.fleet.waves[0].image = "1.9.0")));
    expect([...after.keys()]).toHaveLength(7);
    // acme-corp is the only canary tenant, in both stages.
    expect(changed(before, after)).toEqual(["tenant-acme-corp-dev", "tenant-acme-corp-prod"]);
    const task = resourcesOf(JSON.parse(after.get("tenant-acme-corp-prod")!), "aws_ecs_task_definition") as Record<string, any>[];
    for (const t of task) expect(JSON.parse(t.container_definitions)[0].image).toMatch(/:1\.9\.0$/);
  });

  it("moving one tenant to another wave changes only that tenant's stacks", () => {
    const after = fleetJson(configWith((raw) => (raw.fleet.tenants[1].wave = "canary")), []);
    expect(changed(before, after)).toEqual(["tenant-globex-dev", "tenant-globex-prod"]);
  });

  it("pausing a tenant scales its services to zero and changes no other tenant's stack", () => {
    const after = fleetJson(configWith((raw) => (raw.fleet.tenants[0].paused = true)), []);
    expect(changed(before, after)).toEqual(["tenant-acme-corp-dev", "tenant-acme-corp-prod"]);
    const json = JSON.parse(after.get("tenant-acme-corp-prod")!);
    const services = resourcesOf(json, "aws_ecs_service") as Record<string, any>[];
    expect(services).toHaveLength(5);
    for (const s of services) expect(s.desired_count).toBe(0);
    for (const t of resourcesOf(json, "aws_appautoscaling_target") as Record<string, any>[]) expect([t.min_capacity, t.max_capacity]).toEqual([0, 0]);
    // The data stays: the same buckets, databases and secrets as before the pause.
    const data = (j: any) => ["aws_s3_bucket", "aws_rds_cluster", "aws_secretsmanager_secret"].map((type) => JSON.stringify(j.resource?.[type] ?? {}));
    expect(data(json)).toEqual(data(JSON.parse(before.get("tenant-acme-corp-prod")!)));
  });

  it("pausing a stage pauses every tenant of that stage and nothing in the other, the control plane included", () => {
    const after = fleetJson(configWith((raw) => (raw.fleet.stages.dev.paused = true)), ["dev"]);
    expect([...after.keys()]).toContain("fleet-dev");
    expect(changed(before, after)).toEqual(["tenant-acme-corp-dev", "tenant-globex-dev"]);
    // initech is paused already: its stack does not change.
    for (const id of ["acme-corp", "globex", "initech"]) {
      for (const s of resourcesOf(JSON.parse(after.get(`tenant-${id}-dev`)!), "aws_ecs_service") as Record<string, any>[]) expect(s.desired_count).toBe(0);
    }
  });
});
