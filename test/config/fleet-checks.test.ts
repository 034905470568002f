import { ConfigError } from "../../src/config/loader";
import { configWith } from "../helpers";

/** The problems of the example config changed by `change`, one line each, without their file positions. */
function problems(change: (raw: Record<string, any>) => void): string[] {
  try {
    configWith(change);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n").slice(1).map((l) => l.trim().replace(/ \(test\.yaml:\d+:\d+\)$/, ""));
    throw err;
  }
  return [];
}

const service = (extra: Record<string, unknown> = {}) => ({ port: 8080, ...extra });

/**
 * What the fleet's config refuses because a name would be another's: the holes an attacker of the
 * fleet finds in names the platform assigns before anyone holds them.
 */
describe("the fleet's config refuses names that are another's", () => {
  it("accepts the example's fleet", () => {
    expect(problems(() => undefined)).toEqual([]);
  });

  it.each([
    ["a platform service's repository", "apps-platform/payments-api/dev"],
    ["another product's repository", "billing/integrations-service"],
    ["a repository made outside the platform", "legacy-images"],
    ["a look-alike of the product's namespace", "accessos-tools/integrations-service"],
  ])("refuses a tenant service's image from %s (%s): the fleet makes the repository and every tenant runs what it holds", (_, repository) => {
    const out = problems((raw) => {
      raw.fleet.services = { "integrations-service": service({ repository }) };
      raw.fleet.secrets = [];
    });
    expect(out).toEqual([`fleet.services.integrations-service.repository must be under "accessos/", the product's namespace: the fleet makes its repositories and its tenants run their images, got "${repository}"`]);
  });

  it("refuses a control-plane service's or the router's image from outside the product's namespace", () => {
    expect(
      problems((raw) => {
        raw.fleet.controlPlane = { "tenant-registry": service({ repository: "apps-platform/status-page/prod" }) };
        raw.fleet.routing = "router";
        raw.fleet.router = service({ repository: "router" });
      }),
    ).toEqual([
      'fleet.controlPlane.tenant-registry.repository must be under "accessos/", the product\'s namespace: the fleet makes its repositories and its tenants run their images, got "apps-platform/status-page/prod"',
      'fleet.router.repository must be under "accessos/", the product\'s namespace: the fleet makes its repositories and its tenants run their images, got "router"',
    ]);
  });

  it("accepts images under the product's namespace, nested or not", () => {
    expect(problems((raw) => (raw.fleet.services = { "integrations-service": service({ path: "/integrations", repository: "accessos/base/integrations" }), "iam-service": service({ repository: "accessos/iam" }) }))).toEqual([]);
  });

  it("refuses two tenants whose services would share an ECS service and discovery name (acme's billing-worker, acme-billing's worker)", () => {
    const out = problems((raw) => {
      raw.fleet.routing = "router";
      raw.fleet.services = { "billing-worker": service({ path: "/billing" }), worker: service() };
      raw.fleet.secrets = [];
      raw.fleet.tenants = [
        { id: "acme", wave: "canary" },
        { id: "acme-billing", wave: "canary" },
      ];
    });
    expect(out).toEqual([
      'fleet.tenants[1].id makes in stage dev the ECS service name "acme-billing-worker", which fleet.tenants[0] (acme) has too; in stage dev the service discovery name "acme-billing-worker", which fleet.tenants[0] (acme) has too; in stage prod the ECS service name "acme-billing-worker", which fleet.tenants[0] (acme) has too; in stage prod the service discovery name "acme-billing-worker", which fleet.tenants[0] (acme) has too, got "acme-billing"',
    ]);
  });

  // Ids and stages both hold hyphens: acme-corp in stage dev and acme in stage corp-dev.
  const corpDev = (raw: Record<string, any>, accountId: string) => {
    raw.stages["corp-dev"] = { ...raw.stages.dev, accountId, zoneName: "corpdev.apps.acme.example", network: { cidr: "10.50.0.0/16", azCount: 2, natMode: "single" } };
    raw.fleet.stages["corp-dev"] = { domain: "accessos.corpdev.apps.acme.example" };
    raw.fleet.tenants = [
      { id: "acme-corp", wave: "canary", stages: ["dev"] },
      { id: "acme", wave: "canary", stages: ["corp-dev"] },
    ];
  };

  it("refuses two tenants whose id and stage make one stack name (acme-corp in dev, acme in corp-dev), in accounts of their own", () => {
    expect(problems((raw) => corpDev(raw, "555555555555"))).toEqual(["fleet.tenants[1].id makes the stack tenant-acme-corp-dev in stage corp-dev, as fleet.tenants[0] (acme-corp) in stage dev does, got \"acme\""]);
  });

  it("refuses them, and every name they would share, where both stages are one account (itself refused)", () => {
    const out = problems((raw) => corpDev(raw, raw.stages.dev.accountId));
    expect(out).toHaveLength(3);
    expect(out.shift()).toMatch(/^stages\.corp-dev\.accountId must differ from stages\.dev\.accountId/);
    expect(out[0]).toBe("fleet.tenants[1].id makes the stack tenant-acme-corp-dev in stage corp-dev, as fleet.tenants[0] (acme-corp) in stage dev does, got \"acme\"");
    expect(out[1]).toMatch(/^fleet\.tenants\[1\]\.id makes in stage corp-dev the IAM role name "[^"]*acme-corp-dev[^"]*", which fleet\.tenants\[0\] \(acme-corp\) has too; /);
    expect(out[1]).toContain('the task definition family "accessos-acme-corp-dev-');
  });

  it("refuses a tenant whose services would take the control plane's ECS service names", () => {
    const out = problems((raw) => {
      raw.fleet.services = { licensing: service() };
      raw.fleet.secrets = [];
      raw.fleet.tenants = [{ id: "control-plane", wave: "canary", stages: ["dev"] }];
    });
    expect(out).toEqual(['fleet.tenants[0].id makes in stage dev the ECS service name "control-plane-licensing", which the control plane\'s licensing has too, got "control-plane"']);
  });

  it.each([
    ["accessos-billing", 'names its resources in stage dev "accessos-billing-dev…", inside the fleet\'s name space "accessos-…" (fleet.product)'],
    ["accessos-x-prod", 'names its resources in stage dev "accessos-x-prod-dev…", inside the fleet\'s name space "accessos-…" (fleet.product)'],
  ])("refuses the service slug %j, whose names would be the fleet's (a tenant's silo cluster, its roles)", (slug, message) => {
    const out = problems((raw) => (raw.services[2].slug = slug));
    expect(out).toEqual([`services[2] (${slug}).slug ${message}, got "${slug}"`]);
  });
});
