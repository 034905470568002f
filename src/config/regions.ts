/**
 * AWS Regions the platform may target. A typo in a region name would otherwise only surface at
 * `terraform plan`, as an endpoint lookup failure far from the config line that caused it.
 */
export const AWS_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "us-gov-east-1",
  "us-gov-west-1",
  "cn-north-1",
  "cn-northwest-1",
] as const;

export type AwsRegion = (typeof AWS_REGIONS)[number];

export function isAwsRegion(value: string): value is AwsRegion {
  return (AWS_REGIONS as readonly string[]).includes(value);
}

/** The IAM partition of a region: ARNs in GovCloud and China are not `arn:aws:`. */
export { partitionOf } from "@acme/apps-platform-constructs/naming";

/** The DNS suffix of service endpoints in a region (used in `kms:ViaService` values). */
export function dnsSuffixOf(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** The listed Region closest to `value` by edit distance, to suggest in an error message. */
export function nearestRegion(value: string): string {
  let best: string = AWS_REGIONS[0];
  let bestDistance = Infinity;
  for (const region of AWS_REGIONS) {
    const d = editDistance(value, region);
    if (d < bestDistance) [best, bestDistance] = [region, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
