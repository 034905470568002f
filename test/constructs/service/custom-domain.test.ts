import { AppRunnerCustomDomain, appRunnerValidationRecordCount } from "@acme/apps-platform-constructs/service";
import { byId, one, synthWith } from "../helpers";

const props = { domainName: "orders.dev.apps.acme.example", zoneId: "Z0DEV", serviceArn: "arn:aws:apprunner:eu-central-1:222222222222:service/orders-dev/abc" };
const synth = (www: boolean) => synthWith((stack) => new AppRunnerCustomDomain(stack, "custom-domain", { ...props, www }));

describe("AppRunnerCustomDomain", () => {
  it.each([false, true])("with www %s writes App Runner's known number of validation records, each one element of the association's set", (www) => {
    const json = synth(www);
    const count = appRunnerValidationRecordCount(www);
    expect(count).toBe(www ? 5 : 3);
    const validation = Object.values(byId(json, "aws_route53_record")).filter((r) => r.allow_overwrite);
    expect(validation).toHaveLength(count);
    validation.forEach((r, i) => {
      expect(r.zone_id).toBe("Z0DEV");
      const records = `tolist(tolist(aws_apprunner_custom_domain_association.custom-domain_association_${idOf(json)}.certificate_validation_records))`;
      expect([r.name, r.type, r.records]).toEqual([`\${element(${records}, ${i}).name}`, `\${element(${records}, ${i}).type}`, [`\${element(${records}, ${i}).value}`]]);
    });
    const association = one(json, "aws_apprunner_custom_domain_association");
    expect(association).toMatchObject({ domain_name: props.domainName, service_arn: props.serviceArn, enable_www_subdomain: www });
    expect(association.lifecycle.postcondition[0].condition).toBe(`\${length(self.certificate_validation_records) == ${count}}`);
  });

  it.each([
    [false, ["orders.dev.apps.acme.example"]],
    [true, ["orders.dev.apps.acme.example", "www.orders.dev.apps.acme.example"]],
  ])("with www %s points each served name at the service with a CNAME", (www, names) => {
    const cnames = Object.values(byId(synth(www), "aws_route53_record")).filter((r) => !r.allow_overwrite);
    expect(cnames.map((r) => r.name)).toEqual(names);
    for (const r of cnames) expect(r).toMatchObject({ type: "CNAME", ttl: 300, records: [expect.stringMatching(/\.dns_target\}$/)] });
  });

  it("is reached at https://<domain>", () => {
    synthWith((stack) => expect(new AppRunnerCustomDomain(stack, "d", { ...props, www: false }).url).toBe("https://orders.dev.apps.acme.example"));
  });
});

function idOf(json: ReturnType<typeof synth>): string {
  return Object.keys(byId(json, "aws_apprunner_custom_domain_association"))[0].replace("custom-domain_association_", "");
}
