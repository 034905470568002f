import * as path from "path";
import { loadConfigFile, DEFAULT_CONFIG_PATH } from "../config/loader";
import { PROJECT_ROOT } from "../paths";
import { Lifecycle, LifecycleError, TerraformDriver, formatStages } from "./lifecycle";
import { TerraformCli } from "./terraform-cli";

/**
 * `npm run ephemeral -- up|destroy|list|reap [--stage <stage>]`. Options: `--config <file>`
 * (PLATFORM_CONFIG), `--terraform <binary>` (TERRAFORM, default terraform on PATH),
 * `--template <dir>` (default generated/ephemeral), `--backend-config <file>` (repeatable).
 */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function flags(argv: string[], name: string): string[] {
  return argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]] : []));
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, driver?: TerraformDriver): Promise<number> {
  const command = argv[0];
  if (!["up", "destroy", "list", "reap", "outputs"].includes(command ?? "")) {
    io.err("usage: npm run ephemeral -- up|destroy|list|reap|outputs [--stage <stage>]\n");
    return 2;
  }
  const config = loadConfigFile(path.resolve(flag(argv, "--config") ?? env.PLATFORM_CONFIG ?? DEFAULT_CONFIG_PATH));
  if (!config.ephemeral) {
    io.err("the platform config has no `ephemeral:` section\n");
    return 2;
  }
  const template = path.resolve(flag(argv, "--template") ?? path.join(PROJECT_ROOT, "generated", "ephemeral"));
  const terraform =
    driver ??
    new TerraformCli({
      terraform: flag(argv, "--terraform") ?? env.TERRAFORM ?? "terraform",
      templateDir: template,
      workDir: path.join(PROJECT_ROOT, ".tmp", "ephemeral", path.basename(template)),
      backendConfig: flags(argv, "--backend-config").map((f) => path.resolve(f)),
      overrideFiles: flags(argv, "--override").map((f) => path.resolve(f)),
    });
  const lifecycle = new Lifecycle(terraform, {
    accountAlias: config.ephemeral.accountAlias,
    region: config.region,
    maxStages: config.ephemeral.maxStages,
    ttlHours: config.ephemeral.ttlHours,
  });
  const stage = flag(argv, "--stage");
  try {
    switch (command) {
      case "up": {
        const info = await lifecycle.up(stage);
        io.out(`stage ${info.stage} is up as ${info.stackName}, expires ${info.expiresAt?.toISOString()}\n`);
        return 0;
      }
      case "destroy":
        await lifecycle.destroy(stage);
        io.out(`stage ${stage} destroyed and its workspace deleted\n`);
        return 0;
      case "outputs":
        io.out(`${JSON.stringify(await lifecycle.outputs(stage), null, 2)}\n`);
        return 0;
      case "list":
        io.out(`${formatStages(await lifecycle.list(), new Date())}\n`);
        return 0;
      default: {
        const { destroyed, failed } = await lifecycle.reap();
        io.out(`reaped ${destroyed.length} expired stage(s)${destroyed.length ? `: ${destroyed.join(", ")}` : ""}\n`);
        for (const f of failed) io.err(`could not reap ${f.stage}: ${f.error}\n`);
        return failed.length ? 1 : 0;
      }
    }
  } catch (err) {
    if (err instanceof LifecycleError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
