// Normalises `terraform show -json` of a plan made on the emulator (stdin to stdout) so that a rerun
// gives the same file: the emulator's port and timestamps become constants, and the ids it draws at
// random become placeholders numbered in order of first appearance.
const url = process.argv[2];
const plan = JSON.parse(require("fs").readFileSync(0, "utf8"));
delete plan.timestamp;
const seen = new Map();
const counters = new Map();
function stable(kind, value, make) {
  const key = `${kind}:${value}`;
  if (!seen.has(key)) {
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    seen.set(key, make(n));
  }
  return seen.get(key);
}
const hex = (n, width) => n.toString(16).padStart(width, "0");
const rules = [
  [new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g"), () => "http://127.0.0.1:4566"],
  [/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g, () => "2026-01-01T00:00:00Z"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, (m) => stable("uuid", m, (n) => `00000000-0000-4000-8000-${hex(n, 12)}`)],
  [/\b(vpc|subnet|sg|sgr|rtb|rtbassoc|igw|nat|eipalloc|eipassoc|eni|fl|acl|eigw|vpce|tgw-attach)-[0-9a-f]{8,17}\b/g, (m, kind) => stable(kind, m, (n) => `${kind}-${hex(n, 17)}`)],
  [/\bZ[0-9A-Z]{12,31}\b/g, (m) => stable("zone", m, (n) => `Z${String(n).padStart(20, "0")}`)],
  [/\bA(?:RO|ID|NPA|IDA|KIA|SIA)A[0-9A-Z]{12,20}\b/g, (m) => stable("iamid", m, (n) => `AROA${String(n).padStart(17, "0")}`)],
  [/\bip-\d+-\d+-\d+-\d+\b/g, (m) => stable("ipname", m, (n) => `ip-192-0-2-${n}`)],
  [/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?![/\d.])/g, (m) => stable("ip", m, (n) => `192.0.2.${n}`)],
  [/\bns-\d+\.awsdns-\d+\.(?:com|net|org|co\.uk)\b/g, (m) => stable("ns", m, (n) => `ns-${n}.awsdns-${String(n).padStart(2, "0")}.example`)],
];
// The emulator's other random ids (zone, policy and role ids) are upper-case letters and digits: found
// as whole values first, then replaced wherever they occur (ARNs carry them too).
const tokens = new Map();
(function collect(v) {
  if (typeof v === "string") {
    if (/^[A-Z0-9]{16,32}$/.test(v) && /\d/.test(v) && /[A-Z]/.test(v) && !tokens.has(v)) tokens.set(v, `ID${String(tokens.size + 1).padStart(18, "0")}`);
  } else if (Array.isArray(v)) v.forEach(collect);
  else if (v && typeof v === "object") Object.values(v).forEach(collect);
})(plan);
const tokenRe = tokens.size ? new RegExp([...tokens.keys()].join("|"), "g") : undefined;
rules.unshift([/\bec2-\d+-\d+-\d+-\d+\b/g, (m) => stable("ec2name", m, (n) => `ec2-192-0-2-${n}`)]);
if (tokenRe) rules.unshift([tokenRe, (m) => tokens.get(m)]);
function walk(v) {
  if (typeof v === "string") return rules.reduce((s, [re, f]) => s.replace(re, f), v);
  if (Array.isArray(v)) return v.map(walk);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  return v;
}
const out = walk(plan);
// Terraform lists relevant_attributes in no fixed order.
if (Array.isArray(out.relevant_attributes)) out.relevant_attributes.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
