import { Testing } from "cdktf";
import { PaymentsService } from "../examples/payments-service/main";
import { TfJson, exampleConfig, resourcesOf, synthPlatform } from "./helpers";
import { evaluate, extendIamDataWithOidcClaims } from "./iam/simulator";
import { callsFor } from "./iam/stack-calls";
import { rolesOf } from "./iam/synthesized-policies";
import { resourcePolicies } from "./iam/universe";

describe("the hand-written service example", () => {
  const stack = new PaymentsService(Testing.app(), "dev", { id: "222222222222", zoneName: "dev.apps.acme.example" });
  const json = JSON.parse(Testing.synth(stack)) as TfJson;

  it("synthesizes payments-api as config/example.yaml describes it: App Runner, database, domain, a secret, its own deploy role", () => {
    expect(resourcesOf(json, "aws_apprunner_service")).toHaveLength(1);
    expect(resourcesOf(json, "aws_rds_cluster")).toHaveLength(1);
    expect(resourcesOf(json, "aws_apprunner_custom_domain_association")).toHaveLength(1);
    expect((resourcesOf(json, "aws_secretsmanager_secret") as any[]).map((s) => s.name)).toEqual(["apps-platform/services/dev/payments-api/stripe-key"]);
    // The network objects are onboarding's: the stack makes none and reads their ids.
    expect(resourcesOf(json, "aws_security_group")).toHaveLength(0);
    expect(resourcesOf(json, "aws_apprunner_vpc_connector")).toHaveLength(0);
    expect((json.provider!.aws[0] as any).assume_role[0].role_arn).toBe("arn:aws:iam::222222222222:role/apps-platform/deploy/payments-api-dev-deploy");
    const untagged = Object.values(json.resource!)
      .flatMap((byId) => Object.values(byId))
      .filter((r: any) => "tags" in r && r.tags.app !== "payments-api");
    expect(untagged).toEqual([]);
  });

  it("is deployable by payments-api's dev deploy role as the platform onboards it, and by no other service's", async () => {
    await extendIamDataWithOidcClaims([]);
    const config = exampleConfig();
    const platform = synthPlatform(config);
    const roles = ["payments-api", "webservice-aurora-example", "status-page"].map((slug) => rolesOf(`onboarding-${slug}`, platform.json.get(`onboarding-${slug}`)!).find((r) => r.name === `${slug}-dev-deploy`)!);
    const keyPolicy = resourcePolicies(platform).keys.get("alias/apps-platform/dev/platform");
    const scope = { region: "eu-central-1", account: "222222222222", slug: "payments-api", stage: "dev", zoneName: "dev.apps.acme.example", json };
    const wrong: string[] = [];
    for (const [type, resources] of Object.entries(json.resource ?? {})) {
      for (const resource of Object.values(resources)) {
        for (const call of callsFor(scope, type, resource as Record<string, any>)) {
          for (const role of roles) {
            const decision = await evaluate({ principal: role.arn, action: call.action, resource: call.resource, resourceAccount: scope.account, context: call.context ?? {}, identityPolicies: role.policies.map((p) => p.policy), ...(call.action.startsWith("kms:") && keyPolicy ? { resourcePolicy: keyPolicy } : {}) });
            const own = role.name === "payments-api-dev-deploy";
            if (own && decision !== "Allowed") wrong.push(`${type} ${call.action} on ${call.resource} denied to ${role.name}`);
            if (!own && !call.shared && decision === "Allowed") wrong.push(`${type} ${call.action} on ${call.resource} allowed to ${role.name}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
