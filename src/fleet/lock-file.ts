import * as fs from "fs";
import * as path from "path";
import { readProblem, shownPath } from "../cli/args";
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
  /** Why a file that is there could not be read (a folder in its place). */
  readonly unreadable?: string;
}

/** Reads the lock of a generated directory; a missing or unreadable file is no lock. */
export function readPlacementLock(generatedDir: string): LockFile {
  let text: string | undefined;
  try {
    text = fs.readFileSync(path.join(generatedDir, PLACEMENT_LOCK), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // None yet (or no folder yet): the fleet's first synth.
    if (code === "ENOENT" || code === "ENOTDIR") return {};
    return { unreadable: readProblem(err) };
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

/**
 * Why a placement lock that is there cannot be used for the fleet of `product`: a file that cannot be
 * read, text that is no lock (a merge conflict's markers, a truncated file), the lock of another
 * product. Read as no lock, it would move tenants to new places and, with no record of whose data is
 * protected, let synth remove protected tenants' stacks without a word. Undefined when it can be used.
 */
export function placementLockProblem(product: string, previous: LockFile, generatedDir: string): string | undefined {
  if (previous.text === undefined && previous.unreadable === undefined) return undefined;
  const file = path.join(generatedDir, PLACEMENT_LOCK);
  const shown = shownPath(file);
  const why = "synth does not place the fleet's tenants without it: it records where each tenant is placed and whose data is protected";
  if (previous.unreadable !== undefined) return `the placement lock ${shown}: ${previous.unreadable}, and ${why}`;
  if (!previous.lock) {
    return `${shown} is not a placement lock (JSON with version 1, product and stages), and ${why}. Resolve it (after a merge conflict, take one side's file and synth again, which adds the other side's tenants), or remove it only if no tenant of the fleet is deployed`;
  }
  if (previous.lock.product !== product) {
    return `${shown} is the placement lock of ${JSON.stringify(previous.lock.product)}, not of fleet.product ${JSON.stringify(product)}, and ${why}. Remove it only if no tenant of ${JSON.stringify(previous.lock.product)} is deployed`;
  }
  return undefined;
}

/** The lock if it is the given fleet's: a lock of another product (a renamed fleet) places nobody. */
export function lockOfProduct(lock: PlacementLock | undefined, product: string | undefined): PlacementLock | undefined {
  return lock && product !== undefined && lock.product === product ? lock : undefined;
}
