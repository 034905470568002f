import { createHash } from "crypto";
import * as path from "path";
import { buildSync } from "esbuild";
import { PROJECT_ROOT } from "../paths";
import { zip } from "../zip";

export interface LambdaPackage {
  readonly zip: Buffer;
  /** base64 SHA-256 of the zip, as Lambda's `source_code_hash` wants it. */
  readonly sha256: string;
}

let authorizer: LambdaPackage | undefined;

/**
 * The authorizer bundled with esbuild into one file, zipped. The AWS SDK v3 clients are left out:
 * the Node.js 20 Lambda runtime provides them. Built once per process.
 */
export function authorizerPackage(): LambdaPackage {
  if (authorizer) return authorizer;
  const result = buildSync({
    entryPoints: [path.join(PROJECT_ROOT, "src", "runtime", "authorizer", "index.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["@aws-sdk/*"],
    write: false,
    legalComments: "none",
    sourceRoot: "",
    absWorkingDir: PROJECT_ROOT,
    // The bundle names each module's path in a comment: keep node_modules/... even when node_modules
    // is a symlink (a worktree sharing another checkout's), so the zip and its hash stay the same.
    preserveSymlinks: true,
  });
  const archive = zip({ "index.js": Buffer.from(result.outputFiles[0].contents) });
  authorizer = { zip: archive, sha256: createHash("sha256").update(archive).digest("base64") };
  return authorizer;
}
