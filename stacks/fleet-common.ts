import { FleetConfig } from "../src/config/fleet-schema";
import { PlatformConfig } from "../src/config/schema";
import { controlPlaneServices } from "../src/fleet/model";
import { FleetScope } from "@acme/apps-platform-constructs/policy";

/** The fleet scope of a stage, for the policies. */
export function fleetScope(config: PlatformConfig, partition: string, stage: string): FleetScope {
  return { partition, region: config.region, accountId: config.stages[stage].accountId, organisation: config.organisation, product: config.fleet!.product, stage };
}

/** Every ECR repository the fleet's images come from: tenant services' and the control plane's. */
export function fleetRepositories(fleet: FleetConfig): string[] {
  const all = [...Object.entries(fleet.services), ...Object.entries(controlPlaneServices(fleet))].map(([name, svc]) => svc.repository ?? `${fleet.product}/${name}`);
  return [...new Set(all)].sort();
}

/** The repositories of the tenant services. */
export function tenantRepositories(fleet: FleetConfig): string[] {
  return [...new Set(Object.entries(fleet.services).map(([name, svc]) => svc.repository ?? `${fleet.product}/${name}`))].sort();
}

/** An image in the stage account's registry. */
export function imageUri(s: FleetScope, repository: string, tag: string): string {
  const host = `${s.accountId}.dkr.ecr.${s.region}.amazonaws.com${s.partition === "aws-cn" ? ".cn" : ""}`;
  return `${host}/${repository}:${tag}`;
}
