import { Construct } from "constructs";
import { Fn } from "cdktf";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { CONTRACT, ContractEntry, contractParameterName } from "../../contract";

export interface ContractReaderProps {
  /** The stage whose environment contract is read. */
  readonly stage: string;
}

/**
 * Reads a stage's environment contract. Each entry is read once, when first asked for, so a stack's
 * plan only depends on the parameters it uses.
 */
export class ContractReader extends Construct {
  private readonly stage: string;
  private readonly parameters = new Map<ContractEntry, DataAwsSsmParameter>();

  constructor(scope: Construct, id: string, props: ContractReaderProps) {
    super(scope, id);
    this.stage = props.stage;
  }

  /** The value of a single-valued entry. */
  public value(entry: ContractEntry): string {
    if (CONTRACT[entry].type !== "String") throw new Error(`Contract entry ${entry} is a list: read it with list().`);
    return this.parameter(entry).value;
  }

  /** The values of a list entry. */
  public list(entry: ContractEntry): string[] {
    if (CONTRACT[entry].type !== "StringList") throw new Error(`Contract entry ${entry} is a single value: read it with value().`);
    return Fn.split(",", this.parameter(entry).value);
  }

  /** The SSM parameter names this reader reads. */
  public get parameterNames(): string[] {
    return [...this.parameters.keys()].map((entry) => contractParameterName(this.stage, entry));
  }

  private parameter(entry: ContractEntry): DataAwsSsmParameter {
    let parameter = this.parameters.get(entry);
    if (!parameter) {
      parameter = new DataAwsSsmParameter(this, CONTRACT[entry].key, { name: contractParameterName(this.stage, entry) });
      this.parameters.set(entry, parameter);
    }
    return parameter;
  }
}
