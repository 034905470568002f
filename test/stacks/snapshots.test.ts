import { exampleConfig, synthPlatform } from "../helpers";

// One snapshot per stack kind on the example config: a reviewer reads the diff of what changed.
describe("stack snapshots of the example platform", () => {
  const { json } = synthPlatform(exampleConfig());
  it.each(["state-bootstrap", "ci-identity", "environment-prod", "onboarding-payments-api", "service-payments-api-dev", "service-webservice-aurora-example-dev"])("%s synthesizes as reviewed", (stack) => {
    expect(json.get(stack)).toMatchSnapshot();
  });
});
