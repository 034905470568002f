// The temporary folders of a test run (CDKTF's Testing.app() leaves a cdktf.outdir.* folder on every
// call, the tests' own mkdtemp folders) go in one folder of the run in the machine's temp dir,
// removed when the run ends, instead of piling up there. It is outside the project: some tests make
// repositories of their own there, which the project's tools refuse inside the platform repository.
// Set here, in jest's own process before its workers start, so that every worker inherits it: a
// setup file's process.env is the test sandbox's copy, which os.tmpdir() never reads.
const fs = require("fs");
const os = require("os");
const path = require("path");

const PREFIX = "apps-platform-jest-";

module.exports = async function globalSetup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  process.env.APPS_PLATFORM_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};

module.exports.teardown = async function globalTeardown() {
  const dir = process.env.APPS_PLATFORM_TEST_TMPDIR;
  if (dir && path.basename(dir).startsWith(PREFIX)) fs.rmSync(dir, { recursive: true, force: true });
};
