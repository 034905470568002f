import { Construct } from "constructs";
import { TerraformOutput, TerraformProvider } from "cdktf";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";

export interface PlatformCiRoleProps {
  /** Who may assume the role (the platform repository's pipelines, by OIDC). */
  readonly trust: PolicyStatement[];
  /** What the role may do. */
  readonly statements: PolicyStatement[];
}

export interface PlatformCiRolesProps {
  /** The IAM path of both roles. */
  readonly path: string;
  readonly planRoleName: string;
  readonly applyRoleName: string;
  /** The merge-request pipelines' role: reads state, assumes the read roles. */
  readonly plan: PlatformCiRoleProps;
  /** The protected branches' role: writes state and locks, assumes the provisioner roles. */
  readonly apply: PlatformCiRoleProps;
  /** The provider of the deployment account. @default the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * The platform repository's CI roles in the deployment account, with their ARNs as outputs for the
 * pipelines' variables.
 */
export class PlatformCiRoles extends Construct {
  public readonly plan: PolicyRole;
  public readonly apply: PolicyRole;

  constructor(scope: Construct, id: string, props: PlatformCiRolesProps) {
    super(scope, id);
    const common = { path: props.path, provider: props.provider };
    this.plan = new PolicyRole(this, "plan", { ...common, roleName: props.planRoleName, trust: props.plan.trust, statements: props.plan.statements });
    this.apply = new PolicyRole(this, "apply", { ...common, roleName: props.applyRoleName, trust: props.apply.trust, statements: props.apply.statements });
    new TerraformOutput(this, "plan_role_arn", {
      value: this.plan.role.arn,
      description: "The role the platform repository's merge-request pipelines assume (read-only, plans with -lock=false and TF_VAR_ci_phase=plan).",
    }).overrideLogicalId("platform_ci_plan_role_arn");
    new TerraformOutput(this, "apply_role_arn", {
      value: this.apply.role.arn,
      description: "The role the platform repository's protected branches assume to apply the platform's stacks.",
    }).overrideLogicalId("platform_ci_apply_role_arn");
  }
}
