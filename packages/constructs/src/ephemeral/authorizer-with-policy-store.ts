import * as fs from "fs";
import * as path from "path";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CognitoUserPool } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { VerifiedpermissionsIdentitySource } from "@cdktf/provider-aws/lib/verifiedpermissions-identity-source";
import { VerifiedpermissionsPolicy } from "@cdktf/provider-aws/lib/verifiedpermissions-policy";
import { VerifiedpermissionsPolicyStore } from "@cdktf/provider-aws/lib/verifiedpermissions-policy-store";
import { VerifiedpermissionsSchema } from "@cdktf/provider-aws/lib/verifiedpermissions-schema";
import { Password } from "@cdktf/provider-random/lib/password";
import { skipCheck } from "../checks";
import { Problems, ValidationError } from "../errors";
import { IAM_PATHS, ephemeralStageNames, ephemeralStageNamesToCheck, limitProblem, overLimit } from "../naming";
import { policyJson } from "../policy/document";
import { serviceAssumesRole } from "../policy/statements";

/** One stage of the authorizer. */
export interface AuthorizerWithPolicyStoreProps {
  /** Prefix of every name: the stage (an expression such as `${terraform.workspace}` in a template). */
  readonly namePrefix: string;
  /** The Region of the stage; an SES identity must be in it. */
  readonly region: string;
  /** The stage's account: the Lambda role trusts Lambda for it only; an SES identity must be in it. */
  readonly accountId: string;
  /** Folder with `schema.cedarschema.json` and one `.cedar` file per policy. */
  readonly policyDir: string;
  /** The Lambda package (see authorizerPackage()). */
  readonly lambdaPackage: {
    /** The zip's path, relative to the stack's folder (`${path.module}/authorizer.zip`). */
    readonly filename: string;
    /** The zip's base64 SHA-256, Lambda's `source_code_hash`. */
    readonly sha256: string;
  };
  /** A Cognito user pool, app client and identity source. @default true */
  readonly cognito?: boolean;
  /** An existing SES identity for Cognito's mail, in `region` and `accountId`. @default none: Cognito's own mail */
  readonly ses?: {
    /** The SES identity's ARN. */
    readonly identityArn: string;
    /** The sender address, of that identity. */
    readonly fromAddress: string;
  };
  /** The Lambda's reserved concurrency. @default 1 (an ephemeral stack serves its PR's tests, not traffic) */
  readonly reservedConcurrency?: number;
  /** Days the authorizer's logs are kept. @default 7 */
  readonly logRetentionDays?: number;
  /** Point-in-time recovery of the table. @default false: an ephemeral table is destroyed with its stage */
  readonly pointInTimeRecovery?: boolean;
  /** DynamoDB streams on the table. @default false: nothing consumes them */
  readonly streams?: boolean;
  /** The permissions boundary of the authorizer's role (the provisioner may only create it under one). @default none: the role has no boundary */
  readonly permissionsBoundary?: string;
}

/** The problems of an SES identity in another region or account than the pool: Cognito cannot send through it. */
export function sesIdentityProblems(identityArn: string, region: string, accountId: string): string[] {
  const [, , , sesRegion, sesAccount] = identityArn.split(":");
  const problems: string[] = [];
  if (sesRegion !== region) problems.push(`ses.identityArn must be in the user pool's region ${region}, got ${JSON.stringify(identityArn)} in ${sesRegion}`);
  if (sesAccount !== accountId) problems.push(`ses.identityArn must be in the user pool's account ${accountId}, got ${JSON.stringify(identityArn)} in ${sesAccount}`);
  return problems;
}

/** Throws a ValidationError when the SES identity is in another region or account than the pool. */
export function checkSesIdentity(identityArn: string, region: string, accountId: string): void {
  const problems = sesIdentityProblems(identityArn, region, accountId);
  if (problems.length > 0) throw new ValidationError(problems);
}

/**
 * The authorizer of an ephemeral stage: a Verified Permissions policy store with STRICT validation and the
 * repository's schema and policies, a Lambda authorizer, an optional Cognito identity source, a
 * DynamoDB table and a generated JWT secret. Defaults are an ephemeral stack's: cheap while idle,
 * nothing retained on destroy.
 */
export class AuthorizerWithPolicyStore extends Construct {
  public readonly policyStore: VerifiedpermissionsPolicyStore;
  public readonly authorizer: LambdaFunction;
  public readonly table: DynamodbTable;
  public readonly userPool?: CognitoUserPool;
  public readonly userPoolClient?: CognitoUserPoolClient;

  constructor(scope: Construct, id: string, props: AuthorizerWithPolicyStoreProps) {
    super(scope, id);
    const cognito = props.cognito ?? true;
    const p = props.namePrefix;
    const names = ephemeralStageNames(p);
    const problems = new Problems();
    if (props.ses) problems.addAll(sesIdentityProblems(props.ses.identityArn, props.region, props.accountId));
    problems.addAll(overLimit(ephemeralStageNamesToCheck(p)).map((n) => `namePrefix makes ${limitProblem(n)}`));
    problems.throwIfAny(this);

    this.policyStore = new VerifiedpermissionsPolicyStore(this, "policy-store", {
      description: `${p} authorizer`,
      validationSettings: [{ mode: "STRICT" }],
    });
    const schema = new VerifiedpermissionsSchema(this, "schema", {
      policyStoreId: this.policyStore.policyStoreId,
      definition: [{ value: JSON.stringify(JSON.parse(fs.readFileSync(path.join(props.policyDir, "schema.cedarschema.json"), "utf8"))) }],
    });
    for (const file of fs.readdirSync(props.policyDir).filter((f) => f.endsWith(".cedar")).sort()) {
      new VerifiedpermissionsPolicy(this, `policy-${path.basename(file, ".cedar")}`, {
        policyStoreId: this.policyStore.policyStoreId,
        definition: [{ static: [{ statement: fs.readFileSync(path.join(props.policyDir, file), "utf8"), description: file }] }],
        // STRICT validation checks policies against the schema, so the schema goes first.
        dependsOn: [schema],
      });
    }

    this.table = new DynamodbTable(this, "table", {
      name: names.table.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      attribute: [{ name: "pk", type: "S" }],
      streamEnabled: props.streams ?? false,
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery ?? false },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: false,
    });
    skipCheck(this.table, "CKV_AWS_28", "an ephemeral table is destroyed with its stage; point-in-time recovery would only add cost");
    skipCheck(this.table, "CKV_AWS_119", "encrypted with the AWS-managed DynamoDB key; a customer key per short-lived stage would outlive it");

    // The secret's value is in state (as every generated secret is), marked sensitive by the provider,
    // and never an output.
    const jwtSecret = new Password(this, "jwt-secret-value", { length: 64, special: false });
    const secret = new SecretsmanagerSecret(this, "jwt-secret", {
      name: names.jwtSecret.name,
      recoveryWindowInDays: 0,
      description: `${p}: HS256 signing secret of the authorizer`,
    });
    skipCheck(secret, "CKV_AWS_149", "AWS-managed key: a customer key per short-lived stage would outlive the stage");
    skipCheck(secret, "CKV2_AWS_57", "the secret signs test tokens of one short-lived stage; it is regenerated with the stage");
    new SecretsmanagerSecretVersion(this, "jwt-secret-version", { secretId: secret.id, secretString: jwtSecret.result });

    let identity: Record<string, string> = {};
    if (cognito) {
      this.userPool = new CognitoUserPool(this, "user-pool", {
        name: names.userPool.name,
        deletionProtection: "INACTIVE",
        passwordPolicy: { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
        emailConfiguration: props.ses
          ? { emailSendingAccount: "DEVELOPER", sourceArn: props.ses.identityArn, fromEmailAddress: props.ses.fromAddress }
          : undefined,
      });
      this.userPoolClient = new CognitoUserPoolClient(this, "user-pool-client", {
        name: names.userPoolClient.name,
        userPoolId: this.userPool.id,
        generateSecret: false,
        explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
      });
      new VerifiedpermissionsIdentitySource(this, "identity-source", {
        policyStoreId: this.policyStore.policyStoreId,
        principalEntityType: "App::User",
        configuration: [{ cognitoUserPoolConfiguration: [{ userPoolArn: this.userPool.arn, clientIds: [this.userPoolClient.id] }] }],
      });
      identity = { USER_POOL_ID: this.userPool.id, CLIENT_ID: this.userPoolClient.id };
    }

    const logs = new CloudwatchLogGroup(this, "logs", { name: names.logGroup.name, retentionInDays: props.logRetentionDays ?? 7 });
    skipCheck(logs, "CKV_AWS_338", "an ephemeral stage's logs are kept a week, not a year");
    skipCheck(logs, "CKV_AWS_158", "AWS-managed encryption: a customer key per short-lived stage would outlive it");
    const role = new IamRole(this, "role", {
      name: names.role.name,
      path: IAM_PATHS.ephemeralAuthorizer,
      permissionsBoundary: props.permissionsBoundary,
      assumeRolePolicy: policyJson([serviceAssumesRole("lambda.amazonaws.com", props.accountId)]),
    });
    new IamRolePolicy(this, "role-policy", {
      role: role.id,
      name: "authorize",
      policy: policyJson([
        { Sid: "AskThisPolicyStore", Effect: "Allow", Action: ["verifiedpermissions:IsAuthorized", "verifiedpermissions:IsAuthorizedWithToken"], Resource: this.policyStore.arn },
        { Sid: "ReadTheSigningSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret.arn },
        { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logs.arn}:*` },
      ]),
    });
    this.authorizer = new LambdaFunction(this, "authorizer", {
      functionName: names.function.name,
      role: role.arn,
      handler: "index.handler",
      runtime: "nodejs20.x",
      filename: props.lambdaPackage.filename,
      sourceCodeHash: props.lambdaPackage.sha256,
      memorySize: 256,
      timeout: 5,
      // No provisioned concurrency: an idle ephemeral stack costs nothing.
      reservedConcurrentExecutions: props.reservedConcurrency ?? 1,
      environment: {
        variables: {
          POLICY_STORE_ID: this.policyStore.policyStoreId,
          JWT_SECRET_ARN: secret.arn,
          JWT_ISSUER: `https://${p}.authorizer`,
          JWT_AUDIENCE: p,
          ...identity,
        },
      },
      loggingConfig: { logFormat: "JSON", logGroup: logs.name },
      dependsOn: [logs],
    });
    for (const [check, reason] of [
      ["CKV_AWS_50", "X-Ray tracing of a short-lived test stack is not worth its cost"],
      ["CKV_AWS_116", "an API Gateway authorizer is called synchronously; a dead-letter queue would never receive anything"],
      ["CKV_AWS_117", "the authorizer calls only AWS APIs; a VPC would add a NAT gateway per stage"],
      ["CKV_AWS_173", "its environment holds identifiers, no secrets (the signing secret is read from Secrets Manager)"],
      ["CKV_AWS_272", "code signing needs a signing profile per account; the package is built from this repository in CI"],
    ] as const) {
      skipCheck(this.authorizer, check, reason);
    }
  }
}
