import { runCli } from "../../src/ephemeral/cli";
import { TerraformDriver } from "../../src/ephemeral/lifecycle";

/** A driver that records every step, with the workspaces that exist. */
function recordingDriver(existing: string[]): TerraformDriver & { calls: string[] } {
  const calls: string[] = [];
  const ws = [...existing];
  return {
    calls,
    workspaces: async () => (calls.push("workspaces"), [...ws]),
    select: async (stage, create) => {
      calls.push(`select ${stage}${create ? " (create)" : ""}`);
      if (create) ws.push(stage);
    },
    apply: async (stage, vars) => void calls.push(`apply ${stage} ${JSON.stringify(vars)}`),
    destroy: async (stage, vars) => void calls.push(`destroy ${stage} ${JSON.stringify(vars)}`),
    deleteWorkspace: async (stage) => void calls.push(`deleteWorkspace ${stage}`),
    outputs: async (stage) => (calls.push(`outputs ${stage}`), { policy_store_id: "ps-1" }),
  };
}

async function cli(argv: string[], driver: TerraformDriver) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {}, { out: (t) => out.push(t), err: (t) => err.push(t) }, driver);
  return { code, out: out.join(""), err: err.join("") };
}

describe("npm run ephemeral with the stable stages of ephemeral.stableStages", () => {
  it("deploys a stable stage in its own workspace, without TTL variables, and creates the workspace once", async () => {
    const driver = recordingDriver([]);
    expect(await cli(["up", "--stable", "prod"], driver)).toEqual({ code: 0, out: "stable stage prod is up\n", err: "" });
    expect(driver.calls).toEqual(["workspaces", "select prod (create)", "apply prod {}"]);
    const again = recordingDriver(["prod"]);
    await cli(["up", "--stable", "prod"], again);
    expect(again.calls).toEqual(["workspaces", "select prod", "apply prod {}"]);
  });

  it("refuses to destroy a stable stage without --destroy-stable, before touching terraform", async () => {
    const driver = recordingDriver(["prod"]);
    expect(await cli(["destroy", "--stable", "prod"], driver)).toEqual({
      code: 1,
      out: "",
      err: "refusing to destroy the stable stage prod and its data: add --destroy-stable if that is what you mean\n",
    });
    expect(driver.calls).toEqual([]);
  });

  it("destroys a stable stage with --destroy-stable, keeping its workspace", async () => {
    const driver = recordingDriver(["stage"]);
    expect(await cli(["destroy", "--stable", "stage", "--destroy-stable"], driver)).toEqual({ code: 0, out: "stable stage stage destroyed\n", err: "" });
    expect(driver.calls).toEqual(["workspaces", "select stage", "destroy stage {}"]);
  });

  it.each([
    [["destroy", "--stage", "dev"], 1, "dev is a stable stage (ephemeral.stableStages), not a per-PR one: use --stable dev --destroy-stable"],
    [["up", "--stage", "prod"], 1, "prod is a stable stage (ephemeral.stableStages), not a per-PR one: use --stable prod"],
    [["up", "--stable", "qa"], 2, '--stable "qa" is not a stable stage: ephemeral.stableStages has dev, stage, prod'],
    [["reap", "--stable", "dev"], 2, "npm run ephemeral: --stable is not used by reap: stable stages have no TTL and are never reaped (see --help)"],
    [["up", "--stage", "pr-1", "--stable", "dev"], 2, "npm run ephemeral: --stage and --stable name different kinds of stage; give one (see --help)"],
    [["up", "--stage", "pr-1", "--destroy-stable"], 2, "npm run ephemeral: --destroy-stable is only used by destroy --stable <name> (see --help)"],
  ])("refuses %j (exit %d): %s", async (argv, code, message) => {
    const driver = recordingDriver(["dev", "prod"]);
    expect(await cli(argv as string[], driver)).toEqual({ code, out: "", err: `${message}\n` });
    expect(driver.calls).toEqual([]);
  });

  it("reaps per-PR stages only: the per-PR template's workspaces never hold a stable stage", async () => {
    const driver = recordingDriver([]);
    expect((await cli(["reap"], driver)).code).toBe(0);
    expect(driver.calls).toEqual(["workspaces"]);
  });
});
