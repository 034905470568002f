import * as fs from "fs";
import Ajv2020 from "ajv/dist/2020";
import { Testing } from "cdktf";
import { PROVISIONING_SCHEMA_FILE } from "../../src/config/schema-export";
import { PlatformConfig } from "../../src/config/schema";
import { fleetStage } from "../../src/fleet/model";
import { TenantStack } from "../../stacks/tenant";
import { TfJson, configWith, exampleConfig, resourcesOf } from "../helpers";

/**
 * The provisioning standard (docs/fleet-provisioning.schema.json) against what the tenant stacks
 * really produce: the registry item's `parameters` ($defs.input) and the `provisioning` output
 * ($defs.output), for a pool and a silo tenant, with either routing.
 */

const schema = JSON.parse(fs.readFileSync(PROVISIONING_SCHEMA_FILE, "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addSchema(schema);
const validate = (def: "input" | "output", value: unknown) => {
  const v = ajv.getSchema(`${schema.$id}#/$defs/${def}`)!;
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
};

function tenantJson(config: PlatformConfig, stage: string, id: string): TfJson {
  const fs_ = fleetStage(config.fleet!, stage);
  const stack = new TenantStack(Testing.app(), config, fs_, fs_.tenants.find((t) => t.tenant.id === id)!);
  return JSON.parse(Testing.synth(stack));
}

/** The registry item's parameters: the item is DynamoDB JSON, its `parameters` attribute a JSON string. */
function registryParameters(json: TfJson): unknown {
  const item = JSON.parse(String(resourcesOf(json, "aws_dynamodb_table_item")[0].item));
  return JSON.parse(item.parameters.S);
}

describe("the provisioning schema", () => {
  it("is a strict JSON Schema 2020-12 document with an input and an output", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(schema.$defs)).toEqual(["input", "output"]);
    // Nothing beyond the standard: an automation that reads more than it names fails here, not in production.
    expect(schema.$defs.input.additionalProperties).toBe(false);
    expect(schema.$defs.output.additionalProperties).toBe(false);
  });

  describe.each([
    ["hostHeader", "prod", "globex", "silo"],
    ["hostHeader", "dev", "initech", "pool"],
    ["router", "prod", "acme-corp", "pool"],
  ] as const)("with %s routing, %s tenant %s (%s)", (routing, stage, id, tier) => {
    const config = routing === "hostHeader" ? exampleConfig() : configWith((raw) => (raw.fleet.routing = "router"));
    const json = tenantJson(config, stage, id);
    const domain = config.fleet!.stages[stage].domain;

    it("writes the registry item's parameters as $defs.input says", () => {
      const input = registryParameters(json) as Record<string, any>;
      expect(validate("input", input)).toEqual([]);
      expect(input).toMatchObject({ schemaVersion: 1, tenantId: id, product: "accessos", stage, tier, host: `${id}.${domain}`, secretsPath: `/accessos/${stage}/${id}/` });
      expect(input.storage.prefix).toBe(`tenants/${id}/`);
    });

    it("outputs provisioning as $defs.output says", () => {
      const output = json.output!.provisioning.value as Record<string, any>;
      expect(validate("output", output)).toEqual([]);
      expect(output).toMatchObject({ schemaVersion: 1, tenantId: id, stage, tier, url: `https://${id}.${domain}`, loadBalancer: 1 });
      expect(output.database).toMatchObject({ port: 5432, user: `tenant_${id.replace(/-/g, "_")}`, authentication: "iam" });
      expect(output.secrets).toEqual({ path: `/accessos/${stage}/${id}/`, names: ["oauth-client-secret"] });
      // A URL per web service: the host and path, or the service's Cloud Map name behind the router.
      expect(Object.keys(output.serviceUrls).sort()).toEqual(["audit-service", "discovery-service", "iam-service", "integrations-service"]);
      if (routing === "hostHeader") expect(output.serviceUrls["audit-service"]).toBe(`https://${id}.${domain}/audit`);
      else expect(output.serviceUrls["audit-service"]).toBe(`http://${id}-audit-service.${stage}.accessos.internal:8080`);
    });
  });

  it("refuses what the standard does not allow", () => {
    const output = tenantJson(exampleConfig(), "prod", "globex").output!.provisioning.value as Record<string, any>;
    expect(validate("output", { ...output, schemaVersion: 2 })).not.toEqual([]);
    expect(validate("output", { ...output, password: "x" })).toEqual(["/ must NOT have additional properties"]);
    const { roles: _, ...withoutRoles } = output;
    expect(validate("output", withoutRoles)).toEqual(["/ must have required property 'roles'"]);
  });
});
