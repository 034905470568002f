import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PlatformConfig, ServiceConfig } from "../src/config/schema";
import { AccountProvider, deploymentAccountProvider } from "@acme/apps-platform-constructs/core";
import { PlatformStack } from "./platform-stack";
import { LiteralOutput } from "./literal-output";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";
import { ServiceStateStore } from "../src/constructs/onboarding/service-state-store";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { TenantNetwork } from "../src/constructs/onboarding/tenant-network";
import { TenantRoles } from "../src/constructs/onboarding/tenant-roles";
import { IAM_PATHS, serviceNames, serviceStageNames, stackNames } from "@acme/apps-platform-constructs/naming";
import { CiScope, ciRoleArns, ciRoleStatements, ciTrustStatements, onboardedStages, serviceStateBucketStatements } from "../src/policy/ci";
import { TenantScope } from "@acme/apps-platform-constructs/policy";
import { tfcRunTrust } from "../src/policy/tfc";
import { SERVICE_CONTEXT_FILE, serviceContextOf, sortedKeys } from "../src/service-repo/service-context";

/**
 * Everything a service needs before its first deployment, from one entry in `services:`. One stack
 * per service, so that onboarding the 500th service plans as fast as the first.
 */
export class OnboardingStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig, service: ServiceConfig) {
    const slug = service.slug;
    super(scope, stackNames.onboarding(slug), { config, kind: "onboarding", unit: slug, app: slug });
    const deployment = config.deploymentAccount;
    const names = serviceNames(config.organisation, slug);

    deploymentAccountProvider(this, config, this.partition);
    const tenants: TenantScope[] = onboardedStages(config, service).map((stage) => ({
      partition: this.partition,
      region: config.region,
      accountId: config.stages[stage].accountId,
      slug,
      stage,
      zoneName: config.stages[stage].zoneName,
    }));
    const ci: CiScope = { config, partition: this.partition, service, tenants };

    const store = new ServiceStateStore(this, "state", {
      partition: this.partition,
      region: config.region,
      accountId: deployment.accountId,
      bucketName: names.stateBucket.name,
      lockTableName: names.lockTable.name,
      keyAlias: names.stateKeyAlias.name,
      description: `Terraform state of service ${slug}`,
      bucketPolicy: (bucketArn) => serviceStateBucketStatements(ci, bucketArn),
    });

    const plan = new PolicyRole(this, "ci-plan", {
      roleName: names.ciPlanRole.name,
      path: IAM_PATHS.ci,
      trust: ciTrustStatements(ci, "plan"),
      statements: ciRoleStatements(ci, "plan"),
    });
    const apply = new PolicyRole(this, "ci-apply", {
      roleName: names.ciApplyRole.name,
      path: IAM_PATHS.ci,
      trust: ciTrustStatements(ci, "apply"),
      statements: ciRoleStatements(ci, "apply"),
    });
    const arns = ciRoleArns(ci);

    for (const tenant of tenants) {
      const stageAccount = new AccountProvider(this, `${tenant.stage}-platform-account`, {
        alias: `stage_${tenant.stage.replace(/-/g, "_")}`,
        region: config.region,
        partition: this.partition,
        accountId: tenant.accountId,
        roleName: config.platformRoleName,
      });
      const roles = new TenantRoles(this, `${tenant.stage}-roles`, {
        tenant,
        provider: stageAccount.provider,
        ciApplyRoleArn: arns.apply,
        ciPlanRoleArn: arns.plan,
        ciRoles: [plan.role, apply.role],
        runTrust: serviceRunTrust(config, this.partition, service, tenant),
      });
      // The service's network identity in the stage, made here so that its deploy role never makes one.
      const stageNames = serviceStageNames(slug, tenant.stage);
      const contract = new ContractReader(this, `${tenant.stage}-contract`, { stage: tenant.stage, provider: stageAccount.provider });
      new TenantNetwork(this, `${tenant.stage}-network`, {
        provider: stageAccount.provider,
        label: `${slug} ${tenant.stage}`,
        vpcId: contract.value("vpcId"),
        privateSubnetIds: contract.list("privateSubnetIds"),
        serviceSecurityGroupName: stageNames.serviceSecurityGroup.name,
        databaseSecurityGroupName: stageNames.databaseSecurityGroup.name,
        vpcConnectorName: service.compute === "appRunner" ? stageNames.vpcConnector.name : undefined,
        parameterPrefix: stageNames.parameterPrefix.name,
      });
      const stageKey = tenant.stage.replace(/-/g, "_");
      new TerraformOutput(this, `${stageKey}_deploy_role_arn`, {
        value: roles.deploy.role.arn,
        description: `The role ${slug}'s apply pipeline assumes in ${tenant.stage}.`,
      });
    }

    new TerraformOutput(this, "state_bucket", { value: store.bucket.name, description: "The bucket that holds the service's own Terraform state." });
    new TerraformOutput(this, "ci_plan_role_arn", { value: plan.role.arn, description: "The role the service's merge-request pipelines assume to plan (read-only)." });
    new TerraformOutput(this, "ci_apply_role_arn", { value: apply.role.arn, description: "The role the service's protected-branch pipelines assume to apply." });
    // Fixed by the config, so `npm run service-context -- <slug>` writes the same without state.
    new LiteralOutput(this, "service_context", {
      value: sortedKeys(serviceContextOf(config, service)),
      description: `What the service's repository needs of its onboarding (organisation, region, each stage's account, zone and roles, its CI roles and state store): terraform output -json service_context > ${SERVICE_CONTEXT_FILE} in the service's repository.`,
    });
  }
}

/**
 * In HCP Terraform, the service stack's workspace runs its plans as the read role and its applies as
 * the deploy role, directly: the trust of each accepts that one phase of that one workspace.
 */
function serviceRunTrust(config: PlatformConfig, partition: string, service: ServiceConfig, tenant: TenantScope) {
  const backend = config.backend;
  if (backend.kind !== "cloud" || !service.web) return undefined;
  const scope = { partition, accountId: tenant.accountId, hostname: backend.hostname, organization: backend.organization, project: backend.project };
  const workspace = stackNames.service(service.slug, tenant.stage);
  return { deploy: tfcRunTrust(scope, workspace, "apply"), read: tfcRunTrust(scope, workspace, "plan") };
}
