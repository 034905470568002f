import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { CloudBackendOptions } from "../backend";
import { ContractReader } from "../contract/contract-reader";
import { AccountProvider } from "../core/account-provider";
import { AppsPlatformStack } from "../core/apps-platform-stack";
import { Problems } from "../errors";
import {
  ACCOUNT_ID_PATTERN,
  ORGANISATION_PATTERN,
  SLUG_PATTERN,
  STAGE_PATTERN,
  ZONE_NAME_PATTERN,
  limitProblem,
  mustMatch,
  overLimit,
  partitionOf,
  serviceNames,
  serviceSessionName,
  serviceStageNames,
  stackNames,
} from "../naming";
import { TenantScope, tenantRoleArns } from "../policy/tenant";
import { AppsPlatformApp } from "./apps-platform-app";
import { Compute } from "./compute";

/**
 * What a service stack needs to know about where it runs: the slug and stage, and what the platform's
 * onboarding of the service made for that stage. A service repository reads it with its context
 * loader (templates/service-repo/context.ts); the platform builds it from its config.
 */
export interface ServiceContext {
  /** The organisation prefix of the service's state bucket and lock table (`<organisation>-<slug>-tfstate`). */
  readonly organisation: string;
  /** The service's slug, its tenant id. */
  readonly slug: string;
  /** The stage: `dev`, `prod`, ... */
  readonly stage: string;
  /** The AWS Region of the platform. */
  readonly region: string;
  /** The stage's platform account. */
  readonly accountId: string;
  /** The stage's hosted zone name. */
  readonly zoneName: string;
  /** A short-lived stage: no deletion protection, repositories deleted with their images. @default false */
  readonly ephemeral?: boolean;
}

/** The service's own S3 state store, with the locking it uses. */
export interface ServiceS3Backend {
  /** Which backend: `s3`, the service's own bucket. */
  readonly kind: "s3";
  /** Lock with an S3 lock file (Terraform >= 1.11). @default true */
  readonly useLockfile?: boolean;
  /** Lock with the onboarding's DynamoDB table as well. @default true */
  readonly dynamodbLock?: boolean;
}

/** Where a service stack keeps its state. */
export type ServiceBackend = ServiceS3Backend | CloudBackendOptions;

export interface ServiceStackProps {
  /** Where the service runs (see ServiceContext). */
  readonly context: ServiceContext;
  /** The compute target. */
  readonly compute: Compute;
  /** Two-phase rollout: false makes the repository (and what needs no image), true runs `imageTag`. @default false */
  readonly deployService?: boolean;
  /** The image tag to run; required with `deployService`. @default none: nothing runs (deployService must be false) */
  readonly imageTag?: string;
  /**
   * Where state lives: the service's own S3 bucket, lock table and KMS key, which its onboarding made
   * in the deployment account (one workspace per stage), or HCP Terraform.
   * @default `{ kind: "s3" }`: the service's bucket, locked with a lock file and the lock table
   */
  readonly backend?: ServiceBackend;
  /**
   * Make a `platform_role_arn` variable for the role the provider assumes in the stage account: the
   * deploy role by default, the read role for merge-request plans (`-var platform_role_arn=...`).
   * Off for an HCP Terraform backend, whose runs bring their own credentials.
   * @default true for an S3 backend, false for HCP Terraform
   */
  readonly roleVariable?: boolean;
}

/**
 * One service in one stage, as its own Terraform configuration: its state in the service's bucket,
 * its provider assuming the service's deploy role in the stage account, the stage's contract read
 * from SSM, and the builder ready to describe the service. Call `stack.service.with...().build()`;
 * the built service's outputs become the stack's outputs.
 *
 * ```ts
 * const stack = new ServiceStack(app, { context, compute: Compute.appRunner(), deployService: true, imageTag: "1.4.2" });
 * stack.service.withWebService({ port: 8080 }).withDatabase().withCustomDomain().build();
 * ```
 */
export class ServiceStack extends AppsPlatformStack {
  /** The service builder: add capabilities, then build(). */
  public readonly service: AppsPlatformApp;
  /** The stage's contract (SSM parameters), for values the builder does not already read. */
  public readonly contract: ContractReader;
  /** The service's tenant scope, for policies and names. */
  public readonly tenant: TenantScope;

  constructor(scope: Construct, props: ServiceStackProps, id?: string) {
    const { context } = props;
    const names = serviceNames(context.organisation, context.slug);
    const store = { bucket: names.stateBucket.name, lockTable: names.lockTable.name, kmsKeyId: names.stateKeyAlias.name };
    const chosen = props.backend ?? { kind: "s3" };
    const backend = chosen.kind === "s3" ? { ...chosen, ...store } : chosen;
    super(scope, id ?? stackNames.service(context.slug, context.stage), {
      region: context.region,
      backend,
      kind: "service",
      unit: context.slug,
      stage: context.stage,
      app: context.slug,
    });
    const session = serviceSessionName(context.slug, context.stage);
    new Problems()
      .check("context.organisation", context.organisation, (v) => ORGANISATION_PATTERN.test(v), mustMatch(ORGANISATION_PATTERN))
      .check("context.slug", context.slug, (v) => SLUG_PATTERN.test(v), mustMatch(SLUG_PATTERN))
      .check("context.stage", context.stage, (v) => STAGE_PATTERN.test(v), mustMatch(STAGE_PATTERN))
      .check("context.accountId", context.accountId, (v) => ACCOUNT_ID_PATTERN.test(v), mustMatch(ACCOUNT_ID_PATTERN))
      .check("context.region", context.region, (v) => /^[a-z]{2}(-[a-z]+)+-[0-9]$/.test(v), "must be an AWS Region such as eu-central-1")
      .check("context.zoneName", context.zoneName, (v) => ZONE_NAME_PATTERN.test(v), mustMatch(ZONE_NAME_PATTERN))
      .addAll(overLimit(Object.values(names)).map((n) => `context.organisation and context.slug make ${limitProblem(n)}`))
      .addAll(overLimit([session]).map((n) => `context.slug and context.stage make ${limitProblem(n)}`))
      .throwIfAny(this);
    this.tenant = {
      partition: partitionOf(context.region),
      region: context.region,
      accountId: context.accountId,
      slug: context.slug,
      stage: context.stage,
      zoneName: context.zoneName,
    };
    const roles = tenantRoleArns(this.tenant);
    const role =
      (props.roleVariable ?? backend.kind === "s3")
        ? new TerraformVariable(this, "platform_role_arn", {
            type: "string",
            default: roles.deploy,
            description: `The role to work in the platform account with: ${roles.deploy} to apply, ${roles.read} to plan.`,
          })
        : undefined;
    new AccountProvider(this, "platform-account", {
      region: context.region,
      partition: this.partition,
      accountId: context.accountId,
      roleArn: role?.stringValue ?? roles.deploy,
      sessionName: session.name,
    });
    this.contract = new ContractReader(this, "contract", { stage: context.stage, serviceParameterPrefix: serviceStageNames(context.slug, context.stage).parameterPrefix.name });
    this.service = new AppsPlatformApp(this, context.slug, {
      tenant: this.tenant,
      compute: props.compute,
      deployService: props.deployService,
      imageTag: props.imageTag,
      ephemeral: context.ephemeral,
      environment: {
        privateSubnetIds: this.contract.list("privateSubnetIds"),
        zoneId: this.contract.value("zoneId"),
        platformKeyArn: this.contract.value("platformKeyArn"),
        serviceSecurityGroupId: this.contract.serviceValue("serviceSecurityGroupId"),
        databaseSecurityGroupId: this.contract.serviceValue("databaseSecurityGroupId"),
        // Read only where it is used: onboarding publishes the connector for App Runner services only.
        vpcConnectorArn: () => this.contract.serviceValue("vpcConnectorArn"),
      },
      exportOutputs: true,
    });
  }
}
