/**
 * The AWS actions a service's roles may use, grouped by how IAM confines them to one tenant. Every
 * action here is checked against AWS's service authorization data by the policy linter
 * (test/iam/policy-lint.test.ts): it exists, and the condition keys its statement uses apply to it.
 *
 * Only what a service stack creates is here: ECR repositories, App Runner services and their scaling,
 * ECS Express services, Aurora clusters, Secrets Manager secrets, log groups and DNS records. Security
 * groups and App Runner VPC connectors are made by onboarding, not by the service (see
 * docs/isolation.md), so no EC2 write and no connector create is granted to a tenant.
 */

/**
 * Creating a resource. Allowed only on the tenant's own names (every resource type the action
 * authorizes, parents included) and with the tenant's `app` and `platform` tags in the request.
 */
export const CREATE_ACTIONS = [
  "ecr:CreateRepository",
  "apprunner:CreateAutoScalingConfiguration",
  "ecs:CreateExpressGatewayService",
  "rds:CreateDBCluster",
  "rds:CreateDBInstance",
  "rds:CreateDBSubnetGroup",
  "rds:CreateDBClusterParameterGroup",
  // A final snapshot of the service's own cluster when it is deleted.
  "rds:CreateDBClusterSnapshot",
  "secretsmanager:CreateSecret",
  "logs:CreateLogGroup",
] as const;

/**
 * App Runner services name their scaling configuration, VPC connector, connection and observability
 * configuration; their statements add `apprunner:*Arn` conditions, so these are kept apart.
 */
export const APP_RUNNER_CREATE_ACTIONS = ["apprunner:CreateService"] as const;
export const APP_RUNNER_UPDATE_ACTIONS = ["apprunner:UpdateService"] as const;

/**
 * Adding tags: tag-on-create of the actions above, and later changes of the tenant's own resources.
 * Confined to the tenant's own names, so an untagged resource of anyone else cannot be claimed.
 */
export const TAG_ACTIONS = [
  "ecr:TagResource",
  "apprunner:TagResource",
  "ecs:TagResource",
  "rds:AddTagsToResource",
  "secretsmanager:TagResource",
  "logs:TagResource",
] as const;

export const UNTAG_ACTIONS = [
  "ecr:UntagResource",
  "apprunner:UntagResource",
  "ecs:UntagResource",
  "rds:RemoveTagsFromResource",
  "secretsmanager:UntagResource",
  "logs:UntagResource",
] as const;

/** Reading a resource the tenant owns. The read role gets these only. */
export const READ_OWN_ACTIONS = [
  "ecr:DescribeRepositories",
  "ecr:DescribeImages",
  "ecr:ListImages",
  "ecr:BatchGetImage",
  "ecr:BatchCheckLayerAvailability",
  "ecr:GetDownloadUrlForLayer",
  "ecr:GetLifecyclePolicy",
  "ecr:GetRepositoryPolicy",
  "ecr:DescribeImageScanFindings",
  "ecr:ListTagsForResource",
  "apprunner:DescribeService",
  "apprunner:DescribeAutoScalingConfiguration",
  "apprunner:DescribeVpcConnector",
  "apprunner:DescribeCustomDomains",
  "apprunner:DescribeOperation",
  "apprunner:ListOperations",
  "apprunner:ListTagsForResource",
  "ecs:DescribeServices",
  "ecs:DescribeExpressGatewayService",
  "ecs:DescribeServiceDeployments",
  "ecs:DescribeServiceRevisions",
  "ecs:ListServiceDeployments",
  "ecs:ListTagsForResource",
  "rds:DescribeDBClusters",
  "rds:DescribeDBInstances",
  "rds:DescribeDBSubnetGroups",
  "rds:DescribeDBClusterParameterGroups",
  "rds:DescribeDBClusterParameters",
  "rds:DescribeDBClusterSnapshots",
  "rds:ListTagsForResource",
  "secretsmanager:DescribeSecret",
  "secretsmanager:GetResourcePolicy",
  "secretsmanager:ListSecretVersionIds",
  "logs:DescribeLogStreams",
  "logs:ListTagsForResource",
] as const;

/** Changing or deleting a resource the tenant owns. */
export const WRITE_OWN_ACTIONS = [
  "ecr:DeleteRepository",
  "ecr:PutLifecyclePolicy",
  "ecr:DeleteLifecyclePolicy",
  "ecr:PutImageScanningConfiguration",
  "ecr:PutImageTagMutability",
  "ecr:PutImage",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:BatchDeleteImage",
  "apprunner:DeleteService",
  "apprunner:StartDeployment",
  "apprunner:PauseService",
  "apprunner:ResumeService",
  "apprunner:AssociateCustomDomain",
  "apprunner:DisassociateCustomDomain",
  "apprunner:DeleteAutoScalingConfiguration",
  "ecs:UpdateExpressGatewayService",
  "ecs:DeleteExpressGatewayService",
  "rds:ModifyDBCluster",
  "rds:DeleteDBCluster",
  "rds:ModifyDBInstance",
  "rds:DeleteDBInstance",
  "rds:RebootDBInstance",
  "rds:ModifyDBSubnetGroup",
  "rds:DeleteDBSubnetGroup",
  "rds:ModifyDBClusterParameterGroup",
  "rds:DeleteDBClusterParameterGroup",
  "rds:DeleteDBClusterSnapshot",
  "rds:StartDBCluster",
  "rds:StopDBCluster",
  "secretsmanager:PutSecretValue",
  "secretsmanager:UpdateSecret",
  "secretsmanager:DeleteSecret",
  "secretsmanager:RestoreSecret",
  "logs:DeleteLogGroup",
  "logs:PutRetentionPolicy",
  "logs:DeleteRetentionPolicy",
  "logs:AssociateKmsKey",
  "logs:DisassociateKmsKey",
] as const;

/**
 * Reading back the value of a secret the deploy role wrote (Terraform refreshes the secret versions it
 * manages). The deploy role's own secrets only; the read role never gets it.
 */
export const READ_OWN_SECRET_VALUE_ACTIONS = ["secretsmanager:GetSecretValue"] as const;

export const LOG_STREAM_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/**
 * Reads that IAM cannot confine to a resource: these actions accept only `"Resource": "*"` and no
 * tag condition (AWS's service authorization reference lists them without resource types). Terraform
 * needs them to look things up and to refresh state; none of them changes anything or returns
 * secret material. The linter checks each one really is wildcard-only.
 */
export const UNSCOPED_READ_ACTIONS = [
  "ecr:GetAuthorizationToken", // a registry login token; pulls and pushes are still checked per repository
  "ecr:DescribeRegistry",
  "apprunner:ListServices",
  "apprunner:ListAutoScalingConfigurations",
  "apprunner:ListVpcConnectors",
  "ecs:ListServices",
  "ecs:ListClusters",
  "rds:DescribeDBEngineVersions",
  "rds:DescribeOrderableDBInstanceOptions",
  "secretsmanager:ListSecrets", // names and tags only, no values
  "secretsmanager:GetRandomPassword",
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeVpcs",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSecurityGroupRules",
  "ec2:DescribeNetworkInterfaces",
  "logs:DescribeLogGroups",
  "route53:ListHostedZones",
  "kms:ListAliases",
] as const;

/** Which services each of the tenant's runtime roles may be passed to. */
export const PASS_ROLE_SERVICES = {
  execution: ["apprunner.amazonaws.com", "ecs-tasks.amazonaws.com"],
  ecrAccess: ["apprunner.amazonaws.com"],
  infrastructure: ["ecs.amazonaws.com"],
} as const;

/** Services through which the deploy role may use the stage's platform key. */
export const KEY_VIA_SERVICES = ["secretsmanager", "rds", "ecr", "logs", "apprunner"] as const;

/** Tag keys a tenant may set; anything else in a create or tag request is refused. */
export const ALLOWED_TAG_KEYS = ["platform", "app", "env", "managedBy", "Name", "tier"] as const;

/** DNS record types a tenant may write under its names. NS and SOA would let it delegate or break the zone. */
export const ALLOWED_RECORD_TYPES = ["A", "AAAA", "CNAME", "TXT", "CAA"] as const;
