// Bundles the Lambda authorizer (src/ephemeral/runtime) into dist/ephemeral/authorizer.js, which
// the published package ships and authorizerPackage() zips. Skipped when the bundle is newer than
// every runtime source file.
import { buildSync } from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const sources = path.join(root, "src", "ephemeral", "runtime");
const out = path.join(root, "dist", "ephemeral", "authorizer.js");
const newest = Math.max(...fs.readdirSync(sources).map((f) => fs.statSync(path.join(sources, f)).mtimeMs));
if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest && !process.argv.includes("--force")) process.exit(0);
fs.mkdirSync(path.dirname(out), { recursive: true });
buildSync({
  entryPoints: [path.join(sources, "index.ts")],
  outfile: out,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["@aws-sdk/*"],
  legalComments: "none",
  // The bundle names each module's path in a comment; relative to the package, so the bytes (and
  // the Lambda's source hash) do not depend on where the package was built.
  absWorkingDir: root,
  preserveSymlinks: true,
});
