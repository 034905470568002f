import * as fs from "fs";
import * as path from "path";
import { EPHEMERAL_COMMAND, outputsMarkdown, runCli, workDirOf } from "../../src/ephemeral/cli";
import { TerraformDriver } from "../../src/ephemeral/lifecycle";
import { ROOT } from "../helpers";

/** A driver that records whether the lifecycle reached terraform at all. */
function untouchedDriver(): TerraformDriver & { calls: string[] } {
  const calls: string[] = [];
  const fail = (step: string) => async () => {
    calls.push(step);
    throw new Error(`${step} should not run`);
  };
  return { calls, workspaces: fail("workspaces"), select: fail("select"), apply: fail("apply"), destroy: fail("destroy"), deleteWorkspace: fail("deleteWorkspace"), outputs: fail("outputs") };
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, driver: TerraformDriver = untouchedDriver()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) }, driver);
  return { code, out: out.join(""), err: err.join("") };
}

function scratch(name: string): string {
  const dir = path.join(ROOT, ".tmp", "ephemeral-cli-test", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe("npm run ephemeral on the command line", () => {
  it.each([[["--help"]], [["-h"]], [["up", "--help"]], [["destroy", "-h", "--stage", "pr-1"]]])("answers %j with every command and option, exit 0", async (argv) => {
    const driver = untouchedDriver();
    const { code, out, err } = await cli(argv, {}, driver);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^usage: npm run ephemeral -- <up\|destroy\|outputs\|list\|reap> \[options\]/);
    for (const command of ["up", "destroy", "outputs", "list", "reap"]) expect(out).toMatch(new RegExp(`^  ${command} +\\S`, "m"));
    for (const option of ["--stage <stage>", "--config <file>", "--terraform <binary>", "--template <dir>", "--backend-config <file>", "--override <file>", "-h, --help"]) {
      expect(out).toContain(`\n  ${option} `);
    }
    expect(out).toContain("env PLATFORM_CONFIG; default config/example.yaml");
    expect(out).toContain("env TERRAFORM; default terraform on PATH");
    expect(driver.calls).toEqual([]);
  });

  it.each([
    [["launch"], 'npm run ephemeral: unknown command "launch"; commands: up, destroy, outputs, list, reap (see --help)'],
    [["lst"], 'npm run ephemeral: unknown command "lst"; did you mean list?; commands: up, destroy, outputs, list, reap (see --help)'],
    [[], "npm run ephemeral: a command is required: up, destroy, outputs, list, reap (see --help)"],
    [["up", "--stag", "pr-1"], "npm run ephemeral: unknown option --stag; did you mean --stage? (see --help)"],
    [["up", "--stage", "--config", "x.yaml"], 'npm run ephemeral: --stage needs a value (<stage>), got the option "--config"; a value starting with "-" is not accepted (see --help)'],
    [["list", "--config"], "npm run ephemeral: --config needs a value: --config <file> (see --help)"],
    [["list", "--stage", "pr-1"], "npm run ephemeral: --stage is not used by list (see --help)"],
    [["up", "--stage", "pr-1", "--markdown"], "npm run ephemeral: --markdown goes with outputs only, got up (see --help)"],
  ])("refuses %j with exit 2 and one line naming it", async (argv, message) => {
    const driver = untouchedDriver();
    expect(await cli(argv, {}, driver)).toEqual({ code: 2, out: "", err: `${message}\n` });
    expect(driver.calls).toEqual([]);
  });

  it.each([["up"], ["destroy"], ["outputs"]])("says that %s needs --stage and what a stage name looks like", async (command) => {
    const { code, err } = await cli([command]);
    expect(code).toBe(2);
    expect(err).toBe(
      'npm run ephemeral: --stage is required for up, destroy and outputs: a stage name is 1 to 32 lowercase letters, digits and hyphens, each hyphen between two letters or digits, and not "default" (^(?!default$)(?=[a-z0-9-]{1,32}$)[a-z0-9]+(?:-[a-z0-9]+)*$), e.g. --stage pr-123 (or --stable <name> for a long-lived stage) (see --help)\n',
    );
  });

  it("turns a config file that is missing or a directory into one line naming it", async () => {
    const dir = scratch("config");
    const rel = (f: string) => path.relative(process.cwd(), f);
    expect(await cli(["list", "--config", path.join(dir, "nope.yaml")])).toEqual({ code: 2, out: "", err: `the config file ${rel(path.join(dir, "nope.yaml"))} (from --config): not found\n` });
    expect(await cli(["list"], { PLATFORM_CONFIG: dir })).toEqual({ code: 2, out: "", err: `the config file ${rel(dir)} (from PLATFORM_CONFIG): is a directory, not a file\n` });
  });

  it("writes the merge request's note of a stage as a table whose cells cannot break out of it", () => {
    expect(outputsMarkdown("mr-7", { policy_store_id: "ps-1", odd: "a|b`c\nd" })).toBe(
      "Ephemeral stage `mr-7` is up:\n\n| output | value |\n|---|---|\n| policy_store_id | `ps-1` |\n| odd | `a\\|b'c d` |\n",
    );
  });

  it("lists every option of the spec in the help", async () => {
    const { out } = await cli(["--help"]);
    for (const o of EPHEMERAL_COMMAND.options) expect(out).toContain(o.description);
  });
});

describe("terraform's errors", () => {
  it("reach the user whole, not cut to the lines that contain Error", async () => {
    const dir = scratch("terraform");
    const template = path.join(dir, "template");
    fs.mkdirSync(template);
    fs.writeFileSync(path.join(template, "main.tf"), "");
    const terraform = path.join(dir, "terraform");
    // What terraform init prints without AWS credentials, blank lines around it included.
    fs.writeFileSync(
      terraform,
      [
        "#!/bin/sh",
        "cat >&2 <<'TF'",
        "",
        "",
        "Error: No valid credential sources found",
        "",
        "Please see https://developer.hashicorp.com/terraform/language/backend/s3",
        "for more information about providing credentials.",
        "",
        "Error: failed to refresh cached credentials, no EC2 IMDS role found,",
        "operation error ec2imds: GetMetadata, request canceled, context deadline",
        "exceeded",
        "",
        "TF",
        "exit 1",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["list", "--terraform", terraform, "--template", template], {}, { out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join("")).toBe(
      [
        "terraform init failed (exit 1):",
        "Error: No valid credential sources found",
        "",
        "Please see https://developer.hashicorp.com/terraform/language/backend/s3",
        "for more information about providing credentials.",
        "",
        "Error: failed to refresh cached credentials, no EC2 IMDS role found,",
        "operation error ec2imds: GetMetadata, request canceled, context deadline",
        "exceeded",
        "",
      ].join("\n"),
    );
  });

  it("name a terraform binary that is not there, or no program, in one line, before anything is copied", async () => {
    const dir = scratch("no-terraform");
    fs.writeFileSync(path.join(dir, "main.tf"), "");
    fs.writeFileSync(path.join(dir, "plain"), "");
    const work = workDirOf(dir);
    fs.rmSync(work, { recursive: true, force: true });
    for (const [binary, why] of [
      [path.join(dir, "no-such-terraform"), "not found; install Terraform or name it with --terraform or TERRAFORM"],
      [path.join(dir, "plain"), "is not executable"],
      [ROOT, "is a directory, not a program"],
    ]) {
      expect(await runCliWith(["list", "--terraform", binary, "--template", dir])).toEqual({ code: 2, out: "", err: `the terraform binary ${binary} (from --terraform): ${why}\n` });
    }
    expect(fs.existsSync(work)).toBe(false);
    // A name is looked up on PATH when terraform runs.
    const { code, err } = await runCliWith(["list", "--terraform", "no-such-terraform-anywhere", "--template", dir]);
    expect(code).toBe(1);
    expect(err).toBe(`terraform binary "no-such-terraform-anywhere" not found: install Terraform or name it with --terraform or TERRAFORM\n`);
  });

  it("take an empty TERRAFORM as none: terraform from PATH", async () => {
    const dir = scratch("empty-terraform");
    fs.writeFileSync(path.join(dir, "main.tf"), "");
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "terraform"), "#!/bin/sh\necho from-path >&2\nexit 1\n", { mode: 0o755 });
    // terraform runs with this process's environment: PATH finds the stand-in first.
    const saved = process.env.PATH;
    process.env.PATH = `${path.join(dir, "bin")}:${saved}`;
    try {
      const r = await runCliWith(["list", "--template", dir]);
      expect(r).toEqual({ code: 1, out: "", err: "terraform init failed (exit 1):\nfrom-path\n" });
      const empty: string[] = [];
      expect(await runCli(["list", "--template", dir], { TERRAFORM: "" }, { out: () => undefined, err: (t) => empty.push(t) })).toBe(1);
      expect(empty.join("")).toBe("terraform init failed (exit 1):\nfrom-path\n");
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe("the template and the files for terraform", () => {
  it("are checked before anything is copied or run: one line naming the file and why, exit 2", async () => {
    const dir = scratch("inputs");
    const template = path.join(dir, "template");
    fs.mkdirSync(template);
    fs.writeFileSync(path.join(template, "main.tf"), "");
    fs.mkdirSync(path.join(dir, "empty"));
    const file = path.join(dir, "file");
    fs.writeFileSync(file, "");
    // A terraform that would record being run: none of these cases may reach it.
    const ran = path.join(dir, "ran");
    const terraform = path.join(dir, "terraform");
    fs.writeFileSync(terraform, `#!/bin/sh\ntouch ${ran}\nexit 1\n`, { mode: 0o755 });
    const shown = (f: string) => path.relative(process.cwd(), f);
    const cases: [string[], string][] = [
      [["--template", path.join(dir, "none")], `the template folder ${shown(path.join(dir, "none"))} (from --template): not found`],
      [["--template", file], `the template folder ${shown(file)} (from --template): is a file, not a folder`],
      [["--template", path.join(dir, "empty")], `the template folder ${shown(path.join(dir, "empty"))} (from --template): has no main.tf (a folder of generated/, written by npm run synth)`],
      [["--template", template, "--override", path.join(dir, "none.tf")], `the --override file ${shown(path.join(dir, "none.tf"))}: not found`],
      [["--template", template, "--backend-config", path.join(dir, "empty")], `the --backend-config file ${shown(path.join(dir, "empty"))}: is a directory, not a file`],
    ];
    for (const [argv, message] of cases) {
      const work = workDirOf(argv[1]);
      fs.rmSync(work, { recursive: true, force: true });
      const r = await runCliWith(["list", "--terraform", terraform, ...argv]);
      expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code: 2, err: `${message}\n` });
      expect(fs.existsSync(work)).toBe(false);
    }
    expect(fs.existsSync(ran)).toBe(false);
    // The same template and files, all there: terraform is run.
    const r = await runCliWith(["list", "--terraform", terraform, "--template", template, "--override", file]);
    expect(r.code).toBe(1);
    expect(fs.existsSync(ran)).toBe(true);
  });

  it("are copied into a working copy of the template's own, made anew each run: an --override of one run is not in the next", async () => {
    const dir = scratch("work-copy");
    const terraform = path.join(dir, "terraform");
    // Lists what terraform init finds beside it.
    fs.writeFileSync(terraform, "#!/bin/sh\nls -A >&2\nexit 1\n", { mode: 0o755 });
    const templates = [path.join(dir, "a", "ephemeral"), path.join(dir, "b", "ephemeral")];
    for (const t of templates) {
      fs.mkdirSync(t, { recursive: true });
      fs.writeFileSync(path.join(t, "main.tf"), "");
    }
    fs.writeFileSync(path.join(templates[1], "extra.tf"), "");
    const override = path.join(dir, "emulator_override.tf");
    fs.writeFileSync(override, "");
    const listed = async (argv: string[]) => (await runCliWith(["list", "--terraform", terraform, ...argv])).err.split("\n").filter((l) => l && !l.startsWith("terraform "));
    for (const t of templates) fs.rmSync(workDirOf(t), { recursive: true, force: true });
    expect(await listed(["--template", templates[0], "--override", override])).toEqual(["emulator_override.tf", "main.tf"]);
    expect(await listed(["--template", templates[0]])).toEqual(["main.tf"]);
    // Another template of the same folder name: a copy of its own.
    expect(workDirOf(templates[1])).not.toBe(workDirOf(templates[0]));
    expect(await listed(["--template", templates[1]])).toEqual(["extra.tf", "main.tf"]);
    expect(await listed(["--template", templates[0]])).toEqual(["main.tf"]);
  });
});

async function runCliWith(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {}, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}
