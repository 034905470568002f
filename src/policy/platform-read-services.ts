// Written by `npx ts-node --transpile-only --project tsconfig.test.json test/iam/platform-read-services.ts --write`
// from the resource types of the synthesized platform stacks; test/iam/platform-ci-services.test.ts
// fails when it is out of date. Do not edit by hand.

/** The read actions of a service, by prefix: `<service>:<prefix>*`. */
export type ReadPrefix = "Describe" | "Get" | "List";

export const PLATFORM_READ_SERVICES: Record<"deployment" | "stage", Record<string, readonly ReadPrefix[]>> = {
  deployment: {
    "dynamodb": ["Describe", "Get", "List"],
    "iam": ["Get", "List"],
    "kms": ["Describe", "Get", "List"],
    "s3": ["Describe", "Get", "List"],
  },
  stage: {
    "acm": ["Describe", "Get", "List"],
    "application-autoscaling": ["Describe", "Get", "List"],
    "apprunner": ["Describe", "List"],
    "cloudwatch": ["Describe", "Get", "List"],
    "cognito-idp": ["Describe", "Get", "List"],
    "dynamodb": ["Describe", "Get", "List"],
    "ec2": ["Describe", "Get", "List"],
    "ecr": ["Describe", "Get", "List"],
    "ecs": ["Describe", "Get", "List"],
    "elasticloadbalancing": ["Describe", "Get"],
    "iam": ["Get", "List"],
    "kms": ["Describe", "Get", "List"],
    "lambda": ["Get", "List"],
    "logs": ["Describe", "Get", "List"],
    "rds": ["Describe", "List"],
    "route53": ["Get", "List"],
    "s3": ["Describe", "Get", "List"],
    "secretsmanager": ["Describe", "Get", "List"],
    "sns": ["Get", "List"],
    "ssm": ["Describe", "Get", "List"],
    "verifiedpermissions": ["Get", "List"],
  },
};
