import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PlatformConfig } from "../src/config/schema";
import { deploymentAccountProvider } from "../src/constructs/core/account-provider";
import { PlatformStack } from "./platform-stack";
import { EncryptionKey } from "../src/constructs/kms/encryption-key";
import { LockTable } from "../src/constructs/state/lock-table";
import { StateBucket } from "../src/constructs/state/state-bucket";
import { IAM_PATHS, PLATFORM, stackNames, stateBootstrapNames } from "../src/naming";
import { stateKeyPolicy } from "../src/policy/key-policies";
import { denyRolesUnderPaths } from "../src/policy/statements";
import { ephemeralCiScope, ephemeralStateBucketStatements, exceptEphemeralCiRoles } from "../src/policy/ephemeral-ci";

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
      policyStatements: (arn) => {
        const deny = denyRolesUnderPaths("NoTenantRoleTouchesPlatformState", arn, this.partition, tenantPaths);
        // The authorizer's CI roles reach their own state objects only (the bucket binds them by ARN).
        const ephemeral = ephemeralCiScope(config, this.partition);
        return ephemeral ? [exceptEphemeralCiRoles(ephemeral, deny), ...ephemeralStateBucketStatements(ephemeral, arn)] : [deny];
      },
    });
    const table = new LockTable(this, "lock-table", { tableName: backend.lockTable, kmsKeyArn: key.arn });

    new TerraformOutput(this, "state_bucket", { value: bucket.name });
    new TerraformOutput(this, "lock_table", { value: table.name });
    new TerraformOutput(this, "state_key_arn", { value: key.arn });
  }
}
