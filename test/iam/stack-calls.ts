import { TfJson } from "../helpers";

/**
 * What a service stack's resources cost in IAM: for every resource the stack declares, the calls
 * Terraform makes to create, refresh and change it, with the ARN of every resource type each call
 * authorizes, built from the resource's own attributes (not from the policy builder), and the tags
 * the resource carries. Every call must be allowed to the service's own deploy role (and the reads to
 * its read role) and denied to every other service's.
 */
export interface Call {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** A read that the read role needs for merge-request plans. */
  readonly read?: boolean;
  /** Shared by every service of the stage by design (the zone, the platform key): not a cross-service case. */
  readonly shared?: boolean;
}

export interface Scope {
  readonly region: string;
  readonly account: string;
  readonly slug: string;
  readonly stage: string;
  readonly zoneName: string;
  readonly json: TfJson;
}


const ID = "0a1b2c3d4e5f6a7b";

/** The literal a reference in the stack points at: `${aws_x.y.name}` → that resource's name. */
function resolve(s: Scope, value: unknown, attribute: "name" | "identifier" = "name"): string {
  if (typeof value !== "string") throw new Error(`not a string: ${JSON.stringify(value)}`);
  const ref = /^\$\{([a-z0-9_]+)\.([^.}]+)\.(name|id|arn|cluster_identifier)\}$/.exec(value);
  if (!ref) return value;
  const target = s.json.resource?.[ref[1]]?.[ref[2]] as Record<string, any> | undefined;
  if (!target) throw new Error(`unresolved reference ${value}`);
  return target[attribute] ?? target.name ?? target.cluster_identifier;
}

const arn = (s: Scope, service: string, resource: string) => `arn:aws:${service}:${s.region}:${s.account}:${resource}`;

function createTags(resource: Record<string, any>): Record<string, string | string[]> {
  const tags: Record<string, string> = resource.tags ?? {};
  return { "aws:TagKeys": Object.keys(tags), ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])) };
}

function platformKey(s: Scope, via: string): Call {
  return {
    action: "kms:CreateGrant",
    resource: arn(s, "kms", `key/${ID}`),
    // The service creates the grant for the resource it encrypts, so AWS sets kms:GrantIsForAWSResource.
    context: { "kms:ResourceAliases": [`alias/apps-platform/${s.stage}/platform`], "kms:ViaService": `${via}.${s.region}.amazonaws.com`, "kms:GrantIsForAWSResource": "true" },
    shared: true,
  };
}

function roleArn(s: Scope, path: string, suffix: string): string {
  return `arn:aws:iam::${s.account}:role/apps-platform/${path}/${s.slug}-${s.stage}-${suffix}`;
}

/** The calls for one resource of a service stack. */
export function callsFor(s: Scope, type: string, r: Record<string, any>): Call[] {
  const tags = createTags(r);
  switch (type) {
    case "aws_ecr_repository": {
      const repo = arn(s, "ecr", `repository/${r.name}`);
      return [
        { action: "ecr:CreateRepository", resource: repo, context: tags },
        { action: "ecr:TagResource", resource: repo, context: tags },
        { action: "ecr:DescribeRepositories", resource: repo, read: true },
        { action: "ecr:ListTagsForResource", resource: repo, read: true },
        { action: "ecr:DeleteRepository", resource: repo },
        platformKey(s, "ecr"),
      ];
    }
    case "aws_ecr_lifecycle_policy": {
      const repo = arn(s, "ecr", `repository/${resolve(s, r.repository)}`);
      return [
        { action: "ecr:PutLifecyclePolicy", resource: repo },
        { action: "ecr:GetLifecyclePolicy", resource: repo, read: true },
      ];
    }
    case "aws_db_subnet_group": {
      const group = arn(s, "rds", `subgrp:${r.name}`);
      return [
        { action: "rds:CreateDBSubnetGroup", resource: group, context: tags },
        { action: "rds:AddTagsToResource", resource: group, context: tags },
        { action: "rds:DescribeDBSubnetGroups", resource: group, read: true },
        { action: "rds:DeleteDBSubnetGroup", resource: group },
      ];
    }
    case "aws_rds_cluster_parameter_group": {
      const group = arn(s, "rds", `cluster-pg:${r.name}`);
      return [
        { action: "rds:CreateDBClusterParameterGroup", resource: group, context: tags },
        { action: "rds:ModifyDBClusterParameterGroup", resource: group },
        { action: "rds:DescribeDBClusterParameters", resource: group, read: true },
        { action: "rds:DeleteDBClusterParameterGroup", resource: group },
      ];
    }
    case "aws_rds_cluster": {
      const cluster = arn(s, "rds", `cluster:${r.cluster_identifier}`);
      const parents = [arn(s, "rds", `cluster-pg:${resolve(s, r.db_cluster_parameter_group_name)}`), arn(s, "rds", `subgrp:${resolve(s, r.db_subnet_group_name)}`), arn(s, "rds", "og:default:aurora-postgresql-16")];
      const calls: Call[] = [cluster, ...parents].map((resource) => ({ action: "rds:CreateDBCluster", resource, context: tags }));
      calls.push({ action: "rds:DescribeDBClusters", resource: cluster, read: true }, { action: "rds:ModifyDBCluster", resource: cluster }, platformKey(s, "rds"));
      if (r.final_snapshot_identifier) {
        const snapshot = arn(s, "rds", `cluster-snapshot:${r.final_snapshot_identifier}`);
        calls.push({ action: "rds:DeleteDBCluster", resource: snapshot }, { action: "rds:CreateDBClusterSnapshot", resource: snapshot, context: tags }, { action: "rds:CreateDBClusterSnapshot", resource: cluster, context: tags });
      }
      calls.push({ action: "rds:DeleteDBCluster", resource: cluster });
      return calls;
    }
    case "aws_rds_cluster_instance": {
      const db = arn(s, "rds", `db:${r.identifier}`);
      const cluster = arn(s, "rds", `cluster:${resolve(s, r.cluster_identifier, "identifier")}`);
      return [
        ...[db, cluster, arn(s, "rds", "pg:default.aurora-postgresql16")].map((resource) => ({ action: "rds:CreateDBInstance", resource, context: tags })),
        { action: "rds:DescribeDBInstances", resource: db, read: true },
        { action: "rds:DeleteDBInstance", resource: db },
      ];
    }
    case "aws_apprunner_auto_scaling_configuration_version": {
      const config = arn(s, "apprunner", `autoscalingconfiguration/${r.auto_scaling_configuration_name}/1/${ID}`);
      return [
        { action: "apprunner:CreateAutoScalingConfiguration", resource: config, context: tags },
        { action: "apprunner:DescribeAutoScalingConfiguration", resource: config, read: true },
        { action: "apprunner:DeleteAutoScalingConfiguration", resource: config },
      ];
    }
    case "aws_apprunner_service": {
      const service = arn(s, "apprunner", `service/${r.service_name}/${ID}`);
      const egress = r.network_configuration?.egress_configuration ?? {};
      // The connector is read from the contract; onboarding names it after the service.
      const references: Record<string, string> = { "apprunner:AutoScalingConfigurationArn": arn(s, "apprunner", `autoscalingconfiguration/${r.service_name}/1/${ID}`) };
      if (egress.egress_type === "VPC") references["apprunner:VpcConnectorArn"] = arn(s, "apprunner", `vpcconnector/${s.slug}-${s.stage}/1/${ID}`);
      return [
        { action: "apprunner:CreateService", resource: service, context: { ...tags, ...references } },
        { action: "apprunner:TagResource", resource: service, context: tags },
        { action: "apprunner:UpdateService", resource: service, context: references },
        { action: "apprunner:DescribeService", resource: service, read: true },
        { action: "apprunner:ListTagsForResource", resource: service, read: true },
        { action: "apprunner:DeleteService", resource: service },
        { action: "iam:PassRole", resource: roleArn(s, "execution", "exec"), context: { "iam:PassedToService": "apprunner.amazonaws.com" } },
        { action: "iam:PassRole", resource: roleArn(s, "ecr-access", "ecr"), context: { "iam:PassedToService": "apprunner.amazonaws.com" } },
        { action: "iam:GetRole", resource: roleArn(s, "execution", "exec"), read: true },
        platformKey(s, "apprunner"),
      ];
    }
    case "aws_apprunner_custom_domain_association": {
      const service = arn(s, "apprunner", `service/${s.slug}-${s.stage}/${ID}`);
      return [
        { action: "apprunner:AssociateCustomDomain", resource: service },
        { action: "apprunner:DescribeCustomDomains", resource: service, read: true },
        { action: "apprunner:DisassociateCustomDomain", resource: service },
      ];
    }
    case "aws_ecs_express_gateway_service": {
      const service = arn(s, "ecs", `service/${r.cluster}/${r.service_name}`);
      return [
        { action: "ecs:CreateExpressGatewayService", resource: service, context: tags },
        { action: "ecs:TagResource", resource: service, context: tags },
        { action: "ecs:DescribeExpressGatewayService", resource: service, read: true },
        { action: "ecs:UpdateExpressGatewayService", resource: service },
        { action: "ecs:DeleteExpressGatewayService", resource: service },
        { action: "iam:PassRole", resource: roleArn(s, "execution", "exec"), context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        { action: "iam:PassRole", resource: roleArn(s, "infrastructure", "infra"), context: { "iam:PassedToService": "ecs.amazonaws.com" } },
      ];
    }
    case "aws_cloudwatch_log_group": {
      const group = arn(s, "logs", `log-group:${r.name}`);
      return [
        { action: "logs:CreateLogGroup", resource: group, context: tags },
        { action: "logs:TagResource", resource: group, context: tags },
        { action: "logs:PutRetentionPolicy", resource: group },
        { action: "logs:AssociateKmsKey", resource: group },
        { action: "logs:ListTagsForResource", resource: group, read: true },
        { action: "logs:DeleteLogGroup", resource: group },
        platformKey(s, "logs"),
      ];
    }
    case "aws_secretsmanager_secret": {
      const secret = arn(s, "secretsmanager", `secret:${r.name}-AbCdEf`);
      return [
        { action: "secretsmanager:CreateSecret", resource: secret, context: tags },
        { action: "secretsmanager:TagResource", resource: secret, context: tags },
        { action: "secretsmanager:DescribeSecret", resource: secret, read: true },
        { action: "secretsmanager:GetResourcePolicy", resource: secret, read: true },
        { action: "secretsmanager:DeleteSecret", resource: secret },
        platformKey(s, "secretsmanager"),
      ];
    }
    case "aws_secretsmanager_secret_version": {
      const secret = arn(s, "secretsmanager", `secret:${resolve(s, r.secret_id)}-AbCdEf`);
      return [
        { action: "secretsmanager:PutSecretValue", resource: secret },
        // Terraform reads the version back to refresh it; the value itself is write-only.
        { action: "secretsmanager:GetSecretValue", resource: secret },
        { action: "secretsmanager:ListSecretVersionIds", resource: secret, read: true },
      ];
    }
    case "aws_route53_record": {
      const zone = "arn:aws:route53:::hostedzone/Z0STAGE";
      // Validation record names are only known after apply; they are `_<token>.` in front of a served name.
      const name = typeof r.name === "string" && !r.name.includes("${") ? r.name : `_3f2a.${s.slug}.${s.zoneName}`;
      const recordType = typeof r.type === "string" && !r.type.includes("${") ? r.type : "CNAME";
      return [
        {
          action: "route53:ChangeResourceRecordSets",
          resource: zone,
          context: {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [name],
            "route53:ChangeResourceRecordSetsRecordTypes": [recordType],
            "route53:ChangeResourceRecordSetsActions": ["CREATE"],
          },
        },
        { action: "route53:ListResourceRecordSets", resource: zone, read: true, shared: true },
      ];
    }
    case "terraform_data":
      return [];
    default:
      throw new Error(`no IAM mapping for ${type}: add it to callsFor so its permissions are proven`);
  }
}
