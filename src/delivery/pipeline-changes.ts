import { execFileSync } from "node:child_process";
import YAML from "yaml";
import { isObject } from "../config/raw";
import { PLACEMENT_LOCK } from "../fleet/lock-file";
import { PipelineStack } from "./pipeline-stacks";

/**
 * Which stacks a change touches: those whose generated files differ from the base, and those a change
 * of the config reaches (a service entry: its onboarding and service stacks; a stage: every stack in
 * that stage; a fleet tenant: its tenant stacks; a fleet wave: its tenants' stacks; a fleet stage: the
 * fleet and tenant stacks of that stage; any other fleet field: every fleet and tenant stack;
 * `ephemeral`: the ephemeral template; any other top-level field: every stack).
 */

/** Why one stack is planned: one line each. */
export type Reasons = Map<string, string[]>;

/** A git problem, said in one line (exit code 2). */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitError";
  }
}

export function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim().split("\n")[0];
    throw new GitError(`git ${args.join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}

/** The commit a ref names, or a GitError that says how to bring it into a shallow clone. */
export function resolveBase(cwd: string, ref: string): string {
  try {
    return git(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    throw new GitError(`the base ${ref} is not a commit of this clone: fetch it (git fetch --depth=1 origin ${ref}) or clone deeper (GIT_DEPTH: 0)`);
  }
}

/** The files that differ between `base` and HEAD, relative to the repository root. */
export function changedFiles(cwd: string, base: string): string[] {
  return git(cwd, ["diff", "--name-only", "--no-renames", base, "HEAD"]).split("\n").filter(Boolean);
}

/** A file as it is at `commit`, or undefined when it is not there. */
export function fileAt(cwd: string, commit: string, file: string): string | undefined {
  try {
    return git(cwd, ["show", `${commit}:${file}`]);
  } catch {
    return undefined;
  }
}

function addReason(reasons: Reasons, stack: string, reason: string): void {
  const list = reasons.get(stack) ?? [];
  if (!list.includes(reason)) list.push(reason);
  reasons.set(stack, list);
}

/**
 * Stacks whose folder under `generatedDir` (a path relative to the repository root) has a changed
 * file, and the fleet's stacks when its placement lock changed. Folders of stacks that are not in
 * `stacks` (removed from the config) are returned apart.
 */
export function stacksOfChangedFiles(files: readonly string[], generatedDir: string, stacks: readonly PipelineStack[]): { reasons: Reasons; removed: string[] } {
  const reasons: Reasons = new Map();
  const removed = new Set<string>();
  const known = new Set(stacks.map((s) => s.name));
  const prefix = generatedDir.replace(/\/+$/, "") + "/";
  for (const file of files) {
    if (!file.startsWith(prefix)) continue;
    const rest = file.slice(prefix.length);
    if (rest === PLACEMENT_LOCK) {
      for (const s of stacks.filter((s) => s.kind === "fleet" || s.kind === "tenant")) addReason(reasons, s.name, `${file} changed`);
      continue;
    }
    const slash = rest.indexOf("/");
    if (slash < 0) continue;
    const stack = rest.slice(0, slash);
    if (known.has(stack)) addReason(reasons, stack, `${prefix}${stack}/ changed`);
    else removed.add(stack);
  }
  return { reasons, removed: [...removed].sort() };
}

/** JSON with sorted keys: equal values give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) => (isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** Entries of a list keyed by a field (services by slug, tenants by id), with their position. */
function keyed(list: unknown, key: string): Map<string, { index: number; value: unknown }> {
  const out = new Map<string, { index: number; value: unknown }>();
  if (!Array.isArray(list)) return out;
  list.forEach((value, index) => {
    const k = isObject(value) && typeof value[key] === "string" ? (value[key] as string) : `#${index}`;
    out.set(k, { index, value });
  });
  return out;
}

function changedKeys(a: Map<string, { index: number; value: unknown }>, b: Map<string, { index: number; value: unknown }>, withOrder: boolean): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => {
    const x = a.get(k);
    const y = b.get(k);
    return !x || !y || !same(x.value, y.value) || (withOrder && x.index !== y.index);
  });
}

function objectKeys(a: unknown, b: unknown): string[] {
  return [...new Set([...(isObject(a) ? Object.keys(a) : []), ...(isObject(b) ? Object.keys(b) : [])])];
}

const field = (o: unknown, k: string): unknown => (isObject(o) ? o[k] : undefined);

/**
 * The stacks of `stacks` that a change of the config from `before` to `after` (both parsed YAML, not
 * validated) reaches, with the config path that reaches each. `before` undefined: the config is new.
 */
export function stacksOfConfigChange(before: unknown, after: unknown, stacks: readonly PipelineStack[], configFile: string): Reasons {
  const reasons: Reasons = new Map();
  const all = (why: string) => stacks.forEach((s) => addReason(reasons, s.name, why));
  if (before === undefined) {
    all(`${configFile} is new`);
    return reasons;
  }
  const fleetStacks = stacks.filter((s) => s.kind === "fleet" || s.kind === "tenant");
  for (const key of objectKeys(before, after)) {
    const a = field(before, key);
    const b = field(after, key);
    if (same(a, b)) continue;
    const why = (p: string) => `${configFile}: ${p} changed`;
    if (key === "services") {
      for (const slug of changedKeys(keyed(a, "slug"), keyed(b, "slug"), false)) {
        stacks.filter((s) => s.slug === slug).forEach((s) => addReason(reasons, s.name, why(`services[${slug}]`)));
      }
    } else if (key === "stages") {
      for (const stage of objectKeys(a, b).filter((st) => !same(field(a, st), field(b, st)))) {
        stacks.filter((s) => s.stage === stage || s.stages.includes(stage)).forEach((s) => addReason(reasons, s.name, why(`stages.${stage}`)));
      }
    } else if (key === "fleet") {
      for (const fk of objectKeys(a, b).filter((k) => !same(field(a, k), field(b, k)))) {
        const fa = field(a, fk);
        const fb = field(b, fk);
        if (fk === "tenants") {
          for (const id of changedKeys(keyed(fa, "id"), keyed(fb, "id"), false)) {
            stacks.filter((s) => s.kind === "tenant" && s.tenant === id).forEach((s) => addReason(reasons, s.name, why(`fleet.tenants[${id}]`)));
          }
        } else if (fk === "waves") {
          const waves = new Set(changedKeys(keyed(fa, "name"), keyed(fb, "name"), true));
          const tenants = [field(a, "tenants"), field(b, "tenants")].flatMap((t) => (Array.isArray(t) ? t : []));
          for (const t of tenants.filter((t) => waves.has(String(field(t, "wave"))))) {
            stacks
              .filter((s) => s.kind === "tenant" && s.tenant === String(field(t, "id")))
              .forEach((s) => addReason(reasons, s.name, why(`fleet.waves[${String(field(t, "wave"))}]`)));
          }
        } else if (fk === "stages") {
          for (const stage of objectKeys(fa, fb).filter((st) => !same(field(fa, st), field(fb, st)))) {
            fleetStacks.filter((s) => s.stage === stage).forEach((s) => addReason(reasons, s.name, why(`fleet.stages.${stage}`)));
          }
        } else {
          fleetStacks.forEach((s) => addReason(reasons, s.name, why(`fleet.${fk}`)));
        }
      }
    } else if (key === "ephemeral") {
      stacks.filter((s) => s.kind === "ephemeral").forEach((s) => addReason(reasons, s.name, why("ephemeral")));
    } else {
      all(why(key));
    }
  }
  return reasons;
}

/** Parses a config's YAML for comparison; undefined when it is not YAML (then every stack is planned). */
export function parseRaw(text: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (text === undefined) return { ok: true, value: undefined };
  try {
    return { ok: true, value: YAML.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function mergeReasons(...all: Reasons[]): Reasons {
  const out: Reasons = new Map();
  for (const r of all) for (const [stack, why] of r) why.forEach((w) => addReason(out, stack, w));
  return out;
}
