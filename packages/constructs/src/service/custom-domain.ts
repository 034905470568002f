import { Construct } from "constructs";
import { Fn } from "cdktf";
import { ApprunnerCustomDomainAssociation } from "@cdktf/provider-aws/lib/apprunner-custom-domain-association";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";

export interface CustomDomainProps {
  /** `<slug>.<zone>`. */
  readonly domainName: string;
  /** Also serve `www.<domainName>`. */
  readonly www: boolean;
  /** The stage's hosted zone. */
  readonly zoneId: string;
}

/** App Runner issues this many certificate validation records for a domain (three; five with www). */
export function appRunnerValidationRecordCount(www: boolean): number {
  return www ? 5 : 3;
}

/** A CNAME from each served name to the service. */
function aliasRecords(scope: Construct, props: CustomDomainProps, target: string): void {
  const names = props.www ? [props.domainName, `www.${props.domainName}`] : [props.domainName];
  names.forEach(
    (name, i) => new Route53Record(scope, `name-${i + 1}`, { zoneId: props.zoneId, name, type: "CNAME", ttl: 300, records: [target] }),
  );
}

/**
 * A value of the i-th element of a set attribute. Sets are unknown until the resource exists, so
 * Terraform cannot `for_each` over them in the plan that creates it; the record count is fixed in
 * the configuration instead and each record takes one element.
 */
function element(set: unknown, i: number, key: string): string {
  return Fn.lookup(Fn.element(Fn.tolist(set as string[]), i), key, "");
}

/** App Runner's own certificate for the domain: an association, its validation records, the CNAMEs. */
export class AppRunnerCustomDomain extends Construct {
  public readonly url: string;

  constructor(scope: Construct, id: string, props: CustomDomainProps & { readonly serviceArn: string }) {
    super(scope, id);
    const count = appRunnerValidationRecordCount(props.www);
    const association = new ApprunnerCustomDomainAssociation(this, "association", {
      domainName: props.domainName,
      serviceArn: props.serviceArn,
      enableWwwSubdomain: props.www,
      lifecycle: {
        postcondition: [
          {
            condition: `\${length(self.certificate_validation_records) == ${count}}`,
            errorMessage: `App Runner returned another number of certificate validation records than the ${count} this configuration writes; the certificate will not validate. Report it with the plan output.`,
          },
        ],
      },
    });
    for (let i = 0; i < count; i++) {
      new Route53Record(this, `validation-${i + 1}`, {
        zoneId: props.zoneId,
        name: element(association.certificateValidationRecords, i, "name"),
        type: element(association.certificateValidationRecords, i, "type"),
        ttl: 300,
        records: [element(association.certificateValidationRecords, i, "value")],
        allowOverwrite: true,
      });
    }
    aliasRecords(this, props, association.dnsTarget);
    this.url = `https://${props.domainName}`;
  }
}
