import { z } from "zod";

/**
 * The standard for tenant provisioning inputs and outputs (the seed's open question), as schemas.
 * The input is what the tenant registry holds for each tenant (written by its tenant stack, read by
 * the control plane, which creates the tenant's database user and schema from it); the output is the
 * `provisioning` output of the tenant stack, what a tenant's onboarding automation reads back.
 * Both are exported as JSON Schema to docs/fleet-provisioning.schema.json.
 */

export const PROVISIONING_SCHEMA_VERSION = 1;

const storage = z.strictObject({
  bucket: z.string().describe("The bucket the tenant's evidence is in: the pool bucket or its own."),
  prefix: z.string().describe("The key prefix that is the tenant's: tenants/<id>/."),
});

const database = z.strictObject({
  host: z.string().describe("The writer endpoint: the pool cluster's, or the silo cluster's."),
  port: z.literal(5432),
  name: z.string().describe("The database the tenant's schema is in."),
  user: z.string().describe("The PostgreSQL user (IAM authentication, rds-db:connect on this user only)."),
  schema: z.string().describe("The tenant's schema."),
  authentication: z.literal("iam"),
});

export const provisioningInputSchema = z
  .strictObject({
    schemaVersion: z.literal(PROVISIONING_SCHEMA_VERSION),
    tenantId: z.string(),
    product: z.string(),
    stage: z.string(),
    tier: z.enum(["pool", "silo"]),
    wave: z.string(),
    image: z.string().describe("The image tag every service of the tenant runs (its wave's)."),
    paused: z.boolean(),
    allowDestroy: z.boolean(),
    host: z.string().describe("<id>.<domain>"),
    services: z.array(z.string()),
    storage,
    database,
    secretsPath: z.string().describe("/<product>/<stage>/<id>/: the tenant's secrets, by name below it."),
  })
  .describe("A tenant's provisioning parameters: one item of the tenant registry (attribute `parameters`).");

export const provisioningOutputSchema = z
  .strictObject({
    schemaVersion: z.literal(PROVISIONING_SCHEMA_VERSION),
    tenantId: z.string(),
    stage: z.string(),
    tier: z.enum(["pool", "silo"]),
    url: z.string().describe("https://<id>.<domain>"),
    serviceUrls: z.record(z.string(), z.string()).describe("Each web service's URL (hostHeader routing) or its Cloud Map name (router routing)."),
    storage,
    database,
    secrets: z.strictObject({ path: z.string(), names: z.array(z.string()) }).describe("Where the secrets are; never their values."),
    roles: z.strictObject({ task: z.string(), execution: z.string() }),
    loadBalancer: z.number().int().describe("The shared load balancer the tenant is placed on (1-based)."),
  })
  .describe("The tenant stack's `provisioning` output.");

export type ProvisioningInput = z.output<typeof provisioningInputSchema>;
export type ProvisioningOutput = z.output<typeof provisioningOutputSchema>;

/** One schema as a definition of the document: its own `$schema` belongs to the document's root only. */
function definition(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12" }) as Record<string, unknown>;
  return rest;
}

/** Both schemas as one JSON Schema document (docs/fleet-provisioning.schema.json, written by `npm run schema`). */
export function provisioningJsonSchema(): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://apps-platform.invalid/fleet-provisioning.schema.json",
    title: "apps-platform fleet tenant provisioning",
    description:
      "The standard for fleet tenant provisioning: $defs.input is what the tenant registry holds for each tenant (attribute `parameters`), $defs.output the `provisioning` output of the tenant's stack tenant-<id>-<stage>. See docs/fleet.md.",
    $defs: {
      input: definition(provisioningInputSchema),
      output: definition(provisioningOutputSchema),
    },
  };
}
