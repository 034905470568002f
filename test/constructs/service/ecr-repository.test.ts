import { EcrRepository, repositoryNameProblems } from "@acme/apps-platform-constructs/service";
import { emptyStack, one, synthWith, validationError } from "../helpers";

const kmsKeyArn = "arn:aws:kms:eu-central-1:222222222222:key/1111";
const synth = (props: { keepImages?: number; forceDelete?: boolean } = {}) => synthWith((stack) => new EcrRepository(stack, "repository", { name: "apps-platform/orders/dev", kmsKeyArn, ...props }));

describe("EcrRepository", () => {
  it("keeps tags immutable, scans on push and encrypts with the given key", () => {
    expect(one(synth(), "aws_ecr_repository")).toEqual({
      name: "apps-platform/orders/dev",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: kmsKeyArn }],
      force_delete: false,
    });
    expect(one(synth({ forceDelete: true }), "aws_ecr_repository").force_delete).toBe(true);
  });

  it("expires untagged images after a week and keeps the last 30 (or as many as told)", () => {
    const rules = JSON.parse(one(synth(), "aws_ecr_lifecycle_policy").policy).rules;
    expect(rules).toEqual([
      { rulePriority: 1, description: "Expire untagged images after a week", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }, action: { type: "expire" } },
      { rulePriority: 2, description: "Keep the last 30 images", selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 }, action: { type: "expire" } },
    ]);
    expect(JSON.parse(one(synth({ keepImages: 5 }), "aws_ecr_lifecycle_policy").policy).rules[1].selection.countNumber).toBe(5);
  });

  it("refuses, with every problem at once, a name ECR refuses and no image to keep", () => {
    const error = validationError(() => new EcrRepository(emptyStack(), "repository", { name: "A", kmsKeyArn, keepImages: 0 }));
    expect(error.problems).toEqual([
      'name must be 2 to 256 characters, got "A" (1)',
      'name must be lowercase letters and digits, joined by single ".", "_" or "-" and separated by "/" into parts that each start and end with a letter or digit, got "A"',
      "keepImages must be a whole number of images from 1 to 10000, got 0",
    ]);
    expect(error.constructPath).toBe("test/repository");
  });

  it.each([
    ["apps-platform/orders/dev", 0],
    ["apps-platform//dev", 1],
    ["apps-platform/orders-/dev", 1],
    ["apps_platform/o.r-d/pr-12", 0],
    ["${var.name}", 0],
  ])("judges %s with %i problems", (name, count) => {
    expect(repositoryNameProblems(name)).toHaveLength(count);
  });
});
