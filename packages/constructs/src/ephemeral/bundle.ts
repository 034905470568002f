import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { zip } from "../zip";

/** A Lambda deployment package. */
export interface LambdaPackage {
  /** The zip archive. */
  readonly zip: Buffer;
  /** base64 SHA-256 of the zip, as Lambda's `source_code_hash` wants it. */
  readonly sha256: string;
}

/**
 * Where the package build (`scripts/bundle-authorizer.mjs`) writes the authorizer: one file bundled
 * with esbuild, the AWS SDK v3 clients left out (the Node.js 20 Lambda runtime provides them).
 */
export const AUTHORIZER_BUNDLE = path.join(__dirname, "authorizer.js");

let authorizer: LambdaPackage | undefined;

/** The bundled authorizer, zipped the same way every time (fixed timestamps), so its hash is stable. Read once per process. */
export function authorizerPackage(): LambdaPackage {
  if (authorizer) return authorizer;
  if (!fs.existsSync(AUTHORIZER_BUNDLE)) {
    throw new Error(`the authorizer bundle ${AUTHORIZER_BUNDLE} is missing: build the package (npm run build) before synthesizing`);
  }
  const archive = zip({ "index.js": fs.readFileSync(AUTHORIZER_BUNDLE) });
  authorizer = { zip: archive, sha256: createHash("sha256").update(archive).digest("base64") };
  return authorizer;
}
