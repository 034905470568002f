import { Construct } from "constructs";
import { Fn, TerraformProvider } from "cdktf";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { ValidationError } from "../errors";
import { CONTRACT, ContractEntry, SERVICE_CONTRACT, ServiceContractEntry, contractParameterName, serviceParameterName } from "./entries";

export interface ContractReaderProps {
  /** The stage whose environment contract is read. */
  readonly stage: string;
  /** The SSM prefix of one service's part of the contract, for serviceValue(). @default none: serviceValue() refuses */
  readonly serviceParameterPrefix?: string;
  /** The provider of the stage's platform account. @default the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * Reads a stage's environment contract. Each entry is read once, when first asked for, so a stack's
 * plan only depends on the parameters it uses.
 */
export class ContractReader extends Construct {
  private readonly stage: string;
  private readonly props: ContractReaderProps;
  private readonly parameters = new Map<string, DataAwsSsmParameter>();

  constructor(scope: Construct, id: string, props: ContractReaderProps) {
    super(scope, id);
    this.stage = props.stage;
    this.props = props;
  }

  /** A value onboarding published for the service (its security groups, its VPC connector). */
  public serviceValue(entry: ServiceContractEntry): string {
    const prefix = this.props.serviceParameterPrefix;
    if (!prefix) throw new ValidationError(`Contract entry ${entry} belongs to a service: give the reader serviceParameterPrefix.`, this);
    return this.read(`service-${SERVICE_CONTRACT[entry].key}`, serviceParameterName(prefix, entry)).value;
  }

  /** The value of a single-valued entry. */
  public value(entry: ContractEntry): string {
    if (CONTRACT[entry].type !== "String") throw new ValidationError(`Contract entry ${entry} is a list: read it with list().`, this);
    return this.parameter(entry).value;
  }

  /** The values of a list entry. */
  public list(entry: ContractEntry): string[] {
    if (CONTRACT[entry].type !== "StringList") throw new ValidationError(`Contract entry ${entry} is a single value: read it with value().`, this);
    return Fn.split(",", this.parameter(entry).value);
  }

  /** The SSM parameter names this reader reads. */
  public get parameterNames(): string[] {
    return [...this.parameters.values()].map((p) => p.nameInput!);
  }

  private parameter(entry: ContractEntry): DataAwsSsmParameter {
    return this.read(CONTRACT[entry].key, contractParameterName(this.stage, entry));
  }

  private read(id: string, name: string): DataAwsSsmParameter {
    let parameter = this.parameters.get(id);
    if (!parameter) {
      parameter = new DataAwsSsmParameter(this, id, { name, provider: this.props.provider });
      this.parameters.set(id, parameter);
    }
    return parameter;
  }
}
