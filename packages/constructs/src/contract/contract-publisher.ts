import { Construct } from "constructs";
import { Fn } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { skipCheck } from "../checks";
import { CONTRACT, CONTRACT_ENTRIES, ContractEntry, contractParameterName } from "./entries";

export interface ContractPublisherProps {
  /** The stage whose contract this is. */
  readonly stage: string;
  /** A value for every contract entry: the type makes a missing one a compile error. */
  readonly values: { readonly [K in ContractEntry]: string | string[] };
}

/** Publishes a stage's environment contract as SSM parameters under `/apps-platform/<stage>/`. */
export class ContractPublisher extends Construct {
  public readonly parameterNames: string[];

  constructor(scope: Construct, id: string, props: ContractPublisherProps) {
    super(scope, id);
    this.parameterNames = CONTRACT_ENTRIES.map((entry) => {
      const spec = CONTRACT[entry];
      const value = props.values[entry];
      const name = contractParameterName(props.stage, entry);
      const parameter = new SsmParameter(this, spec.key, {
        name,
        type: spec.type,
        value: Array.isArray(value) ? Fn.join(",", value) : value,
        description: spec.description,
      });
      skipCheck(parameter, "CKV2_AWS_34", "contract values are resource identifiers, not secrets; SecureString would make every reader need the platform key");
      return name;
    });
  }
}
