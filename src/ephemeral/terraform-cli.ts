import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { TerraformDriver } from "./lifecycle";

export interface TerraformCliOptions {
  /** The terraform binary. */
  readonly terraform: string;
  /** The template to run: a folder with main.tf (generated/ephemeral). */
  readonly templateDir: string;
  /** Where the working copy lives (its .terraform folder and lock file). */
  readonly workDir: string;
  /** Extra `-backend-config` files for `terraform init` (an emulator's endpoints). @default none */
  readonly backendConfig?: string[];
  /** Extra `-var` values for every plan (an emulator's settings). @default none */
  readonly variables?: Record<string, string>;
  /** Override files copied next to main.tf (an emulator's provider endpoints). @default none */
  readonly overrideFiles?: string[];
}

/** A terraform command that failed, with terraform's whole error text. */
export class TerraformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TerraformError";
  }
}

/** Text without its leading and trailing blank lines; the lines themselves are kept as they are. */
export function withoutBlankEnds(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  return lines.join("\n");
}

/** The lifecycle's steps as terraform commands in a working copy of the template. */
export class TerraformCli implements TerraformDriver {
  private initialised = false;

  constructor(private readonly options: TerraformCliOptions) {}

  public async workspaces(): Promise<string[]> {
    this.init();
    return this.run(["workspace", "list"], { TF_WORKSPACE: "" })
      .split("\n")
      .map((l) => l.replace(/^\*/, "").trim())
      .filter((w) => w !== "" && w !== "default");
  }

  public async select(stage: string, create: boolean): Promise<void> {
    this.init();
    this.run(create ? ["workspace", "select", "-or-create", stage] : ["workspace", "select", stage], { TF_WORKSPACE: "" });
  }

  public async apply(stage: string, variables: Record<string, string>): Promise<void> {
    this.inWorkspace(stage, ["apply", "-auto-approve", "-input=false", ...this.vars(variables)]);
  }

  public async destroy(stage: string, variables: Record<string, string>): Promise<void> {
    this.inWorkspace(stage, ["destroy", "-auto-approve", "-input=false", ...this.vars(variables)]);
  }

  public async deleteWorkspace(stage: string): Promise<void> {
    this.run(["workspace", "select", "default"], { TF_WORKSPACE: "" });
    this.run(["workspace", "delete", stage], { TF_WORKSPACE: "" });
  }

  public async outputs(stage: string): Promise<Record<string, string>> {
    const out = JSON.parse(this.inWorkspace(stage, ["output", "-json"]) || "{}") as Record<string, { value: unknown; sensitive: boolean }>;
    return Object.fromEntries(Object.entries(out).filter(([, o]) => !o.sensitive).map(([k, o]) => [k, String(o.value)]));
  }

  private vars(variables: Record<string, string>): string[] {
    return Object.entries({ ...variables, ...this.options.variables }).flatMap(([k, v]) => ["-var", `${k}=${v}`]);
  }

  private inWorkspace(stage: string, args: string[]): string {
    return this.run(args, { TF_WORKSPACE: stage });
  }

  private init(): void {
    if (this.initialised) return;
    const { templateDir, workDir } = this.options;
    fs.mkdirSync(workDir, { recursive: true });
    // The copy is made anew: a file of an earlier run (an --override given then, a file the template
    // no longer has) must not be planned with this one. Terraform's own (.terraform/, its lock file) stay.
    for (const entry of fs.readdirSync(workDir, { withFileTypes: true })) {
      if (!entry.isDirectory() && entry.name !== ".terraform.lock.hcl") fs.rmSync(path.join(workDir, entry.name), { force: true });
    }
    for (const file of fs.readdirSync(templateDir)) {
      if (fs.statSync(path.join(templateDir, file)).isFile()) fs.copyFileSync(path.join(templateDir, file), path.join(workDir, file));
    }
    for (const file of this.options.overrideFiles ?? []) fs.copyFileSync(file, path.join(workDir, path.basename(file)));
    this.run(["init", "-input=false", ...(this.options.backendConfig ?? []).map((f) => `-backend-config=${f}`)], { TF_WORKSPACE: "" });
    this.initialised = true;
  }

  private run(args: string[], env: Record<string, string> = {}): string {
    const merged: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", ...env };
    if (merged.TF_WORKSPACE === "") delete merged.TF_WORKSPACE;
    // `-no-color` goes after the subcommand; `workspace` subcommands print no colour anyway.
    const withFlags = args[0] === "workspace" ? args : [args[0], "-no-color", ...args.slice(1)];
    const result = spawnSync(this.options.terraform, withFlags, {
      cwd: this.options.workDir,
      env: merged,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) {
      const code = (result.error as NodeJS.ErrnoException).code;
      throw new TerraformError(
        code === "ENOENT"
          ? `terraform binary ${JSON.stringify(this.options.terraform)} not found: install Terraform or name it with --terraform or TERRAFORM`
          : `could not run ${this.options.terraform}: ${result.error.message}`,
      );
    }
    if (result.status !== 0) {
      // Terraform's error is its whole stderr (a summary, then where and why over several lines);
      // stdout only when stderr is empty.
      const detail = withoutBlankEnds(result.stderr ?? "") || withoutBlankEnds(result.stdout ?? "");
      const exit = result.status === null ? `signal ${result.signal}` : `exit ${result.status}`;
      throw new TerraformError(`terraform ${args[0]} failed (${exit})${detail ? `:\n${detail}` : ""}`);
    }
    return result.stdout;
  }
}
