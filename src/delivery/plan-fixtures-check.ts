/**
 * `node dist/src/delivery/plan-fixtures-check.js <committed> <fresh>`: compares two folders of plan
 * fixtures by what the summary reads from them (counts, services, called-out sections), so a fresh run
 * of scripts/plan-fixtures.sh proves the committed fixtures are still what Terraform plans.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { loadPlan } from "./plan-summary-cli";
import { calledOut } from "./plan-summary";

function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    const p = loadPlan(path.join(dir, f));
    const apps = [...new Set(p.changes.map((c) => c.app ?? "-"))].sort();
    out.set(f, JSON.stringify({ counts: p.counts, gitlab: p.gitlab, apps, ...calledOut(p) }, null, 1));
  }
  return out;
}

const [committed, fresh] = process.argv.slice(2);
const a = digest(committed);
const b = digest(fresh);
let differ = 0;
for (const f of new Set([...a.keys(), ...b.keys()])) {
  if (a.get(f) === b.get(f)) continue;
  differ++;
  process.stderr.write(`${f}: committed ${a.get(f) ?? "(missing)"}\n${f}: fresh ${b.get(f) ?? "(missing)"}\n`);
}
process.stdout.write(`${a.size} committed plan fixtures, ${b.size} fresh, ${differ} differ\n`);
process.exitCode = differ ? 1 : 0;
