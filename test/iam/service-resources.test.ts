import { PlatformConfig } from "../../src/config/schema";
import { onboardedStages } from "../../src/policy/ci";
import { TfJson, configWith, exampleConfig, synthPlatform } from "../helpers";
import { Request, evaluate, extendIamDataWithOidcClaims } from "./simulator";
import { Call, Scope, callsFor } from "./stack-calls";
import { Policy, SynthesizedRole, rolesOf } from "./synthesized-policies";
import { resourcePolicies } from "./universe";

function role(json: Map<string, TfJson>, slug: string, name: string): SynthesizedRole {
  return rolesOf(`onboarding-${slug}`, json.get(`onboarding-${slug}`)!).find((r) => r.name === name)!;
}

async function prove(config: PlatformConfig) {
  await extendIamDataWithOidcClaims([]);
  const synthesized = synthPlatform(config);
  const { json } = synthesized;
  const keys = resourcePolicies(synthesized).keys;
  const wrong: string[] = [];
  const types = new Set<string>();
  let checked = 0;
  for (const service of config.services.filter((s) => s.web)) {
    for (const stage of onboardedStages(config, service)) {
      const stack = json.get(`service-${service.slug}-${stage}`)!;
      const s: Scope = { region: config.region, account: config.stages[stage].accountId, slug: service.slug, stage, zoneName: config.stages[stage].zoneName, json: stack };
      const deploy = role(json, service.slug, `${service.slug}-${stage}-deploy`);
      const read = role(json, service.slug, `${service.slug}-${stage}-read`);
      const others = config.services.filter((o) => o.slug !== service.slug && onboardedStages(config, o).includes(stage)).map((o) => role(json, o.slug, `${o.slug}-${stage}-deploy`));
      const keyPolicy: Policy | undefined = keys.get(`alias/apps-platform/${stage}/platform`);
      const as = (r: SynthesizedRole, c: Call): Promise<string> =>
        evaluate({
          principal: r.arn,
          action: c.action,
          resource: c.resource,
          resourceAccount: s.account,
          context: c.context ?? {},
          identityPolicies: r.policies.map((p) => p.policy),
          ...(c.action.startsWith("kms:") && keyPolicy ? { resourcePolicy: keyPolicy } : {}),
        } as Request);
      for (const [type, resources] of Object.entries(stack.resource ?? {})) {
        types.add(type);
        for (const [id, resource] of Object.entries(resources)) {
          for (const call of callsFor(s, type, resource as Record<string, any>)) {
            const at = `${service.slug} ${stage} ${type}.${id}: ${call.action} on ${call.resource}`;
            if ((await as(deploy, call)) !== "Allowed") wrong.push(`${at} is denied to its own deploy role`);
            const asRead = await as(read, call);
            if (call.read && asRead !== "Allowed") wrong.push(`${at} is denied to its own read role`);
            if (!call.read && asRead === "Allowed") wrong.push(`${at} is allowed to its read role, which must not write`);
            if (!call.shared) for (const other of others) if ((await as(other, call)) === "Allowed") wrong.push(`${at} is allowed to ${other.name}`);
            checked++;
          }
        }
      }
    }
  }
  return { wrong, checked, types };
}

describe("service stacks and the deploy roles", () => {
  it("let each service's deploy role create, refresh, change and delete everything its stacks declare, its read role read it, and no other service's role touch it", async () => {
    const { wrong, checked, types } = await prove(exampleConfig());
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(100);
    expect(types.size).toBeGreaterThan(10);
  });

  it("do the same for every combination of compute, database, domain and secrets", async () => {
    const matrix = configWith((raw) => {
      raw.services = [
        { slug: "ar-all", gitlabProjectPath: "acme/ar-all", compute: "appRunner", deployService: true, image: "1", web: {}, database: {}, customDomain: { www: true } },
        { slug: "ar-plain", githubRepository: "acme/ar-plain", compute: "appRunner", deployService: true, image: "1", web: {} },
        { slug: "ecs-db", gitlabProjectPath: "acme/ecs-db", compute: "ecsExpress", deployService: true, image: "1", web: {}, database: {} },
        { slug: "ecs-plain", githubRepository: "acme/ecs-plain", compute: "ecsExpress", deployService: true, image: "1", web: {} },
        { slug: "first-phase", gitlabProjectPath: "acme/first-phase", web: {}, database: {} },
      ];
    });
    const { wrong, types } = await prove(matrix);
    expect(wrong).toEqual([]);
    for (const t of ["aws_apprunner_service", "aws_apprunner_custom_domain_association", "aws_ecs_express_gateway_service", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_cloudwatch_log_group"]) expect(types).toContain(t);
  });
});
