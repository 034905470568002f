import { PlatformConfig } from "../../src/config/schema";
import { onboardedStages } from "../../src/policy/ci";
import { exampleConfig, synthPlatform } from "../helpers";
import { resourceArnFor } from "./isolation-matrix";
import { Request, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { SynthesizedRole, rolesOf } from "./synthesized-policies";

/** How the deploy role's work on one resource looks to IAM. */
interface Call {
  readonly action: string;
  /** create: the request carries the resource's tags; manage: the resource carries them. */
  readonly kind: "create" | "manage" | "pass-role" | "dns" | "log-group";
  readonly passRole?: "execution" | "ecrAccess" | "infrastructure";
  readonly service?: string;
}

const CALLS: Record<string, Call[]> = {
  aws_ecr_repository: [{ action: "ecr:CreateRepository", kind: "create" }],
  aws_ecr_lifecycle_policy: [{ action: "ecr:PutLifecyclePolicy", kind: "manage" }],
  aws_security_group: [{ action: "ec2:CreateSecurityGroup", kind: "create" }],
  aws_vpc_security_group_ingress_rule: [{ action: "ec2:AuthorizeSecurityGroupIngress", kind: "manage" }],
  aws_vpc_security_group_egress_rule: [{ action: "ec2:AuthorizeSecurityGroupEgress", kind: "manage" }],
  aws_db_subnet_group: [{ action: "rds:CreateDBSubnetGroup", kind: "create" }],
  aws_rds_cluster_parameter_group: [{ action: "rds:CreateDBClusterParameterGroup", kind: "create" }],
  aws_rds_cluster: [{ action: "rds:CreateDBCluster", kind: "create" }],
  aws_rds_cluster_instance: [{ action: "rds:CreateDBInstance", kind: "create" }],
  aws_apprunner_auto_scaling_configuration_version: [{ action: "apprunner:CreateAutoScalingConfiguration", kind: "create" }],
  aws_apprunner_vpc_connector: [{ action: "apprunner:CreateVpcConnector", kind: "create" }],
  aws_apprunner_service: [
    { action: "apprunner:CreateService", kind: "create" },
    { action: "iam:PassRole", kind: "pass-role", passRole: "execution", service: "apprunner.amazonaws.com" },
    { action: "iam:PassRole", kind: "pass-role", passRole: "ecrAccess", service: "apprunner.amazonaws.com" },
  ],
  aws_apprunner_custom_domain_association: [{ action: "apprunner:AssociateCustomDomain", kind: "manage" }],
  aws_ecs_express_gateway_service: [
    { action: "ecs:CreateExpressGatewayService", kind: "create" },
    { action: "iam:PassRole", kind: "pass-role", passRole: "execution", service: "ecs-tasks.amazonaws.com" },
    { action: "iam:PassRole", kind: "pass-role", passRole: "infrastructure", service: "ecs.amazonaws.com" },
  ],
  aws_cloudwatch_log_group: [{ action: "logs:CreateLogGroup", kind: "log-group" }],
  aws_acm_certificate: [{ action: "acm:RequestCertificate", kind: "create" }],
  aws_acm_certificate_validation: [{ action: "acm:DescribeCertificate", kind: "manage" }],
  aws_route53_record: [{ action: "route53:ChangeResourceRecordSets", kind: "dns" }],
  // Terraform's own resource: no AWS call.
  terraform_data: [],
};

function deployRole(json: ReturnType<typeof synthPlatform>["json"], slug: string, stage: string): SynthesizedRole {
  return rolesOf(`onboarding-${slug}`, json.get(`onboarding-${slug}`)!).find((r) => r.name === `${slug}-${stage}-deploy`)!;
}

function roleArn(config: PlatformConfig, kind: string, slug: string, stage: string): string {
  const path = { execution: "execution", ecrAccess: "ecr-access", infrastructure: "infrastructure" }[kind];
  const suffix = { execution: "exec", ecrAccess: "ecr", infrastructure: "infra" }[kind];
  return `arn:aws:iam::${config.stages[stage].accountId}:role/apps-platform/${path}/${slug}-${stage}-${suffix}`;
}

async function requestsFor(config: PlatformConfig, owner: string, stage: string, type: string, resource: Record<string, any>): Promise<Omit<Request, "principal" | "identityPolicies">[]> {
  const account = config.stages[stage].accountId;
  const tags: Record<string, string> = resource.tags ?? {};
  const calls = CALLS[type];
  if (!calls) throw new Error(`no IAM mapping for ${type}: add it to CALLS so its permissions are proven`);
  const requests = [];
  for (const call of calls) {
    const base = { action: call.action, resourceAccount: account };
    const arn = () => resourceArnFor(call.action, { region: config.region, accountId: account, owner });
    if (call.kind === "create") {
      const context: Record<string, string | string[]> = { "aws:TagKeys": Object.keys(tags) };
      for (const [k, v] of Object.entries(tags)) if (k === "app" || k === "platform") context[`aws:RequestTag/${k}`] = v;
      requests.push({ ...base, resource: await arn(), context });
    } else if (call.kind === "manage") {
      requests.push({ ...base, resource: await arn(), context: { "aws:ResourceTag/app": owner } });
    } else if (call.kind === "pass-role") {
      requests.push({ ...base, resource: roleArn(config, call.passRole!, owner, stage), context: { "iam:PassedToService": call.service! } });
    } else if (call.kind === "log-group") {
      requests.push({ ...base, resource: `arn:aws:logs:${config.region}:${account}:log-group:${resource.name}` });
    } else {
      // Validation record names are only known after apply; they are `_<token>.` in front of a served name.
      const name = typeof resource.name === "string" && !resource.name.includes("${") ? resource.name : `_3f2a.${owner}.${config.stages[stage].zoneName}`;
      requests.push({
        ...base,
        resource: "arn:aws:route53:::hostedzone/Z0STAGE",
        context: {
          "route53:ChangeResourceRecordSetsNormalizedRecordNames": [name],
          "route53:ChangeResourceRecordSetsRecordTypes": [typeof resource.type === "string" && !resource.type.includes("${") ? resource.type : "CNAME"],
          "route53:ChangeResourceRecordSetsActions": ["CREATE"],
        },
      });
    }
  }
  return requests;
}

describe("service stacks and the deploy roles", () => {
  const config = exampleConfig();
  const { json } = synthPlatform(config);
  const serviceStacks = config.services.filter((s) => s.web).flatMap((s) => onboardedStages(config, s).map((stage) => ({ slug: s.slug, stage })));

  it("map every resource type they create to the IAM calls that create it", () => {
    const types = new Set(serviceStacks.flatMap(({ slug, stage }) => Object.keys(json.get(`service-${slug}-${stage}`)!.resource ?? {})));
    expect([...types].filter((t) => !(t in CALLS))).toEqual([]);
    expect(types.size).toBeGreaterThan(15);
  });

  it("let each service's deploy role create everything its stacks create, with the tags they put on it, and no other service's", async () => {
    await extendIamDataWithOidcClaims([]);
    const wrong: string[] = [];
    let checked = 0;
    for (const { slug, stage } of serviceStacks) {
      const own = deployRole(json, slug, stage);
      const others = config.services.filter((s) => s.slug !== slug && onboardedStages(config, s).includes(stage)).map((s) => deployRole(json, s.slug, stage));
      expect(others.length).toBeGreaterThan(0);
      for (const [type, resources] of Object.entries(json.get(`service-${slug}-${stage}`)!.resource ?? {})) {
        for (const [id, resource] of Object.entries(resources)) {
          for (const request of await requestsFor(config, slug, stage, type, resource as Record<string, any>)) {
            const asOwn = await evaluate({ ...request, principal: own.arn, identityPolicies: own.policies.map((p) => p.policy) });
            if (asOwn !== "Allowed") wrong.push(`${slug} ${stage} ${type}.${id}: ${request.action} is ${asOwn} for its own deploy role`);
            for (const other of others) {
              const asOther = await evaluate({ ...request, principal: other.arn, identityPolicies: other.policies.map((p) => p.policy) });
              if (asOther === "Allowed") wrong.push(`${slug} ${stage} ${type}.${id}: ${request.action} is allowed for ${other.name}`);
            }
            checked++;
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });
});
