import { FLEET_TLS_POLICY, FleetIngress, FleetIngressProps } from "@acme/apps-platform-constructs/fleet";
import { byId, one, synthWith } from "../helpers";

const base: FleetIngressProps = {
  loadBalancerNames: ["accessos-dev-1", "accessos-dev-2"],
  securityGroupName: "accessos-dev-alb",
  vpcId: "vpc-0123",
  vpcCidr: "10.20.0.0/16",
  publicSubnetIds: ["subnet-c", "subnet-d"],
  domain: "accessos.dev.apps.acme.example",
  zoneId: "Z0DEV",
  accessLogBucket: "acme-accessos-dev-alb-logs",
  targetPorts: [8080, 3000, 8080],
};
const synth = (props: Partial<FleetIngressProps> = {}) => synthWith((stack) => new FleetIngress(stack, "ingress", { ...base, ...props }));

describe("FleetIngress", () => {
  it("makes one internet-facing ALB per name, dropping invalid headers, protected from deletion, logging access", () => {
    const lbs = Object.values(byId(synth(), "aws_lb"));
    expect(lbs.map((l) => l.name)).toEqual(base.loadBalancerNames);
    for (const lb of lbs) {
      expect(lb).toMatchObject({ load_balancer_type: "application", internal: false, subnets: base.publicSubnetIds, drop_invalid_header_fields: true, enable_deletion_protection: true });
      expect(lb.access_logs).toEqual({ bucket: base.accessLogBucket, prefix: lb.name, enabled: true });
    }
    expect(Object.values(byId(synth({ deletionProtection: false }), "aws_lb")).every((l) => l.enable_deletion_protection === false)).toBe(true);
  });

  it("serves HTTPS with TLS 1.2+ and a 404 by default, and answers HTTP only with a redirect", () => {
    const listeners = Object.values(byId(synth({ loadBalancerNames: ["accessos-dev-1"] }), "aws_lb_listener"));
    const https = listeners.find((l) => l.port === 443)!;
    expect(https).toMatchObject({ protocol: "HTTPS", ssl_policy: FLEET_TLS_POLICY, certificate_arn: expect.stringMatching(/aws_acm_certificate_validation/) });
    expect(https.default_action).toEqual([{ type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "404", message_body: "Not found" } }]);
    const http = listeners.find((l) => l.port === 80)!;
    expect(http.default_action).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }]);
    expect(FLEET_TLS_POLICY).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
  });

  it("validates one wildcard certificate for the domain and its tenants in the stage zone", () => {
    const json = synth();
    expect(one(json, "aws_acm_certificate")).toMatchObject({ domain_name: "*.accessos.dev.apps.acme.example", subject_alternative_names: ["accessos.dev.apps.acme.example"], validation_method: "DNS" });
    expect(one(json, "aws_route53_record")).toMatchObject({ zone_id: "Z0DEV", ttl: 300, allow_overwrite: true });
  });

  it("admits 443 and 80 from the internet and reaches only the target ports, once each, inside the VPC", () => {
    const json = synth();
    expect(Object.values(byId(json, "aws_vpc_security_group_ingress_rule")).map((r) => [r.from_port, r.cidr_ipv4]).sort()).toEqual([
      [443, "0.0.0.0/0"],
      [80, "0.0.0.0/0"],
    ]);
    expect(Object.values(byId(json, "aws_vpc_security_group_egress_rule")).map((r) => [r.from_port, r.cidr_ipv4])).toEqual([
      [3000, "10.20.0.0/16"],
      [8080, "10.20.0.0/16"],
    ]);
  });
});
