import { AccountProvider, AccountProviderProps, CI_PHASE_VARIABLE, deploymentAccountProvider } from "@acme/apps-platform-constructs/core";
import { emptyStack, synthWith, validationError } from "../helpers";

const base = { region: "eu-central-1", partition: "aws", accountId: "222222222222" } as const;

const providerOf = (props: AccountProviderProps) => {
  const json = synthWith((stack) => new AccountProvider(stack, "account", props));
  return { json, provider: json.provider!.aws[0] as Record<string, any> };
};

describe("AccountProvider", () => {
  it("assumes the provisioner role in its one account, or the account's read role when ci_phase is plan", () => {
    const { json, provider } = providerOf({ ...base, roleName: "apps-platform-provisioner" });
    expect(provider.allowed_account_ids).toEqual(["222222222222"]);
    expect(provider.region).toBe("eu-central-1");
    expect(provider.assume_role).toEqual([
      {
        role_arn: '${(var.ci_phase == "plan") ? "arn:aws:iam::222222222222:role/apps-platform/ci/apps-platform-read" : "arn:aws:iam::222222222222:role/apps-platform-provisioner"}',
        session_name: "apps-platform",
      },
    ]);
    expect(json.variable![CI_PHASE_VARIABLE]).toMatchObject({ type: "string", default: "apply" });
    expect((json.variable![CI_PHASE_VARIABLE] as any).validation[0].error_message).toBe('ci_phase must be one of "apply", "plan".');
  });

  it("assumes a role given by ARN (a variable) in every phase, under its own session name and alias", () => {
    const { json, provider } = providerOf({ ...base, roleArn: "${var.platform_role_arn}", alias: "stage_dev", sessionName: "orders-dev" });
    expect(provider).toMatchObject({ alias: "stage_dev", assume_role: [{ role_arn: "${var.platform_role_arn}", session_name: "orders-dev" }] });
    expect(json.variable?.[CI_PHASE_VARIABLE]).toBeUndefined();
  });

  it("makes one ci_phase variable however many providers the stack has", () => {
    const json = synthWith((stack) => {
      new AccountProvider(stack, "a", { ...base, roleName: "p" });
      new AccountProvider(stack, "b", { ...base, accountId: "333333333333", roleName: "p", alias: "b" });
    });
    expect(Object.keys(json.variable ?? {})).toEqual([CI_PHASE_VARIABLE]);
    expect(json.provider!.aws).toHaveLength(2);
  });

  it("works in the deployment account with the platform's provisioner role there", () => {
    const json = synthWith((stack) => deploymentAccountProvider(stack, { region: "eu-central-1", deploymentAccount: { accountId: "111111111111", roleName: "apps-platform-provisioner" } }, "aws"));
    expect((json.provider!.aws[0] as any).allowed_account_ids).toEqual(["111111111111"]);
  });

  it.each([
    ["neither role", {}, "Only one of `roleName` or `roleArn` can be given, and one is required. Given: neither."],
    ["both roles", { roleName: "p", roleArn: "arn:aws:iam::222222222222:role/p" }, 'Only one of `roleName` or `roleArn` can be given, and one is required. Given: both (roleName "p", roleArn "arn:aws:iam::222222222222:role/p").'],
  ])("refuses %s, naming the construct", (_, roles, problem) => {
    const error = validationError(() => new AccountProvider(emptyStack(), "account", { ...base, ...roles }));
    expect(error.problems).toEqual([problem]);
    expect(error.constructPath).toBe("test/account");
    expect(error.message).toBe(`1 problem in test/account:\n  ${problem}`);
  });

  it("refuses an account id that is not 12 digits, together with a missing role", () => {
    const error = validationError(() => new AccountProvider(emptyStack(), "account", { ...base, accountId: "22222222222" }));
    expect(error.problems).toEqual([
      "Only one of `roleName` or `roleArn` can be given, and one is required. Given: neither.",
      'accountId must match ^[0-9]{12}$ (exactly 12 digits), got "22222222222"',
    ]);
  });

  it("leaves an account id known only at plan to the provider", () => {
    expect(() => synthWith((stack) => new AccountProvider(stack, "account", { ...base, accountId: "${var.account_id}", roleName: "p" }))).not.toThrow();
  });
});
