// CDKTF's Testing.app() leaves a cdktf.outdir.* folder in the temp dir on every call; keep them in the
// project's own .tmp (git-ignored) instead of the machine's /tmp.
const fs = require("fs");
const path = require("path");
const dir = path.join(__dirname, "..", ".tmp", "jest");
fs.mkdirSync(dir, { recursive: true });
process.env.TMPDIR = dir;
