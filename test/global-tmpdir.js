// The temporary folders of a test run (CDKTF's Testing.app() leaves a cdktf.outdir.* folder on every
// call, the tests' own mkdtemp folders) go in a folder of this run under the project's .tmp
// (git-ignored), removed when the run ends, instead of piling up in the machine's /tmp. Set here, in
// jest's own process before its workers start, so that every worker inherits it: a setup file's
// process.env is the test sandbox's copy, which os.tmpdir() never reads.
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..", ".tmp", "jest");

module.exports = async function globalSetup() {
  const dir = path.join(root, `run-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  process.env.APPS_PLATFORM_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};

module.exports.teardown = async function globalTeardown() {
  const dir = process.env.APPS_PLATFORM_TEST_TMPDIR;
  if (dir && path.dirname(dir) === root) fs.rmSync(dir, { recursive: true, force: true });
};
