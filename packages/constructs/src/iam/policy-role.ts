import { Construct } from "constructs";
import { ITerraformDependable, TerraformProvider } from "cdktf";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Problems, ValidationError, integerBetween } from "../errors";
import { limitProblem, managedPolicyName, overLimit } from "../naming";
import { PolicyStatement, policyJson } from "../policy/document";

/** IAM's limit on a customer managed policy, counted without whitespace. */
export const MANAGED_POLICY_LIMIT = 6144;
/** IAM's default limit on managed policies attached to one role. */
export const ATTACHED_POLICY_LIMIT = 10;

/** IAM role names: 1 to 64 of letters, digits and `+=,.@_-`. */
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM paths: `/`, or `/` and printable ASCII ending in `/`, at most 512 characters. */
const IAM_PATH = /^(?=.{1,512}$)\/(?:[\x21-\x7e]+\/)?$/;

/** A role and its policies. */
export interface PolicyRoleProps {
  /** The role's name (IAM: 1 to 64 letters, digits and `+=,.@_-`); its policies are named after it. */
  readonly roleName: string;
  /** The IAM path, which policies elsewhere match roles by. */
  readonly path: string;
  /** Who may assume the role. */
  readonly trust: PolicyStatement[];
  /** What the role may do; split over as many managed policies as IAM's size limit needs. */
  readonly statements: PolicyStatement[];
  /** The provider of the account the role lives in. @default the stack's default provider */
  readonly provider?: TerraformProvider;
  /** Resources to create first (principals named in the trust policy must exist). @default none: no ordering beyond references */
  readonly dependsOn?: ITerraformDependable[];
  /** AWS managed policies to attach as well. @default none: only the role's own policies */
  readonly managedPolicyArns?: string[];
  /** Longest session, in seconds. @default 3600 */
  readonly maxSessionDuration?: number;
}

/** The statements that alone exceed `limit`, each as a problem. */
function oversized(statements: PolicyStatement[], limit: number): string[] {
  return statements
    .map((s) => ({ s, size: policyJson([s]).length }))
    .filter(({ size }) => size > limit)
    .map(({ s, size }) => `Policy statement ${s.Sid} alone exceeds IAM's ${limit}-character limit: split it, got ${size} characters`);
}

/**
 * Splits statements into groups whose policy documents each stay within IAM's size limit. Refuses,
 * naming each, statements that alone exceed it.
 */
export function chunkStatements(statements: PolicyStatement[], limit = MANAGED_POLICY_LIMIT): PolicyStatement[][] {
  const tooLarge = oversized(statements, limit);
  if (tooLarge.length > 0) throw new ValidationError(tooLarge);
  // A document's JSON is the empty document's with the statements' own JSON joined by commas inside
  // its brackets, so each statement is written once (not the growing chunk once per statement).
  const empty = policyJson([]).length;
  const chunks: PolicyStatement[][] = [];
  let size = 0;
  for (const statement of statements) {
    const own = JSON.stringify(statement).length;
    const last = chunks[chunks.length - 1];
    if (last && size + 1 + own <= limit) {
      last.push(statement);
      size += 1 + own;
    } else {
      chunks.push([statement]);
      size = empty + own;
    }
  }
  return chunks;
}

/**
 * A role with its trust policy and customer managed policies named `<role>-<n>`. Managed rather than
 * inline policies, since a role's inline policies share one 10,240-character budget and a deploy
 * role's policy is larger than that.
 */
export class PolicyRole extends Construct {
  public readonly role: IamRole;
  public readonly policies: IamPolicy[];

  constructor(scope: Construct, id: string, props: PolicyRoleProps) {
    super(scope, id);
    const maxSessionDuration = props.maxSessionDuration ?? 3600;
    const managed = props.managedPolicyArns ?? [];
    const problems = new Problems();
    problems.check("roleName", props.roleName, (n) => IAM_ROLE_NAME.test(n), "must be 1 to 64 letters, digits and + = , . @ _ - (an IAM role name)");
    problems.check("path", props.path, (p) => IAM_PATH.test(p), "must be / or start and end with / around printable ASCII characters, at most 512 (an IAM path)");
    problems.check("maxSessionDuration", maxSessionDuration, integerBetween(3600, 43200), "must be a whole number of seconds from 3600 to 43200 (1 to 12 hours)");
    const tooLarge = oversized(props.statements, MANAGED_POLICY_LIMIT);
    problems.addAll(tooLarge);
    const chunks = tooLarge.length === 0 && props.statements.length > 0 ? chunkStatements(props.statements) : [];
    if (chunks.length + managed.length > ATTACHED_POLICY_LIMIT) {
      problems.add(
        `Role ${props.roleName} needs ${chunks.length + managed.length} managed policies (${chunks.length} for its statements, ${managed.length} managedPolicyArns); IAM attaches at most ${ATTACHED_POLICY_LIMIT}.`,
      );
    }
    const policyNames = chunks.map((_, i) => managedPolicyName(props.roleName, i));
    problems.addAll(overLimit(policyNames).map(limitProblem));
    problems.throwIfAny(this);

    this.role = new IamRole(this, "role", {
      provider: props.provider,
      name: props.roleName,
      path: props.path,
      assumeRolePolicy: policyJson(props.trust),
      maxSessionDuration,
      dependsOn: props.dependsOn,
    });
    this.policies = chunks.map((statements, i) => {
      const policy = new IamPolicy(this, `policy-${i + 1}`, {
        provider: props.provider,
        name: policyNames[i].name,
        path: props.path,
        policy: policyJson(statements),
      });
      new IamRolePolicyAttachment(this, `attachment-${i + 1}`, { provider: props.provider, role: this.role.name, policyArn: policy.arn });
      return policy;
    });
    managed.forEach(
      (policyArn, i) => new IamRolePolicyAttachment(this, `managed-${i + 1}`, { provider: props.provider, role: this.role.name, policyArn }),
    );
  }
}
