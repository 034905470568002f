import { TerraformOutput } from "cdktf";
import { ContractReader } from "@acme/apps-platform-constructs/contract";
import { emptyStack, synthWith, validationError } from "../helpers";

describe("ContractReader", () => {
  it("reads each entry once, when first asked for, from the stage's parameters", () => {
    const json = synthWith((stack) => {
      const reader = new ContractReader(stack, "contract", { stage: "dev" });
      expect(reader.value("vpcId")).toMatch(/TfToken/);
      reader.value("vpcId");
      reader.list("privateSubnetIds");
      expect(reader.parameterNames).toEqual(["/apps-platform/dev/vpc-id", "/apps-platform/dev/private-subnet-ids"]);
    });
    expect(Object.values(json.data!.aws_ssm_parameter).map((p: any) => p.name).sort()).toEqual(["/apps-platform/dev/private-subnet-ids", "/apps-platform/dev/vpc-id"]);
  });

  it("splits a list entry into its values", () => {
    const json = synthWith((stack) => {
      new TerraformOutput(stack, "ids", { value: new ContractReader(stack, "contract", { stage: "dev" }).list("privateSubnetIds"), description: "d" });
    });
    expect(json.output!.ids.value).toMatch(/^\$\{split\(",", data\.aws_ssm_parameter\.contract_private-subnet-ids_[0-9A-F]+\.value\)\}$/);
  });

  it("reads a service's own part of the contract under its prefix", () => {
    const json = synthWith((stack) => {
      new ContractReader(stack, "contract", { stage: "dev", serviceParameterPrefix: "/apps-platform/dev/services/orders/" }).serviceValue("vpcConnectorArn");
    });
    expect(Object.values(json.data!.aws_ssm_parameter).map((p: any) => p.name)).toEqual(["/apps-platform/dev/services/orders/vpc-connector-arn"]);
  });

  it.each([
    ["a list read as a value", (r: ContractReader) => r.value("privateSubnetIds"), "Contract entry privateSubnetIds is a list: read it with list()."],
    ["a value read as a list", (r: ContractReader) => r.list("zoneId"), "Contract entry zoneId is a single value: read it with value()."],
    ["a service entry without the service's prefix", (r: ContractReader) => r.serviceValue("serviceSecurityGroupId"), "Contract entry serviceSecurityGroupId belongs to a service: give the reader serviceParameterPrefix."],
  ])("refuses %s, naming the reader", (_, read, problem) => {
    const reader = new ContractReader(emptyStack(), "contract", { stage: "dev" });
    const error = validationError(() => read(reader));
    expect(error.problems).toEqual([problem]);
    expect(error.constructPath).toBe("test/contract");
  });
});
