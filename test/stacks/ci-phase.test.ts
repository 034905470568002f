import { exampleConfig, synthPlatform } from "../helpers";

/**
 * `ci_phase` switches every provider of every platform stack between the provisioner role (apply)
 * and the read role of the same account (plan); service stacks keep their own `platform_role_arn`.
 */
describe("the ci_phase variable of the platform stacks", () => {
  const config = exampleConfig();
  const json = synthPlatform(config).json;
  // The authorizer's stacks assume their own provisioner roles (src/policy/ephemeral-ci.ts), run by npm run ephemeral.
  const platform = [...json].filter(([name]) => !name.startsWith("service-") && name !== "ephemeral" && !name.startsWith("authorizer-"));
  const provisionerOf = (account: string) => (account === config.deploymentAccount.accountId ? config.deploymentAccount.roleName : config.platformRoleName);

  it("exists on every platform stack, apply by default, plan or apply only", () => {
    expect(platform.map(([name]) => name)).toEqual(expect.arrayContaining(["state-bootstrap", "ci-identity", "environment-dev", "environment-prod", "onboarding-payments-api", "fleet-dev", "tenant-globex-prod"]));
    for (const [name, stack] of platform) {
      expect([name, (stack as any).variable?.ci_phase]).toEqual([
        name,
        {
          type: "string",
          default: "apply",
          description: expect.stringContaining("apps-platform-read"),
          validation: [{ condition: '${contains(["apply","plan"], var.ci_phase)}', error_message: 'ci_phase must be one of "apply", "plan".' }],
        },
      ]);
    }
  });

  it("points every aws provider of a platform stack at the read role of its own account for a plan", () => {
    const accounts = new Set<string>();
    for (const [name, stack] of platform) {
      for (const provider of stack.provider!.aws as any[]) {
        const account = provider.allowed_account_ids[0];
        accounts.add(account);
        expect([name, provider.assume_role]).toEqual([
          name,
          [
            {
              role_arn: `\${(var.ci_phase == "plan") ? "arn:aws:iam::${account}:role/apps-platform/ci/apps-platform-read" : "arn:aws:iam::${account}:role/${provisionerOf(account)}"}`,
              session_name: "apps-platform",
            },
          ],
        ]);
      }
    }
    // Every account a plan works in has its read role, made by ci-identity or its stage's environment stack.
    const readRoles = platform.flatMap(([, stack]) =>
      Object.values(stack.resource?.aws_iam_role ?? {})
        .filter((r: any) => r.name === "apps-platform-read")
        .map((r: any) => (stack.provider!.aws as any[]).find((p) => (p.alias ? `aws.${p.alias}` : undefined) === r.provider)!.allowed_account_ids[0]),
    );
    expect(readRoles.sort()).toEqual([...accounts].sort());
  });

  it("leaves the service stacks to their platform_role_arn", () => {
    const services = [...json].filter(([name]) => name.startsWith("service-"));
    expect(services.length).toBeGreaterThan(0);
    for (const [name, stack] of services) {
      expect([name, (stack as any).variable?.ci_phase, (stack.provider!.aws as any[]).map((p) => p.assume_role[0].role_arn)]).toEqual([name, undefined, ["${var.platform_role_arn}"]]);
    }
  });
});
