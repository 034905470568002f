import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { PolicyStatement } from "../policy/document";
import { policyJson } from "../policy/document";

export interface EncryptionKeyProps {
  /** The alias, `alias/...`. */
  readonly alias: string;
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /** The key policy's statements. */
  readonly policy: PolicyStatement[];
  /** Days KMS waits before deleting the key after `terraform destroy`. @default 30 */
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
