import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Problems, integerBetween } from "../errors";
import { PolicyStatement, policyJson } from "../policy/document";

/** KMS alias names: `alias/` and letters, digits, `/`, `_` and `-`, at most 256; `alias/aws/` is AWS's. */
const ALIAS_NAME = /^alias\/(?!aws\/)[A-Za-z0-9/_-]{1,250}$/;

export interface EncryptionKeyProps {
  /** The alias, `alias/...` (not `alias/aws/...`, which AWS keeps for its own keys). */
  readonly alias: string;
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /** The key policy's statements. */
  readonly policy: PolicyStatement[];
  /** Days KMS waits before deleting the key after `terraform destroy`, 7 to 30. @default 30: the longest, to undo a mistaken destroy */
  readonly deletionWindowInDays?: number;
}

/** A symmetric customer-managed KMS key with yearly rotation and an alias. */
export class EncryptionKey extends Construct {
  public readonly key: KmsKey;
  public readonly arn: string;
  public readonly aliasName: string;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const deletionWindowInDays = props.deletionWindowInDays ?? 30;
    new Problems()
      .check("alias", props.alias, (a) => ALIAS_NAME.test(a), 'must be "alias/" and 1 to 250 letters, digits, "/", "_" or "-", not under "alias/aws/"')
      .check("deletionWindowInDays", deletionWindowInDays, integerBetween(7, 30), "must be a whole number of days from 7 to 30 (KMS's waiting period)")
      .throwIfAny(this);

    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays,
      policy: policyJson(props.policy),
    });
    new KmsAlias(this, "alias", { name: props.alias, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
    this.aliasName = props.alias;
  }
}
