import { Construct } from "constructs";
import { ITerraformDependable, TerraformProvider } from "cdktf";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { PolicyStatement, policyJson } from "../policy/document";

/** IAM's limit on a customer managed policy, counted without whitespace. */
export const MANAGED_POLICY_LIMIT = 6144;
/** IAM's default limit on managed policies attached to one role. */
export const ATTACHED_POLICY_LIMIT = 10;

export interface PolicyRoleProps {
  readonly roleName: string;
  /** The IAM path, which policies elsewhere match roles by. */
  readonly path: string;
  /** Who may assume the role. */
  readonly trust: PolicyStatement[];
  /** What the role may do; split over as many managed policies as IAM's size limit needs. */
  readonly statements: PolicyStatement[];
  /** The provider of the account the role lives in. @default the stack's default provider */
  readonly provider?: TerraformProvider;
  /** Resources to create first (principals named in the trust policy must exist). @default none */
  readonly dependsOn?: ITerraformDependable[];
  /** AWS managed policies to attach as well. @default none */
  readonly managedPolicyArns?: string[];
  /** Longest session, in seconds. @default 3600 */
  readonly maxSessionDuration?: number;
}

/** Splits statements into groups whose policy documents each stay within IAM's size limit. */
export function chunkStatements(statements: PolicyStatement[], limit = MANAGED_POLICY_LIMIT): PolicyStatement[][] {
  const chunks: PolicyStatement[][] = [];
  for (const statement of statements) {
    const size = (s: PolicyStatement[]) => policyJson(s).length;
    if (size([statement]) > limit) throw new Error(`Policy statement ${statement.Sid} alone exceeds IAM's ${limit}-character limit.`);
    const last = chunks[chunks.length - 1];
    if (last && size([...last, statement]) <= limit) last.push(statement);
    else chunks.push([statement]);
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
    const chunks = props.statements.length > 0 ? chunkStatements(props.statements) : [];
    const managed = props.managedPolicyArns ?? [];
    if (chunks.length + managed.length > ATTACHED_POLICY_LIMIT) {
      throw new Error(`Role ${props.roleName} needs ${chunks.length} managed policies; IAM attaches at most ${ATTACHED_POLICY_LIMIT}.`);
    }
    this.role = new IamRole(this, "role", {
      provider: props.provider,
      name: props.roleName,
      path: props.path,
      assumeRolePolicy: policyJson(props.trust),
      maxSessionDuration: props.maxSessionDuration ?? 3600,
      dependsOn: props.dependsOn,
    });
    this.policies = chunks.map((statements, i) => {
      const policy = new IamPolicy(this, `policy-${i + 1}`, {
        provider: props.provider,
        name: `${props.roleName}-${i + 1}`,
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
