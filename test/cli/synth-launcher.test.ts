import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../helpers";

/**
 * npm run synth compiles only when the compile's fingerprint changed (scripts/synth.cjs): every change
 * a compile would see must change it, or synth would run yesterday's code.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const launcher = require(path.join(ROOT, "scripts", "synth.cjs")) as {
  fingerprint(root: string): { sources: string; outputs: string };
  SOURCE_DIRS: string[];
  SOURCE_FILES: string[];
  OUTPUT_FILES: string[];
};

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

/** A copy of the fingerprinted layout with a few files of its own in each folder. */
function layout(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "synth-launcher-"));
  roots.push(root);
  for (const dir of launcher.SOURCE_DIRS) {
    fs.mkdirSync(path.join(root, dir, "nested"), { recursive: true });
    fs.writeFileSync(path.join(root, dir, "a.ts"), "export const a = 1;\n");
    fs.writeFileSync(path.join(root, dir, "nested", "b.ts"), "export const b = 2;\n");
  }
  for (const file of [...launcher.SOURCE_FILES, ...launcher.OUTPUT_FILES]) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), "{}\n");
  }
  return root;
}

const later = (file: string) => {
  const t = new Date(fs.statSync(file).mtimeMs + 5000);
  fs.utimesSync(file, t, t);
};

describe("npm run synth's compile check", () => {
  it("runs the launcher, which compiles only on a changed fingerprint", () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.synth).toBe("node scripts/synth.cjs");
  });

  it("fingerprints every folder and file the compile reads", () => {
    // Each root of a tsconfig's include list is a folder the fingerprint walks.
    const included = (tsconfig: string) =>
      (JSON.parse(fs.readFileSync(path.join(ROOT, tsconfig), "utf8")).include as string[]).map((g) => path.posix.join(path.posix.dirname(tsconfig), g.split("/")[0]));
    for (const dir of [...included("tsconfig.json"), ...included("packages/constructs/tsconfig.json")]) expect(launcher.SOURCE_DIRS).toContain(dir);
    for (const file of launcher.SOURCE_FILES.filter((f) => !f.startsWith("node_modules/"))) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
    // The tsbuildinfo files it fingerprints are those the tsconfigs write.
    const buildInfo = (tsconfig: string) => path.relative(ROOT, path.resolve(ROOT, path.dirname(tsconfig), JSON.parse(fs.readFileSync(path.join(ROOT, tsconfig), "utf8")).compilerOptions.tsBuildInfoFile));
    expect(launcher.OUTPUT_FILES).toEqual(expect.arrayContaining([buildInfo("tsconfig.json"), buildInfo("packages/constructs/tsconfig.json")]));
  });

  it.each<[string, (root: string) => void]>([
    ["a source edited", (r) => fs.appendFileSync(path.join(r, "src", "a.ts"), "export const c = 3;\n")],
    [
      "a source rewritten with its size and time kept (cp -p, an unpacked archive)",
      (r) => {
        const file = path.join(r, "stacks", "nested", "b.ts");
        const st = fs.statSync(file);
        fs.writeFileSync(file, "export const b = 3;\n");
        fs.utimesSync(file, st.atime, st.mtime);
      },
    ],
    ["a source added", (r) => fs.writeFileSync(path.join(r, "bench", "nested", "new.ts"), "")],
    ["a source removed", (r) => fs.rmSync(path.join(r, "packages", "constructs", "src", "nested", "b.ts"))],
    ["a source renamed", (r) => fs.renameSync(path.join(r, "src", "a.ts"), path.join(r, "src", "z.ts"))],
    ["the lockfile changed", (r) => fs.writeFileSync(path.join(r, "package-lock.json"), '{"lockfileVersion":3}\n')],
    ["an install", (r) => fs.writeFileSync(path.join(r, "node_modules", ".package-lock.json"), '{"packages":{}}\n')],
    ["a tsconfig changed", (r) => fs.appendFileSync(path.join(r, "packages", "constructs", "tsconfig.json"), " ")],
  ])("changes the sources' part on %s", (_, change) => {
    const root = layout();
    const before = launcher.fingerprint(root);
    expect(launcher.fingerprint(root)).toEqual(before);
    change(root);
    expect(launcher.fingerprint(root).sources).not.toBe(before.sources);
  });

  it.each<[string, (root: string) => void]>([
    ["a compile that ran otherwise", (r) => later(path.join(r, ".cache", "tsc", "build.tsbuildinfo"))],
    ["the compiled synth removed", (r) => fs.rmSync(path.join(r, "dist", "src", "main.js"))],
    ["the authorizer bundle removed", (r) => fs.rmSync(path.join(r, "packages", "constructs", "dist", "ephemeral", "authorizer.js"))],
  ])("changes the outputs' part, not the sources', on %s", (_, change) => {
    const root = layout();
    const before = launcher.fingerprint(root);
    change(root);
    const after = launcher.fingerprint(root);
    expect(after.sources).toBe(before.sources);
    expect(after.outputs).not.toBe(before.outputs);
  });
});
