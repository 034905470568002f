import { Construct } from "constructs";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IAM_PATHS } from "@acme/apps-platform-constructs/naming";
import { policyJson } from "@acme/apps-platform-constructs/policy";
import {
  EPHEMERAL_PATHS,
  EphemeralCiScope,
  ProvisionerScope,
  authorizerBoundaryStatements,
  ephemeralCiNames,
  ephemeralCiTrust,
  perPrCiStatements,
  provisionerStatements,
  provisionerTrust,
  stableCiStatements,
} from "../../policy/ephemeral-ci";
import { PolicyRole } from "@acme/apps-platform-constructs/iam";

export interface EphemeralCiRolesProps {
  readonly scope: EphemeralCiScope;
}

/**
 * The authorizer stacks' CI roles in the deployment account: `<project>-ephemeral-ci` for per-PR
 * stages (merge-request and pull-request refs of the repository) and, when stable stages exist,
 * `<project>-stable-ci` (protected refs). Each reads and writes only its own state objects and
 * assumes only its provisioner roles (src/policy/ephemeral-ci.ts).
 */
export class EphemeralCiRoles extends Construct {
  public readonly ciRole: PolicyRole;
  public readonly stableCiRole?: PolicyRole;

  constructor(scope: Construct, id: string, props: EphemeralCiRolesProps) {
    super(scope, id);
    const s = props.scope;
    const names = ephemeralCiNames(s.project);
    this.ciRole = new PolicyRole(this, "per-pr", {
      roleName: names.ciRole,
      path: IAM_PATHS.ci,
      trust: ephemeralCiTrust(s, "perPr"),
      statements: perPrCiStatements(s),
    });
    if (s.stableStages.length > 0) {
      this.stableCiRole = new PolicyRole(this, "stable", {
        roleName: names.stableCiRole,
        path: IAM_PATHS.ci,
        trust: ephemeralCiTrust(s, "stable"),
        statements: stableCiStatements(s),
      });
    }
  }
}

export interface EphemeralProvisionerRolesProps {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly project: string;
  /** The per-PR provisioner: assumed by the per-PR CI role, with any Stage tag but these. @default none */
  readonly perPr?: { readonly ciRoleArn: string; readonly reservedStages: string[] };
  /** The stable provisioner: assumed by the stable CI role, with one of these Stage tags. @default none */
  readonly stable?: { readonly ciRoleArn: string; readonly stages: string[] };
}

/**
 * In an account that hosts authorizer stages: the permissions boundary of every authorizer role, and
 * the provisioner roles the authorizer stacks' providers assume (one session per stage, by its
 * `Stage` session tag).
 */
export class EphemeralProvisionerRoles extends Construct {
  public readonly boundary: IamPolicy;
  public readonly perPr?: PolicyRole;
  public readonly stable?: PolicyRole;

  constructor(scope: Construct, id: string, props: EphemeralProvisionerRolesProps) {
    super(scope, id);
    const names = ephemeralCiNames(props.project);
    this.boundary = new IamPolicy(this, "boundary", {
      name: names.boundaryPolicy,
      path: EPHEMERAL_PATHS.provisioner,
      description: `${props.project}: the most an authorizer role of any stage may do`,
      policy: policyJson(authorizerBoundaryStatements(props.partition, props.region, props.accountId)),
    });
    const boundaryArn = `arn:${props.partition}:iam::${props.accountId}:policy${EPHEMERAL_PATHS.provisioner}${names.boundaryPolicy}`;
    const base = { partition: props.partition, region: props.region, accountId: props.accountId, project: props.project, boundaryArn };
    const role = (cid: string, roleName: string, p: ProvisionerScope) =>
      new PolicyRole(this, cid, { roleName, path: EPHEMERAL_PATHS.provisioner, trust: provisionerTrust(p), statements: provisionerStatements(p), dependsOn: [this.boundary] });
    if (props.perPr) {
      this.perPr = role("per-pr", names.provisionerRole, { ...base, ciRoleArn: props.perPr.ciRoleArn, stages: { except: props.perPr.reservedStages } });
    }
    if (props.stable) {
      this.stable = role("stable", names.stableProvisionerRole, { ...base, ciRoleArn: props.stable.ciRoleArn, stages: { only: props.stable.stages } });
    }
  }
}
