import * as fs from "fs";
import YAML from "yaml";
import { parseConfig } from "../../src/config/loader";
import { EXAMPLE_FILE, configProblems } from "../helpers";

const example = fs.readFileSync(EXAMPLE_FILE, "utf8");

const problemsOf = configProblems;

/** The example with its fleet section changed (and the rest of the file as it is). */
function withFleet(change: (fleet: Record<string, any>, raw: Record<string, any>) => void): string {
  const raw = YAML.parse(example);
  change(raw.fleet, raw);
  return YAML.stringify(raw);
}

/** The line of the first occurrence of `needle` in a text, 1-based. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("the fleet section of the config", () => {
  it("accepts the example's fleet and fills in the seed's service set and control plane", () => {
    const config = parseConfig(example, "config/example.yaml");
    const fleet = config.fleet!;
    expect(Object.keys(fleet.services)).toEqual(["integrations-service", "discovery-service", "discovery-worker", "audit-service", "iam-service"]);
    expect(fleet.services["discovery-worker"].port).toBeUndefined();
    expect(Object.keys(fleet.controlPlane)).toEqual(["tenant-registry", "licensing", "routing-snapshot-publisher"]);
    expect(fleet.routing).toBe("hostHeader");
    expect(fleet.tenants.map((t) => [t.id, t.tier, t.wave, t.paused, t.allowDestroy])).toEqual([
      ["acme-corp", "pool", "canary", false, false],
      ["globex", "silo", "general", false, false],
      ["initech", "pool", "general", true, true],
    ]);
    expect(fleet.quotas.rulesPerLoadBalancer).toBe(100);
  });

  test.each<[string, (f: Record<string, any>, raw: Record<string, any>) => void, RegExp]>([
    ["a duplicate tenant id", (f) => f.tenants.push({ id: "globex", wave: "general" }), /^fleet\.tenants\[3\]\.id must be unique, already used by fleet\.tenants\[1\], got "globex" \(c\.yaml:\d+:\d+\)$/],
    ["an unknown wave", (f) => (f.tenants[0].wave = "beta"), /^fleet\.tenants\[0\]\.wave must be one of the waves in fleet\.waves \(canary, general\), got "beta" \(c\.yaml:\d+:\d+\)$/],
    ["a duplicate wave", (f) => f.waves.push({ name: "canary", image: "2.0.0" }), /^fleet\.waves\[2\]\.name must be unique, already used by fleet\.waves\[0\], got "canary"/],
    ["a tenant in a stage the fleet does not run in", (f) => (f.tenants[0].stages = ["dev", "qa"]), /^fleet\.tenants\[0\]\.stages\[1\] must be one of the fleet's stages in fleet\.stages \(dev, prod\), got "qa"/],
    ["a fleet stage the platform lacks", (f) => (f.stages.qa = { domain: "qa.example.com" }), /^fleet\.stages\.qa must be one of the stages defined in stages \(dev, prod\)/],
    ["a domain outside the stage zone", (f) => (f.stages.dev.domain = "accessos.example.org"), /^fleet\.stages\.dev\.domain must be the stage's zone dev\.apps\.acme\.example or a name below it/],
    ["a prod domain inside the dev zone", (f) => (f.stages.prod.domain = "x.dev.apps.acme.example"), /^fleet\.stages\.prod\.domain is in stages\.dev\.zoneName "dev\.apps\.acme\.example", another stage's zone/],
    [
      "a domain at a service's name",
      (f) => (f.stages.prod.domain = "payments-api.apps.acme.example"),
      /^fleet\.stages\.prod\.domain is at or below "payments-api\.apps\.acme\.example", which service payments-api manages in stage prod/,
    ],
    [
      "a tenant host that is a service's name",
      (f) => {
        f.stages.prod.domain = "apps.acme.example";
        f.tenants.push({ id: "payments-api", wave: "general", stages: ["prod"] });
      },
      /^fleet\.tenants\[3\]\.id makes the host name payments-api\.apps\.acme\.example in stage prod, which service payments-api manages/,
    ],
    [
      "a tenant host that holds another stage's zone",
      (f) => {
        f.stages.prod.domain = "apps.acme.example";
        f.tenants.push({ id: "dev", wave: "general", stages: ["prod"] });
      },
      /^fleet\.tenants\[3\]\.id makes the host name dev\.apps\.acme\.example in stage prod, which holds stages\.dev\.zoneName/,
    ],
    [
      "a tenant id too long for the names built from it in a long stage",
      (f, raw) => {
        raw.stages["production-eu-central"] = raw.stages.prod;
        delete raw.stages.prod;
        f.stages["production-eu-central"] = f.stages.prod;
        delete f.stages.prod;
        f.tenants.push({ id: "a-very-long-tenant-identifier-xy", wave: "general", stages: ["production-eu-central"] });
      },
      /^fleet\.tenants\[3\]\.id makes the task role name "accessos-a-very-long-tenant-identifier-xy-production-eu-central-task" 68 characters long \(AWS allows 64\);.* the silo evidence bucket name "acme-accessos-a-very-long-tenant-identifier-xy-production-eu-central" 68 characters long \(AWS allows 63\)/,
    ],
    ["a product of the platform's name", (f) => (f.product = "apps-platform"), /^fleet\.product must not be "apps-platform"/],
    ["a product that is the ephemeral project", (f) => (f.product = "authz"), /^fleet\.product must differ from ephemeral\.project \(authz\)/],
    [
      "a service slug inside the product's name space",
      (_f, raw) => (raw.services[2].slug = "accessos-acme"),
      /^services\[2\] \(accessos-acme\)\.slug names its resources in stage dev "accessos-acme-dev…", inside the fleet's name space "accessos-…"/,
    ],
    ["two catch-all web services", (f) => (f.services = { a: { port: 8080 }, b: { port: 8081 } }), /^fleet\.services\.b is a second web service without a path \(a takes every other request\)/],
    ["a path on a worker", (f) => (f.services = { a: { port: 8080 }, w: { path: "/w" } }), /^fleet\.services\.w\.path needs a port/],
    ["two services with one path", (f) => (f.services = { a: { port: 8080, path: "/x" }, b: { port: 8081, path: "/X" } }), /^fleet\.services\.b\.path must differ from a's, got "\/X"/],
    ["a Fargate size that does not exist", (f) => (f.services = { a: { port: 8080, cpu: 256, memory: 4096 } }), /^fleet\.services\.a\.memory must be one of 512, 1024, 2048 MiB with 256 CPU units on Fargate, got 4096/],
    ["a CPU size and a memory size that do not exist: the memory", (f) => (f.services = { a: { port: 8080, cpu: 3, memory: -1 } }), /^fleet\.services\.a\.memory must be one of the Fargate memory sizes \(512, 1024, .* MiB; which of them depends on cpu\), got -1/],
    ["a CPU size and a memory size that do not exist: the CPU", (f) => (f.services = { a: { port: 8080, cpu: 3, memory: -1 } }), /^fleet\.services\.a\.cpu must be one of the Fargate CPU sizes \(256, .*\), got 3/],
    ["maxCount below desiredCount", (f) => (f.services = { a: { port: 8080, desiredCount: 3, maxCount: 2 } }), /^fleet\.services\.a\.maxCount must be at least desiredCount \(3\), got 2/],
    ["an environment variable the platform sets", (f) => (f.services = { a: { port: 8080, environment: { TENANT_ID: "x" } } }), /^fleet\.services\.a\.environment\.TENANT_ID is set by the platform/],
    ["a secret for a service that does not exist", (f) => (f.secrets[0].services = ["billing"]), /^fleet\.secrets\[0\]\.services\[0\] must be one of the tenant services \(integrations-service, discovery-service, discovery-worker, audit-service, iam-service\), got "billing"/],
    [
      "a secret that is also a plain variable",
      (f) => (f.services = { "iam-service": { port: 8080, environment: { OAUTH_CLIENT_SECRET: "x" } }, "integrations-service": { port: 8081, path: "/i" } }),
      /^fleet\.secrets\[0\]\.environmentVariable is also a plain environment variable of iam-service/,
    ],
    ["ten web services with a path", (f) => (f.services = Object.fromEntries([...Array(10).keys()].map((i) => [`s${i}x`, { port: 8080 + i, path: `/p${i}` }]))), /^fleet\.services has 10 web services with a path/],
    [
      "an image repository in the platform's services' space",
      (f) => (f.services = { a: { port: 8080, repository: "apps-platform/payments-api/prod" } }),
      /^fleet\.services\.a\.repository must be under "accessos\/", the product's namespace/,
    ],
    ["a control-plane service named router", (f) => (f.controlPlane = { router: { port: 8080 } }), /^fleet\.controlPlane\.router must not be named router/],
    ["an unknown tier", (f) => (f.tenants[0].tier = "dedicated"), /^fleet\.tenants\[0\]\.tier must be one of "pool" or "silo"|^fleet\.tenants\[0\]\.tier .*pool.*silo/],
    ["an unknown routing", (f) => (f.routing = "path"), /^fleet\.routing .*hostHeader.*router/],
  ])("refuses %s with a message that names the field, the line and what was given", (_what, change, message) => {
    const problems = problemsOf(withFleet(change));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it("reports every fleet problem of a config at once, each at its own line", () => {
    const text = withFleet((f) => {
      f.tenants[0].wave = "beta";
      f.tenants[1].id = "acme-corp";
      f.stages.dev.domain = "example.org";
    });
    const problems = problemsOf(text);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        `fleet.tenants[0].wave must be one of the waves in fleet.waves (canary, general), got "beta" (c.yaml:${lineOf(text, "wave: beta")}:13)`,
        expect.stringMatching(/^fleet\.tenants\[1\]\.id must be unique, already used by fleet\.tenants\[0\], got "acme-corp" \(c\.yaml:\d+:\d+\)$/),
        expect.stringMatching(/^fleet\.stages\.dev\.domain must be the stage's zone dev\.apps\.acme\.example or a name below it.*got "example\.org" \(c\.yaml:\d+:\d+\)$/),
      ]),
    );
  });

  it("refuses more tenants than the stage accounts' quotas allow, naming the quota and its field", () => {
    const text = withFleet((f) => {
      f.quotas = { dbClustersPerRegion: 5, loadBalancersPerRegion: 2 };
      f.tenants = [...Array(60).keys()].map((i) => ({ id: `t${i}x`, tier: i < 6 ? "silo" : "pool", wave: "general", stages: ["prod"] }));
    });
    const problems = problemsOf(text);
    // 4 web services per tenant: 25 tenants per load balancer, 24 on the first (the control plane's apex service).
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^fleet\.tenants stage prod needs 3 load balancers for 60 tenants, over the quota of 2 \(fleet\.quotas\.loadBalancersPerRegion\)/),
        // 6 silo clusters, the pool's, and payments-api's own database.
        expect.stringMatching(/^fleet\.tenants stage prod needs 8 Aurora DB clusters for 60 tenants \(7 for the fleet, 1 for the platform's services and stacks in the same account\), over the quota of 5 \(fleet\.quotas\.dbClustersPerRegion\)/),
      ]),
    );
    expect(problems.filter((p) => p.startsWith("fleet.tenants stage dev"))).toEqual([]);
  });

  it("writes nothing when the fleet section is invalid", async () => {
    const { run } = await import("../../src/main");
    const os = await import("os");
    const path = await import("path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-invalid-"));
    const file = path.join(dir, "c.yaml");
    fs.writeFileSync(file, withFleet((f) => (f.tenants[0].wave = "beta")));
    const err: string[] = [];
    const code = await run(["--config", file, "--out", path.join(dir, "out"), "--generated", path.join(dir, "generated")], {}, { out: () => {}, err: (t) => err.push(t) });
    expect(code).toBe(2);
    expect(err.join("")).toMatch(/fleet\.tenants\[0\]\.wave must be one of the waves/);
    expect(fs.existsSync(path.join(dir, "generated"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
  });
});
