import { CONTRACT, CONTRACT_ENTRIES, ContractPublisher } from "@acme/apps-platform-constructs/contract";
import { byId, synthWith } from "../helpers";

const values = {
  vpcId: "vpc-0123",
  vpcCidr: "10.20.0.0/16",
  privateSubnetIds: ["subnet-a", "subnet-b"],
  publicSubnetIds: ["subnet-c", "subnet-d"],
  zoneId: "Z0DEV",
  zoneName: "dev.apps.acme.example",
  platformKeyArn: "arn:aws:kms:eu-central-1:222222222222:key/1111",
};

describe("ContractPublisher", () => {
  it("publishes every entry under /apps-platform/<stage>/ as a String (list entries joined), described", () => {
    const json = synthWith((stack) => new ContractPublisher(stack, "contract", { stage: "dev", values }));
    const parameters = Object.values(byId(json, "aws_ssm_parameter"));
    expect(parameters.map((p) => p.name).sort()).toEqual(CONTRACT_ENTRIES.map((e) => `/apps-platform/dev/${CONTRACT[e].key}`).sort());
    const byName = new Map(parameters.map((p) => [p.name, p]));
    expect(byName.get("/apps-platform/dev/vpc-id")).toMatchObject({ type: "String", value: "vpc-0123", description: "The stage VPC's id." });
    expect(byName.get("/apps-platform/dev/private-subnet-ids")).toMatchObject({ type: "StringList", value: '${join(",", ["subnet-a", "subnet-b"])}' });
    for (const p of parameters) expect(p.description).toBeTruthy();
  });

  it("names what it published", () => {
    synthWith((stack) => {
      const publisher = new ContractPublisher(stack, "contract", { stage: "prod", values });
      expect(publisher.parameterNames).toContain("/apps-platform/prod/platform-kms-key-arn");
      expect(publisher.parameterNames).toHaveLength(CONTRACT_ENTRIES.length);
    });
  });
});
