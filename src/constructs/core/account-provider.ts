import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PLATFORM } from "../../naming";

export interface AccountProviderProps {
  readonly region: string;
  readonly partition: string;
  /** The account the provider works in; any other account is refused by the provider. */
  readonly accountId: string;
  /** The role assumed in that account, by name (with its path, if any). Only one of `roleName` or `roleArn` can be given. */
  readonly roleName?: string;
  /** The role's ARN, when it is not fixed at synth (a Terraform variable). @default built from roleName */
  readonly roleArn?: string;
  /** A provider alias, when a stack works in two accounts. @default the default provider */
  readonly alias?: string;
  /** The STS session name, which CloudTrail records. @default "apps-platform-<stack>" */
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
    if ((props.roleName === undefined) === (props.roleArn === undefined)) {
      throw new Error("Only one of `roleName` or `roleArn` can be given, and one is required.");
    }
    this.provider = new AwsProvider(this, "provider", {
      alias: props.alias,
      region: props.region,
      allowedAccountIds: [props.accountId],
      assumeRole: [
        {
          roleArn: props.roleArn ?? `arn:${props.partition}:iam::${props.accountId}:role/${props.roleName}`,
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
