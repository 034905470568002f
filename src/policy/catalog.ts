/**
 * The AWS actions a service's deploy role may use, grouped by how IAM can confine them to one tenant.
 * Every action here is checked against AWS's service authorization data by the policy linter
 * (test/iam/policy-lint.test.ts): it exists, and the condition keys its statement uses apply to it.
 */

/** Creating a resource, allowed only with the tenant's `app` and `platform` tags in the request. */
export const CREATE_ACTIONS = [
  "ecr:CreateRepository",
  "apprunner:CreateService",
  "apprunner:CreateAutoScalingConfiguration",
  "apprunner:CreateVpcConnector",
  "ecs:CreateService",
  "ecs:CreateExpressGatewayService",
  "rds:CreateDBCluster",
  "rds:CreateDBInstance",
  "rds:CreateDBSubnetGroup",
  "rds:CreateDBClusterParameterGroup",
  "rds:CreateDBClusterSnapshot",
  "secretsmanager:CreateSecret",
  "lambda:CreateFunction",
  "dynamodb:CreateTable",
  "cognito-idp:CreateUserPool",
  "verifiedpermissions:CreatePolicyStore",
  "ec2:CreateSecurityGroup",
  "acm:RequestCertificate",
] as const;

/**
 * Adding tags. Creating a tagged resource also authorises the tagging action (tag-on-create), so
 * these are allowed with the same request-tag conditions as creation, and on the tenant's own
 * resources; Deny statements stop them from relabelling anything as or away from a tenant.
 */
export const TAG_ACTIONS = [
  "ecr:TagResource",
  "apprunner:TagResource",
  "ecs:TagResource",
  "rds:AddTagsToResource",
  "secretsmanager:TagResource",
  "lambda:TagResource",
  "dynamodb:TagResource",
  "cognito-idp:TagResource",
  "verifiedpermissions:TagResource",
  "ec2:CreateTags",
  "acm:AddTagsToCertificate",
  "logs:TagResource",
] as const;

export const UNTAG_ACTIONS = [
  "ecr:UntagResource",
  "apprunner:UntagResource",
  "ecs:UntagResource",
  "rds:RemoveTagsFromResource",
  "secretsmanager:UntagResource",
  "lambda:UntagResource",
  "dynamodb:UntagResource",
  "cognito-idp:UntagResource",
  "verifiedpermissions:UntagResource",
  "ec2:DeleteTags",
  "acm:RemoveTagsFromCertificate",
  "logs:UntagResource",
] as const;

/** Reading a resource the tenant owns (`aws:ResourceTag/app`). The read role gets these only. */
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
  "ecs:DescribeTasks",
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
  "lambda:GetFunction",
  "lambda:GetFunctionConfiguration",
  "lambda:GetFunctionConcurrency",
  "lambda:GetFunctionCodeSigningConfig",
  "lambda:GetPolicy",
  "lambda:ListVersionsByFunction",
  "lambda:ListAliases",
  "lambda:ListTags",
  "dynamodb:DescribeTable",
  "dynamodb:DescribeContinuousBackups",
  "dynamodb:DescribeTimeToLive",
  "dynamodb:ListTagsOfResource",
  "cognito-idp:DescribeUserPool",
  "cognito-idp:DescribeUserPoolClient",
  "cognito-idp:GetUserPoolMfaConfig",
  "cognito-idp:ListUserPoolClients",
  "cognito-idp:ListTagsForResource",
  "verifiedpermissions:GetPolicyStore",
  "verifiedpermissions:GetSchema",
  "verifiedpermissions:GetPolicy",
  "verifiedpermissions:GetIdentitySource",
  "verifiedpermissions:ListPolicies",
  "verifiedpermissions:ListIdentitySources",
  "verifiedpermissions:ListTagsForResource",
  "acm:DescribeCertificate",
  "acm:ListTagsForCertificate",
] as const;

/** Changing or deleting a resource the tenant owns (`aws:ResourceTag/app`). */
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
  "apprunner:UpdateService",
  "apprunner:DeleteService",
  "apprunner:StartDeployment",
  "apprunner:PauseService",
  "apprunner:ResumeService",
  "apprunner:AssociateCustomDomain",
  "apprunner:DisassociateCustomDomain",
  "apprunner:DeleteAutoScalingConfiguration",
  "apprunner:DeleteVpcConnector",
  "ecs:UpdateService",
  "ecs:DeleteService",
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
  "secretsmanager:RotateSecret",
  "secretsmanager:CancelRotateSecret",
  "lambda:UpdateFunctionCode",
  "lambda:UpdateFunctionConfiguration",
  "lambda:DeleteFunction",
  "lambda:PublishVersion",
  "lambda:PutFunctionConcurrency",
  "lambda:DeleteFunctionConcurrency",
  "lambda:AddPermission",
  "lambda:RemovePermission",
  "lambda:CreateAlias",
  "lambda:UpdateAlias",
  "lambda:DeleteAlias",
  "lambda:InvokeFunction",
  "dynamodb:UpdateTable",
  "dynamodb:DeleteTable",
  "dynamodb:UpdateContinuousBackups",
  "dynamodb:UpdateTimeToLive",
  "cognito-idp:UpdateUserPool",
  "cognito-idp:DeleteUserPool",
  "cognito-idp:SetUserPoolMfaConfig",
  "cognito-idp:CreateUserPoolClient",
  "cognito-idp:UpdateUserPoolClient",
  "cognito-idp:DeleteUserPoolClient",
  "verifiedpermissions:UpdatePolicyStore",
  "verifiedpermissions:DeletePolicyStore",
  "verifiedpermissions:PutSchema",
  "verifiedpermissions:CreatePolicy",
  "verifiedpermissions:UpdatePolicy",
  "verifiedpermissions:DeletePolicy",
  "verifiedpermissions:CreateIdentitySource",
  "verifiedpermissions:UpdateIdentitySource",
  "verifiedpermissions:DeleteIdentitySource",
  "ec2:AuthorizeSecurityGroupIngress",
  "ec2:AuthorizeSecurityGroupEgress",
  "ec2:RevokeSecurityGroupIngress",
  "ec2:RevokeSecurityGroupEgress",
  "ec2:ModifySecurityGroupRules",
  "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
  "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
  "ec2:DeleteSecurityGroup",
  "acm:DeleteCertificate",
] as const;

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
  "lambda:ListFunctions",
  "dynamodb:ListTables",
  "cognito-idp:ListUserPools",
  "verifiedpermissions:ListPolicyStores",
  "acm:ListCertificates",
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

/** Log groups take no tag conditions on most actions, so they are confined by name prefix. */
export const LOG_GROUP_ACTIONS = [
  "logs:CreateLogGroup",
  "logs:DeleteLogGroup",
  "logs:PutRetentionPolicy",
  "logs:DeleteRetentionPolicy",
  "logs:AssociateKmsKey",
  "logs:DisassociateKmsKey",
  "logs:DescribeLogStreams",
  "logs:ListTagsForResource",
] as const;

export const LOG_STREAM_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/** Services the deploy role may pass its tenant's roles to. */
export const PASS_ROLE_SERVICES = [
  "apprunner.amazonaws.com",
  "ecs-tasks.amazonaws.com",
  "ecs.amazonaws.com",
  "lambda.amazonaws.com",
] as const;

/** Services through which the deploy role may use the stage's platform key. */
export const KEY_VIA_SERVICES = ["secretsmanager", "rds", "ecr", "logs", "lambda", "dynamodb"] as const;

/** Tag keys a tenant may set; anything else in a create request is refused. */
export const ALLOWED_TAG_KEYS = [
  "platform",
  "app",
  "env",
  "managedBy",
  "Name",
  "tier",
  "Project",
  "Stage",
  "Account",
  "Repo",
  "Owner",
  "TTL",
] as const;

/** DNS record types a tenant may write under its names. NS and SOA would let it delegate or break the zone. */
export const ALLOWED_RECORD_TYPES = ["A", "AAAA", "CNAME", "TXT", "CAA"] as const;
