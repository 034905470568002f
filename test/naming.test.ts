import fc from "fast-check";
import { subnetLayout, cidrsOverlap } from "@acme/apps-platform-constructs/network";
import {
  LONGEST_STAGE_LENGTH,
  SLUG_PATTERN,
  STAGE_PATTERN,
  TENANT_ID_PATTERN,
  ephemeralStageNames,
  ephemeralStageNamesToCheck,
  fargateServiceNames,
  fleetTenantNames,
  limitProblem,
  managedPolicyName,
  normaliseDnsName,
  overLimit,
  serviceDnsNames,
  serviceLogGroupName,
  serviceSecretName,
  serviceStageNames,
  stackNames,
} from "@acme/apps-platform-constructs/naming";

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
// fast-check cannot generate from lookaheads; build slug-shaped strings and keep those the pattern takes.
const slug = fc
  .stringMatching(/^[a-z][a-z0-9]{0,8}(?:-[a-z0-9]{1,8}){0,4}$/)
  .filter((s) => SLUG_PATTERN.test(s));
const stage = fc.stringMatching(STAGE_PATTERN);

describe("naming", () => {
  it("refuses slugs that are no DNS label: doubled, leading or trailing hyphens, capitals, underscores", () => {
    for (const bad of ["a--b", "-ab", "ab-", "Ab", "a_b", "a", "1ab", "a".repeat(33)]) expect(SLUG_PATTERN.test(bad)).toBe(false);
    for (const good of ["ab", "payments-api", "a1-b2-c3", "a".repeat(32)]) expect(SLUG_PATTERN.test(good)).toBe(true);
  });

  it("normalises DNS names as Route 53 presents them to IAM: lowercase, no trailing dot, idempotent", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), { minLength: 1, maxLength: 4 }), fc.boolean(), (labels, dot) => {
        const name = labels.join(".") + (dot ? "." : "");
        const n = normaliseDnsName(name);
        expect(n).toBe(n.toLowerCase());
        expect(n.endsWith(".")).toBe(false);
        expect(normaliseDnsName(n)).toBe(n);
        expect(n).toBe(labels.join(".").toLowerCase());
      }),
    );
  });

  it("decodes the octal escapes Route 53 uses for characters such as the wildcard", () => {
    expect(normaliseDnsName("\\052.Payments.Apps.Example.com.")).toBe("*.payments.apps.example.com");
  });

  it("gives each service exactly its own name and the names below it in the zone", () => {
    fc.assert(
      fc.property(slug, fc.array(label, { minLength: 1, maxLength: 3 }), (s, zoneLabels) => {
        const zone = zoneLabels.join(".");
        const names = serviceDnsNames(s, zone);
        expect(names.apex).toBe(`${s}.${zone}`);
        expect(names.wildcard).toBe(`*.${s}.${zone}`);
      }),
    );
  });

  it("derives stack names that are valid Terraform Cloud workspace and directory names", () => {
    fc.assert(
      fc.property(slug, stage, (s, st) => {
        for (const name of [stackNames.environment(st), stackNames.onboarding(s), stackNames.service(s, st)]) {
          expect(name).toMatch(/^[a-z0-9-]{1,90}$/);
        }
        expect(stackNames.service(s, st)).not.toBe(stackNames.environment(st));
      }),
    );
  });

  it("reports a per-stage name over its AWS limit, and only then", () => {
    fc.assert(
      fc.property(slug, stage, (s, st) => {
        const names = serviceStageNames(s, st);
        const over = overLimit(names).map((n) => n.what);
        for (const n of Object.values(names)) expect(over.includes(n.what)).toBe(n.name.length > n.limit);
      }),
    );
  });

  it("lays out one public and one private subnet per AZ, disjoint and inside the VPC", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 24 }), fc.integer({ min: 1, max: 6 }), (octet, prefix, az) => {
        const cidr = `10.${octet}.0.0/${prefix}`;
        const layout = subnetLayout(cidr, az);
        if (!layout) return;
        const all = [...layout.public, ...layout.private];
        expect(layout.public).toHaveLength(az);
        expect(layout.private).toHaveLength(az);
        all.forEach((a, i) => {
          expect(cidrsOverlap(a, cidr)).toBe(true);
          all.slice(i + 1).forEach((b) => expect(cidrsOverlap(a, b)).toBe(false));
        });
      }),
    );
  });

  describe("fleet tenants", () => {
    const id = fc
      .stringMatching(/^[a-z][a-z0-9]{0,6}(?:-[a-z0-9]{1,6}){0,4}$/)
      .filter((s) => TENANT_ID_PATTERN.test(s));
    const names = (x: string, st: string) => fleetTenantNames("acme", "accessos", x, st);

    it("gives two ids two database users: hyphens become underscores, which no id holds", () => {
      fc.assert(
        fc.property(id, id, stage, (a, b, st) => {
          fc.pre(a !== b);
          expect(names(a, st).databaseUser.name).not.toBe(names(b, st).databaseUser.name);
        }),
      );
      // The platform's clusters are made with the master user `app`; no tenant's user is it, or PostgreSQL's own.
      for (const x of ["app", "postgres", "rdsadmin"]) expect(names("acme", "dev").databaseUser.name).not.toBe(x);
    });

    it("keeps every prefix of a tenant out of every other tenant's, an id that is another's prefix (acme, acme-corp) included", () => {
      fc.assert(
        fc.property(id, id, stage, (a, b, st) => {
          fc.pre(a !== b);
          const x = names(a, st);
          const y = names(b, st);
          for (const field of ["evidencePrefix", "secretPrefix", "logGroupPrefix"] as const) expect(`${y[field].name}x`.startsWith(x[field].name)).toBe(false);
        }),
      );
      expect("tenants/acme-corp/x".startsWith(names("acme", "dev").evidencePrefix.name)).toBe(false);
    });
  });

  it("gives every ephemeral stage a workspace may be names within their limits, and measures the template's with the longest one", () => {
    fc.assert(
      fc.property(stage, (st) => {
        expect(overLimit(ephemeralStageNames(st))).toEqual([]);
      }),
    );
    expect(LONGEST_STAGE_LENGTH).toBe(32);
    expect(STAGE_PATTERN.test("s".repeat(LONGEST_STAGE_LENGTH))).toBe(true);
    expect(STAGE_PATTERN.test("s".repeat(LONGEST_STAGE_LENGTH + 1))).toBe(false);
    const template = ephemeralStageNamesToCheck("${terraform.workspace}");
    expect(template.function.name).toBe(`${"s".repeat(32)}-authorizer`);
    expect(ephemeralStageNamesToCheck("pr-1").function.name).toBe("pr-1-authorizer");
  });

  it("leaves a name known only at plan out of the length check", () => {
    expect(overLimit([{ what: "x", name: `\${terraform.workspace}${"x".repeat(100)}`, limit: 10 }])).toEqual([]);
    expect(overLimit([{ what: "x", name: "x".repeat(11), limit: 10 }])).toHaveLength(1);
  });

  it("says which name is over its limit, how long it is and what AWS allows", () => {
    expect(limitProblem({ what: "table name", name: "abcd", limit: 3 })).toBe('the table name "abcd" is 4 characters long; AWS allows at most 3');
  });

  it("derives the suffixed names constructs used to build themselves, each with its limit", () => {
    expect(managedPolicyName("orders-dev-deploy", 0)).toEqual({ what: "managed policy name", name: "orders-dev-deploy-1", limit: 128 });
    expect(serviceSecretName("orders", "dev", "stripe-key")).toEqual({ what: 'secret name of "stripe-key"', name: "apps-platform/services/dev/orders/stripe-key", limit: 512 });
    expect(serviceLogGroupName("orders", "dev", "web")).toEqual({ what: "web log group name", name: "/apps-platform/dev/orders/web", limit: 512 });
    const fargate = fargateServiceNames("acme-corp-web", "accessos-acme-corp-dev-web-");
    expect(fargate.scalingPolicy).toEqual({ what: "CPU scaling policy name", name: "acme-corp-web-cpu", limit: 256 });
    expect(fargate.alarm("5xx")).toEqual({ what: "5xx alarm name", name: "accessos-acme-corp-dev-web-5xx", limit: 255 });
  });

  it("keeps a service's secret and log group names within their limits for any slug, stage and secret name", () => {
    fc.assert(
      fc.property(slug, stage, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), (s, st, secret) => {
        expect(overLimit([serviceSecretName(s, st, secret), serviceLogGroupName(s, st, "web")])).toEqual([]);
      }),
    );
  });
});
