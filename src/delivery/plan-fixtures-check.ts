/**
 * `node dist/src/delivery/plan-fixtures-check.js <committed> <fresh>`: compares two folders of plan
 * fixtures by what the summary reads from them (counts, services, called-out sections), so a fresh run
 * of scripts/plan-fixtures.sh proves the committed fixtures are still what Terraform plans.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { loadPlan } from "./plan-summary-cli";
import { calledOut } from "./plan-summary";

/** What --check compares of each plan file of a folder, by file name. */
export function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    const p = loadPlan(path.join(dir, f));
    const apps = [...new Set(p.changes.map((c) => c.app ?? "-"))].sort();
    out.set(f, JSON.stringify({ counts: p.counts, gitlab: p.gitlab, apps, ...calledOut(p) }, null, 1));
  }
  return out;
}

/** The lines that say how two folders differ; none when they agree. */
export function compareFixtures(committed: string, fresh: string): string[] {
  const a = digest(committed);
  const b = digest(fresh);
  const lines: string[] = [];
  for (const f of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(f) === b.get(f)) continue;
    lines.push(`${f}: committed ${a.get(f) ?? "(missing)"}`, `${f}: fresh ${b.get(f) ?? "(missing)"}`);
  }
  return lines;
}

if (require.main === module) {
  const [committed, fresh] = process.argv.slice(2);
  const differ = compareFixtures(committed, fresh);
  for (const l of differ) process.stderr.write(`${l}\n`);
  process.stdout.write(`${digest(committed).size} committed plan fixtures, ${digest(fresh).size} fresh, ${differ.length / 2} differ\n`);
  process.exitCode = differ.length ? 1 : 0;
}
