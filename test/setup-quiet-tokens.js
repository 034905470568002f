// CDKTF captures a full stack trace for every token it creates, only to name where a token came from
// in an error about it; under jest every frame of it is also source-mapped, seconds of each test file
// that synthesizes. npm run synth does without (quietTokens in src/main.ts), and so do the tests: what
// they synthesize is what synth writes.
const stackTrace = require("cdktf/lib/tokens/private/stack-trace");
if (typeof stackTrace.captureStackTrace !== "function") throw new Error("cdktf has no tokens/private/stack-trace captureStackTrace: check test/setup-quiet-tokens.js against its version");
stackTrace.captureStackTrace = () => [];
