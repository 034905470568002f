import * as fs from "fs";
import * as path from "path";
import { PlacementLock, parsePlacementLock } from "./placement";

/**
 * The placement lock on disk: `fleet-placement.json` beside the generated stacks. Read by synth
 * (which rewrites it) and by `npm run fleet` (which only reads it). Kept apart from main.ts so that
 * reading the lock does not load CDKTF and every stack.
 */

/** The placement lock's file name in the generated directory (see src/fleet/placement.ts). */
export const PLACEMENT_LOCK = "fleet-placement.json";

export interface LockFile {
  /** The file's text, when there is a file. */
  readonly text?: string;
  /** The lock, when the file is a valid lock (of any product). */
  readonly lock?: PlacementLock;
  /** The product the file names, when it is JSON with a `product`. */
  readonly product?: string;
}

/** Reads the lock of a generated directory; a missing or unreadable file is no lock. */
export function readPlacementLock(generatedDir: string): LockFile {
  let text: string | undefined;
  try {
    text = fs.readFileSync(path.join(generatedDir, PLACEMENT_LOCK), "utf8");
  } catch {
    return {};
  }
  let product: string | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const named = typeof parsed === "object" && parsed !== null ? (parsed as { product?: unknown }).product : undefined;
    product = typeof named === "string" ? named : undefined;
  } catch {
    // not JSON: no lock
  }
  return { text, product, lock: product ? parsePlacementLock(text, product) : undefined };
}

/** The lock if it is the given fleet's: a lock of another product (a renamed fleet) places nobody. */
export function lockOfProduct(lock: PlacementLock | undefined, product: string | undefined): PlacementLock | undefined {
  return lock && product !== undefined && lock.product === product ? lock : undefined;
}
