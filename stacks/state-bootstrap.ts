import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PlatformConfig } from "../src/config/schema";
import { deploymentAccountProvider } from "@acme/apps-platform-constructs/core";
import { PlatformStack } from "./platform-stack";
import { EncryptionKey } from "@acme/apps-platform-constructs/kms";
import { LockTable } from "@acme/apps-platform-constructs/state";
import { StateBucket } from "@acme/apps-platform-constructs/state";
import { IAM_PATHS, PLATFORM, stackNames, stateBootstrapNames } from "@acme/apps-platform-constructs/naming";
import { stateKeyPolicy } from "@acme/apps-platform-constructs/policy";
import { denyRolesUnderPaths } from "@acme/apps-platform-constructs/policy";
import { PolicyStatement } from "@acme/apps-platform-constructs/policy";
import { platformCiRoleArns, platformReadRoleArn } from "../src/policy/platform-ci";
import { ephemeralCiScope, ephemeralStateBucketStatements, ephemeralCiRoleArnList } from "../src/policy/ephemeral-ci";

/**
 * The platform's own state bucket, lock table and key, in the deployment account. It starts with a
 * local backend, since the bucket it would keep its state in does not exist yet; the README shows how
 * its state moves into the bucket once it does (`backend.stateBootstrapBackend: s3`).
 */
export class StateBootstrapStack extends PlatformStack {
  constructor(scope: Construct, config: PlatformConfig) {
    if (config.backend.kind !== "s3") throw new Error("The state-bootstrap stack only exists with the s3 backend.");
    const backend = config.backend;
    super(scope, stackNames.stateBootstrap(), {
      config,
      kind: "state-bootstrap",
      unit: PLATFORM,
      app: PLATFORM,
      localState: backend.stateBootstrapBackend === "local",
    });
    const account = config.deploymentAccount;
    deploymentAccountProvider(this, config, this.partition);

    const names = stateBootstrapNames(config.organisation);
    const key = new EncryptionKey(this, "state-key", {
      alias: backend.kmsKeyId.startsWith("alias/") ? backend.kmsKeyId : names.keyAlias,
      description: `Terraform state of ${PLATFORM}`,
      policy: stateKeyPolicy({ partition: this.partition, accountId: account.accountId, region: config.region }),
    });
    // No tenant role touches the platform's state, whatever its own policy says.
    const tenantPaths = [IAM_PATHS.ci, IAM_PATHS.deploy, IAM_PATHS.read, IAM_PATHS.execution, IAM_PATHS.ecrAccess, IAM_PATHS.infrastructure];
    const bucket = new StateBucket(this, "state-bucket", {
      bucketName: backend.bucket,
      kmsKeyArn: key.arn,
      // The platform's own CI roles and the authorizer's share the CI path with the services' and are
      // let through the Deny by ARN: the platform's plan and apply roles to the state, the account's
      // read role to the bucket's settings only (a plan of this stack refreshes them), never to an
      // object; the authorizer's CI roles to their own state objects only (the bucket binds them by ARN).
      policyStatements: (arn): PolicyStatement[] => {
        const platformCi = config.ciIdentity.platformRepository ? platformCiRoleArns(this.partition, account.accountId) : undefined;
        const read = platformCi ? platformReadRoleArn(this.partition, account.accountId) : undefined;
        const ephemeral = ephemeralCiScope(config, this.partition);
        const except = [...(platformCi && read ? [platformCi.plan, platformCi.apply, read] : []), ...(ephemeral ? ephemeralCiRoleArnList(ephemeral) : [])];
        return [
          denyRolesUnderPaths("NoTenantRoleTouchesPlatformState", arn, this.partition, tenantPaths, except),
          ...(read ? [{ Sid: "ThePlatformReadRoleTouchesNoObject", Effect: "Deny" as const, Principal: "*" as const, Action: "s3:*", Resource: `${arn}/*`, Condition: { ArnEquals: { "aws:PrincipalArn": read } } }] : []),
          ...(ephemeral ? ephemeralStateBucketStatements(ephemeral, arn) : []),
        ];
      },
    });
    const table = new LockTable(this, "lock-table", { tableName: backend.lockTable, kmsKeyArn: key.arn });

    new TerraformOutput(this, "state_bucket", { value: bucket.name, description: "The bucket every platform stack keeps its Terraform state in." });
    new TerraformOutput(this, "lock_table", { value: table.name, description: "The DynamoDB lock table of the platform's state." });
    new TerraformOutput(this, "state_key_arn", { value: key.arn, description: "The KMS key that encrypts the platform's state and lock table." });
  }
}
