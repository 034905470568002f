import { Testing } from "cdktf";
import { PaymentsService } from "../examples/payments-service/main";
import { TfJson, resourcesOf } from "./helpers";

describe("the hand-written service example", () => {
  it("synthesizes a tagged ECS Express service with its database and domain, deployed with its own deploy role", () => {
    const stack = new PaymentsService(Testing.app(), "dev", { id: "222222222222", zoneName: "dev.apps.acme.example" });
    const json = JSON.parse(Testing.synth(stack)) as TfJson;
    expect(resourcesOf(json, "aws_ecs_express_gateway_service")).toHaveLength(1);
    expect(resourcesOf(json, "aws_rds_cluster")).toHaveLength(1);
    expect(resourcesOf(json, "aws_acm_certificate")).toHaveLength(1);
    expect((json.provider!.aws[0] as any).assume_role[0].role_arn).toBe("arn:aws:iam::222222222222:role/apps-platform/deploy/payments-api-dev-deploy");
    const untagged = Object.values(json.resource!)
      .flatMap((byId) => Object.values(byId))
      .filter((r: any) => "tags" in r && r.tags.app !== "payments-api");
    expect(untagged).toEqual([]);
  });
});
