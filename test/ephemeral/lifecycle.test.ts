import { Lifecycle, LifecycleError, TerraformDriver, checkStage, formatStages } from "../../src/ephemeral/lifecycle";
import { runCli } from "../../src/ephemeral/cli";

type Step = "workspaces" | "select" | "apply" | "destroy" | "deleteWorkspace" | "outputs";

/** Terraform's workspaces and state in memory, with a step that can be made to fail. */
class FakeTerraform implements TerraformDriver {
  readonly stages = new Map<string, Record<string, string>>();
  failing?: Step;
  readonly calls: string[] = [];

  private step(step: Step, detail = ""): void {
    this.calls.push(`${step}${detail ? ` ${detail}` : ""}`);
    if (this.failing === step) throw new Error(`${step} failed on purpose`);
  }
  async workspaces() {
    this.step("workspaces");
    return [...this.stages.keys()];
  }
  async select(stage: string, create: boolean) {
    this.step("select", stage);
    if (create) this.stages.set(stage, {});
    else if (!this.stages.has(stage)) throw new Error(`no workspace ${stage}`);
  }
  async apply(stage: string, variables: Record<string, string>) {
    this.step("apply", stage);
    this.stages.set(stage, { stage_created_at: variables.created_at, stage_expires_at: variables.expires_at });
  }
  async destroy(stage: string) {
    this.step("destroy", stage);
    this.stages.set(stage, {});
  }
  async deleteWorkspace(stage: string) {
    this.step("deleteWorkspace", stage);
    this.stages.delete(stage);
  }
  async outputs(stage: string) {
    this.step("outputs", stage);
    return this.stages.get(stage) ?? {};
  }
}

const T0 = new Date("2026-11-25T12:00:00Z");
function lifecycle(fake: FakeTerraform, now = T0, maxStages = 3) {
  return new Lifecycle(fake, { accountAlias: "acme-dev", region: "eu-central-1", maxStages, ttlHours: 72, now: () => now });
}

describe("the ephemeral lifecycle", () => {
  it.each([["PR_1"], ["pr 1"], ["default"], ["-force"], ["a".repeat(33)], ["pr-"], ["pr--1"], ["-"], [""]])("refuses the stage name %j, saying in words what a stage name is", (stage) => {
    expect(() => checkStage(stage)).toThrow(LifecycleError);
    expect(() => checkStage(stage)).toThrow(
      `--stage ${JSON.stringify(stage)} is not a stage name: a stage name is 1 to 32 lowercase letters, digits and hyphens, each hyphen between two letters or digits, and not "default" (^(?!default$)(?=[a-z0-9-]{1,32}$)[a-z0-9]+(?:-[a-z0-9]+)*$)`,
    );
  });

  it.each([["pr-123"], ["a"], ["7"], ["feature-x-2"], ["a".repeat(32)], ["defaults"]])("takes the stage name %j", (stage) => {
    expect(checkStage(stage)).toBe(stage);
  });

  it("says that a stage is required, and what it looks like, when none is given", () => {
    expect(() => checkStage(undefined)).toThrow(/^--stage is required: a stage name is 1 to 32 lowercase letters/);
  });

  it("never reaps a stage whose state it cannot read, nor one extended since the list was read", async () => {
    const fake = new FakeTerraform();
    await lifecycle(fake, new Date("2026-11-01T00:00:00Z")).up("old");
    fake.failing = "outputs";
    const late = lifecycle(fake, new Date("2026-12-31T00:00:00Z"));
    expect(await late.list()).toEqual([expect.objectContaining({ stage: "old", unknown: true, expired: false })]);
    expect(await late.reap()).toEqual({ destroyed: [], failed: [] });
    expect(fake.stages.has("old")).toBe(true);
  });

  it("brings a stage up in its own workspace, named <alias>-<region>-<stage>, expiring after the TTL", async () => {
    const fake = new FakeTerraform();
    const info = await lifecycle(fake).up("pr-1");
    expect(info).toMatchObject({ stage: "pr-1", stackName: "acme-dev-eu-central-1-pr-1", expired: false });
    expect(info.expiresAt!.toISOString()).toBe("2026-11-28T12:00:00.000Z");
    expect(fake.calls).toEqual(["workspaces", "select pr-1", "apply pr-1"]);
  });

  it("keeps a stage's creation time when it is brought up again, and extends its TTL", async () => {
    const fake = new FakeTerraform();
    await lifecycle(fake).up("pr-1");
    const later = await lifecycle(fake, new Date("2026-11-26T12:00:00Z")).up("pr-1");
    expect(later.createdAt!.toISOString()).toBe(T0.toISOString());
    expect(later.expiresAt!.toISOString()).toBe("2026-11-29T12:00:00.000Z");
  });

  it("refuses a stage beyond the cap with what to do, and still updates existing ones", async () => {
    const fake = new FakeTerraform();
    for (const s of ["pr-1", "pr-2", "pr-3"]) await lifecycle(fake).up(s);
    await expect(lifecycle(fake).up("pr-4")).rejects.toThrow(
      "3 stages exist in acme-dev (at most 3, ephemeral.maxStages): destroy one first (npm run ephemeral -- destroy --stage <stage>) or let reap remove expired ones. Existing: pr-1, pr-2, pr-3",
    );
    expect(fake.stages.has("pr-4")).toBe(false);
    await expect(lifecycle(fake).up("pr-2")).resolves.toMatchObject({ stage: "pr-2" });
  });

  it("keeps the workspace of a stage whose apply failed, listed as expired so reap can clean it", async () => {
    const fake = new FakeTerraform();
    fake.failing = "apply";
    await expect(lifecycle(fake).up("pr-9")).rejects.toThrow(/apply of stage pr-9 failed \(apply failed on purpose\); its workspace is kept/);
    fake.failing = undefined;
    expect(await lifecycle(fake).list()).toEqual([expect.objectContaining({ stage: "pr-9", expired: true })]);
  });

  it("deletes the workspace only after the destroy succeeded", async () => {
    const fake = new FakeTerraform();
    await lifecycle(fake).up("pr-1");
    fake.failing = "destroy";
    await expect(lifecycle(fake).destroy("pr-1")).rejects.toThrow("destroy of stage pr-1 failed (destroy failed on purpose); the stage is still listed, run destroy again");
    fake.failing = undefined;
    expect((await lifecycle(fake).list()).map((i) => i.stage)).toEqual(["pr-1"]);
    await lifecycle(fake).destroy("pr-1");
    expect(fake.stages.size).toBe(0);
  });

  it("says so when a destroyed stage's workspace could not be deleted, and finishes on the next destroy", async () => {
    const fake = new FakeTerraform();
    await lifecycle(fake).up("pr-1");
    fake.failing = "deleteWorkspace";
    await expect(lifecycle(fake).destroy("pr-1")).rejects.toThrow(/stage pr-1 is destroyed but its workspace could not be deleted/);
    fake.failing = undefined;
    await lifecycle(fake).destroy("pr-1");
    expect(fake.stages.size).toBe(0);
  });

  it("reaps only the stages past their TTL, and reports the ones it could not destroy", async () => {
    const fake = new FakeTerraform();
    await lifecycle(fake, new Date("2026-11-20T00:00:00Z")).up("old");
    await lifecycle(fake, T0).up("fresh");
    const fourDaysLater = new Date("2026-11-24T01:00:00Z");
    expect(await lifecycle(fake, fourDaysLater).reap()).toEqual({ destroyed: ["old"], failed: [] });
    expect([...fake.stages.keys()]).toEqual(["fresh"]);
    fake.failing = "destroy";
    expect(await lifecycle(fake, new Date("2026-12-31T00:00:00Z")).reap()).toEqual({
      destroyed: [],
      failed: [{ stage: "fresh", error: "destroy of stage fresh failed (destroy failed on purpose); the stage is still listed, run destroy again" }],
    });
  });

  it("lists stages with age and time to live", async () => {
    const fake = new FakeTerraform();
    await lifecycle(fake).up("pr-1");
    const infos = await lifecycle(fake, new Date("2026-11-25T18:00:00Z")).list();
    expect(formatStages(infos, new Date("2026-11-25T18:00:00Z"))).toBe(`${"pr-1".padEnd(32)}  acme-dev-eu-central-1-pr-1  age 6 h  expires in 66 h`);
  });

  it("answers on the command line with exit codes: 0 done, 1 refused or failed, 2 misuse", async () => {
    const fake = new FakeTerraform();
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    expect(await runCli(["up", "--stage", "pr-7"], {}, io, fake)).toBe(0);
    expect(out.join("")).toMatch(/^stage pr-7 is up as acme-dev-eu-central-1-pr-7, expires /);
    expect(await runCli(["up", "--stage", "PR-7"], {}, io, fake)).toBe(2);
    expect(await runCli(["launch"], {}, io, fake)).toBe(2);
    expect(err.join("")).toContain('--stage "PR-7" is not a stage name: a stage name is 1 to 32 lowercase letters, digits and hyphens');
  });
});
