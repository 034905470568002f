#!/usr/bin/env node
// npm run synth: compiles the code when a source of it changed since the last compile (`tsc -b` and
// the authorizer bundle, as `npm run build`), then runs the compiled synth (dist/src/main.js) in this
// process with the arguments given.
//
// Whether a source changed is told by a fingerprint of every file the compile reads (the TypeScript
// under src/, stacks/, bench/ and packages/constructs/src/, the tsconfig files, the package manifests,
// the lockfiles), by path and content, and of the compile's outputs by path, size and modification
// time: an edit, an added or removed file, an install or an output removed all change it.
// `tsc -b` itself needs about a second to find that nothing changed, most of an incremental synth.
"use strict";
const { spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.dirname(__dirname);
const STAMP = path.join(ROOT, ".cache", "tsc", "synth-build.stamp");
const SOURCE_DIRS = ["src", "stacks", "bench", "packages/constructs/src"];
const SOURCE_FILES = [
  "tsconfig.json",
  "packages/constructs/tsconfig.json",
  "package.json",
  "packages/constructs/package.json",
  "package-lock.json",
  "node_modules/.package-lock.json",
  "packages/constructs/scripts/bundle-authorizer.mjs",
];
// The outputs: a compile that ran otherwise (npm run build) or an output removed is seen too.
const OUTPUT_FILES = [
  ".cache/tsc/build.tsbuildinfo",
  ".cache/tsc/constructs.tsbuildinfo",
  "dist/src/main.js",
  "packages/constructs/dist/service/index.js",
  "packages/constructs/dist/ephemeral/authorizer.js",
];

/**
 * The fingerprint of the compile's sources and of its outputs under `root`, one line each: the
 * sources by path and content (so an edit that keeps a file's size and time, as `cp -p` or an
 * unpacked archive do, is seen), the outputs by path, size and modification time. The sources are
 * taken before a compile and the outputs after it, so a source edited while it ran is still seen as
 * changed.
 */
function fingerprint(root = ROOT) {
  const sources = crypto.createHash("sha256");
  const walk = (rel) => {
    let st;
    try {
      st = fs.statSync(path.join(root, rel));
    } catch {
      sources.update(`${rel}\0missing\n`);
      return;
    }
    if (!st.isDirectory()) {
      sources.update(`${rel}\0${st.size}\0`);
      sources.update(fs.readFileSync(path.join(root, rel)));
      sources.update("\n");
      return;
    }
    sources.update(`${rel}/\n`);
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      if (name === "node_modules" || name === "dist") continue;
      walk(`${rel}/${name}`);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  for (const file of SOURCE_FILES) walk(file);
  const outputs = crypto.createHash("sha256");
  for (const rel of OUTPUT_FILES) {
    const st = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
    outputs.update(st ? `${rel}\0${st.size}\0${st.mtimeMs}\n` : `${rel}\0missing\n`);
  }
  return { sources: sources.digest("hex"), outputs: outputs.digest("hex") };
}

function compile() {
  const steps = [
    [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b", path.join(ROOT, "tsconfig.json")],
    [path.join(ROOT, "packages", "constructs", "scripts", "bundle-authorizer.mjs")],
  ];
  for (const args of steps) {
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) return r.status ?? 1;
  }
  return 0;
}

function stamped() {
  try {
    return fs.readFileSync(STAMP, "utf8");
  } catch {
    return undefined;
  }
}

function main() {
  const before = fingerprint();
  if (stamped() !== `${before.sources}\n${before.outputs}\n`) {
    const status = compile();
    if (status !== 0) process.exit(status);
    fs.mkdirSync(path.dirname(STAMP), { recursive: true });
    fs.writeFileSync(STAMP, `${before.sources}\n${fingerprint().outputs}\n`);
  }
  require(path.join(ROOT, "dist", "src", "main.js")).runSynthCommand();
}

module.exports = { fingerprint, SOURCE_DIRS, SOURCE_FILES, OUTPUT_FILES };
if (require.main === module) main();
