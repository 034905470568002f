import { Construct } from "constructs";
import { ITerraformDependable, TerraformProvider } from "cdktf";
import { IAM_PATHS, serviceStageNames } from "@acme/apps-platform-constructs/naming";
import { serviceAssumesRole } from "@acme/apps-platform-constructs/policy";
import { assumedByCiRoles } from "../../policy/ci";
import {
  TenantScope,
  deployRoleStatements,
  ecrAccessRoleStatements,
  executionRoleStatements,
  readRoleStatements,
} from "@acme/apps-platform-constructs/policy";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";

export interface TenantRolesProps {
  /** The service and stage the roles are for. */
  readonly tenant: TenantScope;
  /** The provider of the stage's platform account. */
  readonly provider: TerraformProvider;
  /** The service's CI apply role, the only principal that may assume the deploy role. */
  readonly ciApplyRoleArn: string;
  /** The service's CI plan role, which may assume the read role (as may the apply role). */
  readonly ciPlanRoleArn: string;
  /** The CI roles, which IAM requires to exist before a trust policy names them. */
  readonly ciRoles: ITerraformDependable[];
  /**
   * Who else may assume the deploy and read roles: the apply and plan phases of the service stack's
   * HCP Terraform workspace, when the platform runs there. @default nobody else
   */
  readonly runTrust?: { readonly deploy: PolicyStatement; readonly read: PolicyStatement };
}

/**
 * A service's roles in one stage's platform account: the deploy role its apply pipeline works with,
 * the read role its merge-request plans work with, and the runtime roles its compute runs as.
 */
export class TenantRoles extends Construct {
  public readonly deploy: PolicyRole;
  public readonly read: PolicyRole;
  public readonly execution: PolicyRole;
  public readonly ecrAccess: PolicyRole;
  public readonly infrastructure: PolicyRole;

  constructor(scope: Construct, id: string, props: TenantRolesProps) {
    super(scope, id);
    const { tenant, provider } = props;
    const names = serviceStageNames(tenant.slug, tenant.stage);
    const common = { provider, dependsOn: props.ciRoles };

    this.deploy = new PolicyRole(this, "deploy", {
      ...common,
      roleName: names.deployRole.name,
      path: IAM_PATHS.deploy,
      trust: [assumedByCiRoles("ThisServicesApplyPipelinesOnly", [props.ciApplyRoleArn]), ...(props.runTrust ? [props.runTrust.deploy] : [])],
      statements: deployRoleStatements(tenant),
    });
    this.read = new PolicyRole(this, "read", {
      ...common,
      roleName: names.readRole.name,
      path: IAM_PATHS.read,
      trust: [assumedByCiRoles("ThisServicesPipelines", [props.ciPlanRoleArn, props.ciApplyRoleArn]), ...(props.runTrust ? [props.runTrust.read] : [])],
      statements: readRoleStatements(tenant),
    });
    this.execution = new PolicyRole(this, "execution", {
      provider,
      roleName: names.executionRole.name,
      path: IAM_PATHS.execution,
      trust: ["tasks.apprunner.amazonaws.com", "ecs-tasks.amazonaws.com"].map((service, i) => ({
        ...serviceAssumesRole(service, tenant.accountId),
        Sid: `Runtime${i + 1}AssumesRoleForThisAccount`,
      })),
      statements: executionRoleStatements(tenant),
    });
    this.ecrAccess = new PolicyRole(this, "ecr-access", {
      provider,
      roleName: names.ecrAccessRole.name,
      path: IAM_PATHS.ecrAccess,
      trust: [serviceAssumesRole("build.apprunner.amazonaws.com", tenant.accountId)],
      statements: ecrAccessRoleStatements(tenant),
    });
    // ECS Express Mode creates the load balancer, its security groups, certificate attachment and
    // scaling of a service with this role; AWS maintains the policy for exactly that purpose.
    this.infrastructure = new PolicyRole(this, "infrastructure", {
      provider,
      roleName: names.infrastructureRole.name,
      path: IAM_PATHS.infrastructure,
      trust: [serviceAssumesRole("ecs.amazonaws.com", tenant.accountId)],
      statements: [],
      managedPolicyArns: [`arn:${tenant.partition}:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices`],
    });
  }
}
