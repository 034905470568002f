import { ChildProcess, spawn } from "child_process";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "./paths";

/**
 * The process of a parallel synth's worker: the compiled synth started with `--standby`, which loads
 * the stacks' code and then waits for its command line on standard input (see SynthWorker in
 * main.ts). Its standard output is collected from the start, and its end is seen whenever it comes.
 */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Its standard output, once it has exited with 0; rejected with how it ended otherwise. */
  readonly output: Promise<string>;
}

/** The compiled synth, which every worker runs (from sources, under ts-node or jest, there are none). */
const MAIN = path.join(__dirname, "main.js");

export function startWorkerProcess(): WorkerProcess {
  const child = spawn(process.execPath, [MAIN, "--standby"], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (chunk) => (out += chunk));
  // A worker that died before it read its input: the failure is the output's.
  child.stdin!.on("error", () => undefined);
  const output = new Promise<string>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`exited with ${code ?? signal}`))));
  });
  output.catch(() => undefined);
  return { child, output };
}

/** The handles that keep this process alive while the worker runs: the process and its pipes. */
function handles(w: WorkerProcess): { ref(): unknown; unref(): unknown }[] {
  return [w.child, w.child.stdin as net.Socket, w.child.stdout as net.Socket];
}

let early: WorkerProcess | undefined;

/**
 * The worker started when the synth's code was loaded, if there is one and it was not taken yet. From
 * now on it keeps this process alive until it ends, as a worker started by SynthWorker does.
 */
export function takeEarlyWorker(): WorkerProcess | undefined {
  const w = early;
  early = undefined;
  if (w) for (const h of handles(w)) h.ref();
  return w;
}

/**
 * A synth run as `npm run synth` or `node dist/src/main.js` starts its first worker as soon as this
 * module loads, before the synth's own code (CDKTF, the providers' bindings, the constructs), so that
 * the two load at once on two cores: a third of a second of an incremental synth's two. Not for a
 * worker, `--help`, a single core or code run from sources. Until a synth takes it, nothing waits for
 * it: a run that ends before (a usage error, a missing config) exits, and the worker, finding its
 * standard input closed, ends with it.
 */
function startsEarly(): boolean {
  const entry = require.main?.filename;
  if (entry !== MAIN && entry !== path.join(PROJECT_ROOT, "scripts", "synth.cjs")) return false;
  if (!__filename.endsWith(".js") || os.cpus().length < 2) return false;
  return !process.argv.slice(2).some((a) => a === "--standby" || a === "--shard" || a.startsWith("--shard=") || a === "--help" || a === "-h");
}

if (startsEarly()) {
  early = startWorkerProcess();
  for (const h of handles(early)) h.unref();
}
