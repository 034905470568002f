import * as fs from "fs";
import * as path from "path";

/** The project root, found from this file whether it runs compiled (dist/src) or from source (src). */
export const PROJECT_ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

/** The file every stack folder written by synth carries; only folders with it are ever removed. */
export const GENERATED_MARKER = ".apps-platform-generated";
