import { Construct } from "constructs";
import { ITerraformDependable, TerraformProvider } from "cdktf";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";
import { skipCheck } from "@acme/apps-platform-constructs/checks";
import { ReadPrefix } from "../../policy/platform-read-services";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { platformReadRoleStatements } from "../../policy/platform-ci";

export interface PlatformReadRoleProps {
  readonly roleName: string;
  /** The IAM path of the role. */
  readonly path: string;
  /**
   * Who may assume it: the platform's CI plan role (`platformReadRoleTrust`), or one HCP Terraform
   * workspace's plan phase (`tfcRunTrust`).
   */
  readonly trust: readonly PolicyStatement[];
  /** The IAM services the account's platform stacks use, with the read prefixes each has. */
  readonly services: Readonly<Record<string, readonly ReadPrefix[]>>;
  /** Tables whose items the platform's stacks write (a fleet's tenant registry), which a plan refreshes. @default none */
  readonly itemTables?: readonly string[];
  /** The provider of the account the role lives in. @default the stack's default provider */
  readonly provider?: TerraformProvider;
  /** The plan role, when it is made in the same configuration (IAM requires a trusted principal to exist). @default none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The role a platform stack's plan runs as in one account: the role its providers assume for
 * `terraform plan` in the GitLab pipelines (`ci_phase=plan`), or an HCP Terraform platform
 * workspace's plan role. It describes, gets and lists what the platform's stacks manage, reads no data
 * (objects, secret values, plaintext, items, log events, images), and changes nothing.
 */
export class PlatformReadRole extends Construct {
  public readonly role: PolicyRole;

  constructor(scope: Construct, id: string, props: PlatformReadRoleProps) {
    super(scope, id);
    this.role = new PolicyRole(this, "role", {
      roleName: props.roleName,
      path: props.path,
      provider: props.provider,
      dependsOn: props.dependsOn,
      trust: [...props.trust],
      statements: platformReadRoleStatements({ services: props.services, itemTables: props.itemTables }),
    });
    skipReadRoleChecks(this.role);
  }
}

/**
 * The scanner reads the Allow of describe/get/list on * and not the Deny of every data read and
 * credential next to it (test/iam/platform-ci*.test.ts and tfc-plan.test.ts prove the Deny holds):
 * for a role whose statements are `platformReadRoleStatements`.
 */
export function skipReadRoleChecks(role: PolicyRole): void {
  for (const policy of role.policies) {
    skipCheck(policy, "CKV_AWS_355", "a plan refreshes every resource the stacks manage: describe, get and list on *, no write");
    skipCheck(policy, "CKV_AWS_287", "credentials and secret values are denied by the NoDataReads statement of the same role");
    skipCheck(policy, "CKV_AWS_288", "object, item, log and secret reads are denied by the NoDataReads statement and the item-read Deny statements");
  }
}
