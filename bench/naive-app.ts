import * as fs from "fs";
import * as path from "path";
import { App } from "cdktf";
import { buildPlatform } from "../src/app";
import { loadConfigFile } from "../src/config/loader";
import { lockOfProduct, readPlacementLock } from "../src/fleet/lock-file";
import { stackHcl } from "../src/main";
import { PROJECT_ROOT } from "../src/paths";

/**
 * The naive way `npm run bench` measures synth against: the platform's stacks as a plain CDKTF app,
 * run by `cdktf synth` through ts-node. One app holds every stack; `app.synth()` writes the JSON
 * with CDKTF's own machinery (a stack trace per token, the preparing resolve), and each stack's
 * main.tf comes from CDKTF's `toHclTerraform` (a second resolution). It writes the same files as
 * `npm run synth` and skips, like it, CDKTF's per-stack `terraform version` validations.
 *
 * usage: ts-node bench/naive-app.ts <config> <generated dir> (the JSON goes to CDKTF_OUTDIR)
 */
function main(configFile: string, generatedDir: string): void {
  const config = loadConfigFile(configFile);
  const app = new App({ skipValidation: true });
  const lock = lockOfProduct(readPlacementLock(generatedDir).lock, config.fleet?.product);
  const stacks = buildPlatform(app, config, undefined, lock);
  app.synth();
  const source = path.relative(PROJECT_ROOT, configFile).split(path.sep).join("/");
  for (const stack of stacks) {
    const dir = path.join(generatedDir, stack.node.id);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "main.tf"), stackHcl(stack, source));
    for (const [name, content] of stack.files) fs.writeFileSync(path.join(dir, name), content);
  }
}

if (require.main === module) main(path.resolve(process.argv[2]), path.resolve(process.argv[3]));
