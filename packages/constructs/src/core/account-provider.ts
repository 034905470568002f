import { Construct } from "constructs";
import { Fn, Op, TerraformStack, TerraformVariable, Token } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Problems } from "../errors";
import { ACCOUNT_ID_PATTERN, PLATFORM, mustMatch, platformCiNames, roleArn } from "../naming";

/** The Terraform variable that switches a platform stack's providers to the read roles for a plan. */
export const CI_PHASE_VARIABLE = "ci_phase";
export const CI_PHASES = ["apply", "plan"] as const;

/**
 * The stack's `ci_phase` variable, made on first use: `apply` (the default) assumes the provisioner
 * roles, `plan` the read role `apps-platform-read` of each account, which can change nothing.
 */
export function ciPhaseVariable(scope: Construct): TerraformVariable {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(CI_PHASE_VARIABLE);
  if (existing instanceof TerraformVariable) return existing;
  return new TerraformVariable(stack, CI_PHASE_VARIABLE, {
    type: "string",
    default: "apply",
    description:
      "apply: the providers assume the provisioner roles. plan: they assume the read-only role apps-platform-read of each account (merge-request plans, with -lock=false).",
    validation: [
      {
        condition: `\${contains(${JSON.stringify(CI_PHASES)}, var.${CI_PHASE_VARIABLE})}`,
        errorMessage: `ci_phase must be one of ${CI_PHASES.map((p) => `"${p}"`).join(", ")}.`,
      },
    ],
  });
}

/** An AWS provider in one account. */
export interface AccountProviderProps {
  /** The AWS Region the provider works in. */
  readonly region: string;
  /** The AWS partition of the Region (`aws`, `aws-us-gov`, `aws-cn`), for the role ARNs. */
  readonly partition: string;
  /** The account the provider works in; any other account is refused by the provider. */
  readonly accountId: string;
  /**
   * The provisioner role assumed in that account, by name (with its path, if any); with `ci_phase=plan`
   * the account's read role is assumed instead. Only one of `roleName` or `roleArn` can be given.
   * @default none: `roleArn` must be given
   */
  readonly roleName?: string;
  /** The role's ARN, when it is not fixed at synth (a Terraform variable); assumed in every phase. @default none: `roleName` must be given */
  readonly roleArn?: string;
  /** A provider alias, when a stack works in two accounts. @default the default provider */
  readonly alias?: string;
  /** The STS session name, which CloudTrail records. @default "apps-platform" */
  readonly sessionName?: string;
}

/**
 * An AWS provider that assumes a role in one account. `allowed_account_ids` makes a plan fail before
 * it touches anything when the role resolves to another account (a copy-pasted account id, say).
 */
export class AccountProvider extends Construct {
  public readonly provider: AwsProvider;

  constructor(scope: Construct, id: string, props: AccountProviderProps) {
    super(scope, id);
    const problems = new Problems();
    if ((props.roleName === undefined) === (props.roleArn === undefined)) {
      const got = props.roleName === undefined ? "neither" : `both (roleName ${JSON.stringify(props.roleName)}, roleArn ${JSON.stringify(props.roleArn)})`;
      problems.add(`Only one of \`roleName\` or \`roleArn\` can be given, and one is required. Given: ${got}.`);
    }
    problems.check("accountId", props.accountId, (a) => ACCOUNT_ID_PATTERN.test(a), mustMatch(ACCOUNT_ID_PATTERN, "exactly 12 digits"));
    problems.throwIfAny(this);
    const provisioner = props.roleName === undefined ? undefined : `arn:${props.partition}:iam::${props.accountId}:role/${props.roleName}`;
    const planRole = roleArn(props.partition, props.accountId, platformCiNames.path, platformCiNames.readRole);
    const assumed = provisioner
      ? Token.asString(Fn.conditional(Op.eq(ciPhaseVariable(this).stringValue, "plan"), planRole, provisioner))
      : props.roleArn!;
    this.provider = new AwsProvider(this, "provider", {
      alias: props.alias,
      region: props.region,
      allowedAccountIds: [props.accountId],
      assumeRole: [
        {
          roleArn: assumed,
          sessionName: props.sessionName ?? PLATFORM,
        },
      ],
    });
  }
}

/** The provider of the deployment account (state, CI roles, OIDC providers), as the platform's stacks use it. */
export function deploymentAccountProvider(scope: Construct, config: { region: string; deploymentAccount: { accountId: string; roleName: string } }, partition: string): AccountProvider {
  return new AccountProvider(scope, "deployment-account", {
    region: config.region,
    partition,
    accountId: config.deploymentAccount.accountId,
    roleName: config.deploymentAccount.roleName,
  });
}
