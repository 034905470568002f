// Bundles the Lambda authorizer (src/ephemeral/runtime) into dist/ephemeral/authorizer.js, which
// the published package ships and authorizerPackage() zips. Skipped when the bundle is newer than every
// runtime source file, the package's manifest and the workspace's lockfile.
import { buildSync } from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const sources = path.join(root, "src", "ephemeral", "runtime");
const out = path.join(root, "dist", "ephemeral", "authorizer.js");
// The bundle holds its dependencies too (aws-jwt-verify): a new lockfile or package manifest rebuilds it.
const inputs = [
  ...fs.readdirSync(sources).map((f) => path.join(sources, f)),
  path.join(root, "package.json"),
  path.join(root, "..", "..", "package-lock.json"),
].filter((f) => fs.existsSync(f));
const newest = Math.max(...inputs.map((f) => fs.statSync(f).mtimeMs));
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
