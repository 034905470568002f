import { TfJson } from "../helpers";

/** A policy document as parsed from the synthesized JSON. */
export interface Policy {
  Version: string;
  Statement: Record<string, any>[];
}

/** A role as the synthesized Terraform JSON declares it, with the policies attached to it. */
export interface SynthesizedRole {
  readonly stack: string;
  readonly name: string;
  readonly arn: string;
  readonly accountId: string;
  readonly trust: Policy;
  readonly policies: { name: string; policy: Policy }[];
}

function parse(text: unknown, where: string): Policy {
  if (typeof text !== "string") throw new Error(`${where}: policy is not a string`);
  // `$${…}` is Terraform's escape of an IAM policy variable (`${aws:PrincipalTag/Stage}`), which the evaluator resolves.
  const escaped = text.replace(/\$\$\{/g, "\u0000");
  if (escaped.includes("${")) throw new Error(`${where}: policy holds a Terraform reference, which an evaluator cannot resolve: ${text}`);
  return JSON.parse(escaped.replace(/\u0000/g, "${"));
}

/** The account of each provider configuration of a stack, keyed by `aws` or `aws.<alias>`. */
function providerAccounts(json: TfJson): Map<string, string> {
  const accounts = new Map<string, string>();
  for (const p of (json.provider?.aws ?? []) as { alias?: string; allowed_account_ids: string[] }[]) {
    accounts.set(p.alias ? `aws.${p.alias}` : "aws", p.allowed_account_ids[0]);
  }
  return accounts;
}

/** Every IAM role of a synthesized stack, with its trust policy and attached managed policies. */
export function rolesOf(stack: string, json: TfJson): SynthesizedRole[] {
  const accounts = providerAccounts(json);
  const policies = json.resource?.aws_iam_policy ?? {};
  const attachments = Object.values(json.resource?.aws_iam_role_policy_attachment ?? {}) as { role: string; policy_arn: string }[];
  return Object.entries(json.resource?.aws_iam_role ?? {}).map(([id, role]: [string, any]) => {
    const accountId = accounts.get(role.provider ?? "aws")!;
    // AWS managed policies (attached by ARN) are AWS's text, not the platform's; they are left out.
    const attached = attachments
      .filter((a) => a.role === `\${aws_iam_role.${id}.name}` && a.policy_arn.startsWith("${aws_iam_policy."))
      .map((a) => /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(a.policy_arn)![1])
      .map((pid) => ({ name: (policies[pid] as any).name, policy: parse((policies[pid] as any).policy, `${stack} aws_iam_policy.${pid}`) }));
    return {
      stack,
      name: role.name,
      arn: `arn:aws:iam::${accountId}:role${role.path}${role.name}`,
      accountId,
      trust: parse(role.assume_role_policy, `${stack} aws_iam_role.${id}`),
      policies: attached,
    };
  });
}

/** Every policy document of a stack, wherever it is (roles, managed policies, keys, buckets). */
export function allPolicyDocuments(stack: string, json: TfJson): { where: string; kind: "identity" | "resource"; policy: Policy }[] {
  const docs: { where: string; kind: "identity" | "resource"; policy: Policy }[] = [];
  const add = (type: string, attribute: string, kind: "identity" | "resource") => {
    for (const [id, r] of Object.entries(json.resource?.[type] ?? {})) {
      const text = (r as Record<string, unknown>)[attribute];
      if (typeof text === "string" && !text.includes("${")) docs.push({ where: `${stack} ${type}.${id}`, kind, policy: JSON.parse(text) });
      else if (typeof text === "string") docs.push({ where: `${stack} ${type}.${id}`, kind, policy: JSON.parse(text.replace(/\$\{[^}]+\}/g, "arn:aws:s3:::reference")) });
    }
  };
  add("aws_iam_role", "assume_role_policy", "resource");
  add("aws_iam_policy", "policy", "identity");
  add("aws_iam_role_policy", "policy", "identity");
  add("aws_kms_key", "policy", "resource");
  add("aws_s3_bucket_policy", "policy", "resource");
  return docs;
}
