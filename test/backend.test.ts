import { WORKSPACE_GUARD_ID } from "@acme/apps-platform-constructs/backend";
import { configWith, exampleConfig, synthPlatform } from "./helpers";

describe("the backend factory", () => {
  const { json } = synthPlatform(exampleConfig());

  it("gives every S3 stack a per-stack key, KMS encryption, both lock kinds and a workspace prefix", () => {
    expect(json.get("environment-prod")!.terraform.backend).toEqual({
      s3: {
        bucket: "acme-apps-platform-tfstate",
        key: "environment/prod/terraform.tfstate",
        region: "eu-central-1",
        encrypt: true,
        kms_key_id: "alias/apps-platform/tfstate",
        dynamodb_table: "acme-apps-platform-tflock",
        use_lockfile: true,
        workspace_key_prefix: "env",
      },
    });
    // Service stacks of different stages share a key; their workspaces keep them apart.
    const locations = [...json.values()]
      .filter((j) => j.terraform.backend?.s3)
      .map((j) => {
        const s3 = j.terraform.backend!.s3 as { bucket: string; key: string };
        return `${s3.bucket}/${s3.key}@${(j.resource!.terraform_data[WORKSPACE_GUARD_ID] as any).input.workspace}`;
      });
    expect(new Set(locations).size).toBe(locations.length);
  });

  it("leaves out the DynamoDB lock when the config turns it off", () => {
    const config = configWith((raw) => (raw.backend.dynamodbLock = false));
    const s3 = synthPlatform(config).json.get("environment-dev")!.terraform.backend!.s3;
    expect(s3).not.toHaveProperty("dynamodb_table");
    expect(s3).toMatchObject({ use_lockfile: true });
  });

  it.each([
    ["environment-dev", "dev", "terraform workspace select -or-create dev"],
    ["environment-prod", "prod", "terraform workspace select -or-create prod"],
  ])("fails a plan of %s in any workspace but %s, saying what to run", (stack, workspace, command) => {
    const guard = json.get(stack)!.resource!.terraform_data[WORKSPACE_GUARD_ID] as any;
    expect(guard.lifecycle.precondition).toEqual([
      {
        condition: `\${terraform.workspace == "${workspace}"}`,
        error_message: `This configuration is synthesized for workspace "${workspace}" and must not be planned in another one. Run: ${command}`,
      },
    ]);
  });

  it("starts the state-bootstrap stack on a local backend in the default workspace", () => {
    const bootstrap = json.get("state-bootstrap")!;
    expect(bootstrap.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
    expect((bootstrap.resource!.terraform_data[WORKSPACE_GUARD_ID] as any).lifecycle.precondition[0].condition).toBe(
      '${terraform.workspace == "default"}',
    );
  });

  it("moves the state-bootstrap stack into its own bucket once the config says so", () => {
    const config = configWith((raw) => (raw.backend.stateBootstrapBackend = "s3"));
    expect(synthPlatform(config).json.get("state-bootstrap")!.terraform.backend!.s3).toMatchObject({
      bucket: "acme-apps-platform-tfstate",
      key: "state-bootstrap/apps-platform/terraform.tfstate",
    });
  });

  describe("with Terraform Cloud", () => {
    const config = configWith((raw) => (raw.backend = { kind: "cloud", organization: "acme", project: "apps-platform" }));
    const cloud = synthPlatform(config);

    it("gives each stack its own named workspace in the project and no S3 backend", () => {
      expect(cloud.json.get("environment-dev")!.terraform.cloud).toEqual({
        hostname: "app.terraform.io",
        organization: "acme",
        workspaces: { name: "environment-dev", project: "apps-platform" },
      });
      expect(cloud.json.get("environment-dev")!.terraform.backend).toBeUndefined();
    });

    it("has no state-bootstrap stack and no workspace guard, since a named workspace cannot be switched", () => {
      // The tfc stack, first, makes the workspaces (stacks/tfc.ts).
      expect([...cloud.json.keys()].filter((k) => !/^(onboarding-|service-|ephemeral$|authorizer-|fleet-|tenant-)/.test(k))).toEqual(["tfc", "ci-identity", "environment-dev", "environment-prod"]);
      // The fleet's stacks, like every other, have a named workspace each and no guard.
      for (const name of ["fleet-prod", "tenant-globex-prod"]) {
        expect(cloud.json.get(name)!.terraform.cloud).toMatchObject({ workspaces: { name, project: "apps-platform" } });
        expect(cloud.json.get(name)!.resource!.terraform_data).toBeUndefined();
      }
      expect(cloud.json.get("environment-dev")!.resource!.terraform_data).toBeUndefined();
    });
  });
});
