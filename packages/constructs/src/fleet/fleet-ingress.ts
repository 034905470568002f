import { Construct } from "constructs";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ITerraformDependable } from "cdktf";
import { skipCheck } from "../checks";

/** TLS 1.2 and 1.3 only, forward secrecy. */
export const FLEET_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** The fleet's shared load balancers. */
export interface FleetIngressProps {
  /** The load balancers' names, one per load balancer the placement needs. */
  readonly loadBalancerNames: string[];
  /** The load balancers' security group's name. */
  readonly securityGroupName: string;
  /** The stage's VPC. */
  readonly vpcId: string;
  /** The VPC's CIDR: the load balancers reach targets there only. */
  readonly vpcCidr: string;
  /** The public subnets the load balancers are in. */
  readonly publicSubnetIds: string[];
  /** The fleet's domain: the certificate covers it and `*.<domain>`. */
  readonly domain: string;
  /** The stage zone the certificate is validated in. */
  readonly zoneId: string;
  /** The bucket access logs go to (SSE-S3: ALB access logs support no customer key). */
  readonly accessLogBucket: string;
  /** The ports targets listen on. */
  readonly targetPorts: number[];
  /** Deletion protection on the load balancers. @default true */
  readonly deletionProtection?: boolean;
  /** Resources to create before the load balancers (the log bucket's policy). @default none: no ordering beyond references */
  readonly dependsOn?: ITerraformDependable[];
}

/** One shared load balancer with its listeners. */
export interface FleetLoadBalancer {
  /** The load balancer. */
  readonly lb: Lb;
  /** Its HTTPS listener, which tenants' rules are attached to. */
  readonly https: LbListener;
}

/**
 * The fleet's shared ingress: internet-facing ALBs in the public subnets, each with an HTTPS listener
 * (wildcard certificate for `*.<domain>` and the domain itself, validated in the stage zone, TLS 1.2+)
 * whose default answer is 404, and an HTTP listener that only redirects to HTTPS. Invalid headers are
 * dropped, access logs kept. Tenants' rules are attached by the tenant stacks.
 */
export class FleetIngress extends Construct {
  public readonly securityGroup: SecurityGroup;
  public readonly certificateArn: string;
  public readonly loadBalancers: FleetLoadBalancer[];

  constructor(scope: Construct, id: string, props: FleetIngressProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: props.securityGroupName,
      description: `${props.domain}: HTTPS from the internet to the fleet's load balancers`,
      vpcId: props.vpcId,
    });
    for (const port of [443, 80]) {
      const rule = new VpcSecurityGroupIngressRule(this, `from-internet-${port}`, {
        securityGroupId: this.securityGroup.id,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description: port === 443 ? "HTTPS from the internet" : "HTTP from the internet, redirected to HTTPS",
      });
      if (port === 80) skipCheck(rule, "CKV_AWS_260", "port 80 only answers with a redirect to HTTPS (the HTTP listener has no other action)");
    }
    for (const port of [...new Set(props.targetPorts)].sort((a, b) => a - b)) {
      new VpcSecurityGroupEgressRule(this, `to-targets-${port}`, {
        securityGroupId: this.securityGroup.id,
        cidrIpv4: props.vpcCidr,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description: `To targets on port ${port} in the VPC`,
      });
    }

    const certificate = new AcmCertificate(this, "certificate", {
      domainName: `*.${props.domain}`,
      subjectAlternativeNames: [props.domain],
      validationMethod: "DNS",
      keyAlgorithm: "EC_prime256v1",
      lifecycle: { createBeforeDestroy: true },
    });
    skipCheck(certificate, "CKV2_AWS_71", "tenants are <tenant>.<domain>: one wildcard certificate serves every tenant's host name on the shared listeners");
    // ACM gives `*.<domain>` and `<domain>` the same validation record, so one record validates both
    // (a for_each over the options would need their names, which are not known until the certificate is).
    const option = certificate.domainValidationOptions.get(0);
    const record = new Route53Record(this, "validation", {
      zoneId: props.zoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "certificate-validation", {
      certificateArn: certificate.arn,
      validationRecordFqdns: [record.fqdn],
    });
    this.certificateArn = validation.certificateArn;

    this.loadBalancers = props.loadBalancerNames.map((name, i) => {
      const lb = new Lb(this, `lb-${i + 1}`, {
        name,
        loadBalancerType: "application",
        internal: false,
        securityGroups: [this.securityGroup.id],
        subnets: props.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: props.deletionProtection ?? true,
        accessLogs: { bucket: props.accessLogBucket, prefix: name, enabled: true },
        dependsOn: props.dependsOn,
      });
      skipCheck(lb, "CKV2_AWS_28", "a WAF web ACL is an organisation's choice of rules and cost; the listener drops invalid headers and serves TLS 1.2+ only");
      if (props.deletionProtection === false) skipCheck(lb, "CKV_AWS_150", "an ephemeral stage's load balancer is destroyed with the stage");
      const https = new LbListener(this, `lb-${i + 1}-https`, {
        loadBalancerArn: lb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: FLEET_TLS_POLICY,
        certificateArn: this.certificateArn,
        defaultAction: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } }],
      });
      new LbListener(this, `lb-${i + 1}-http`, {
        loadBalancerArn: lb.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      });
      return { lb, https };
    });
  }
}
