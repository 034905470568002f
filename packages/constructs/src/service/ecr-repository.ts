import { Construct } from "constructs";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository as EcrRepositoryResource } from "@cdktf/provider-aws/lib/ecr-repository";
import { Problems, integerBetween, isUnresolved } from "../errors";

/** ECR's rule for repository names: lowercase components separated by `/`, each joined by `.`, `_` or `-`. */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * The problems of a repository name, every one (aws-cdk's `Repository.validateRepositoryName` is the
 * model); none for a name known only at plan.
 */
export function repositoryNameProblems(name: string): string[] {
  if (isUnresolved(name)) return [];
  const problems: string[] = [];
  if (name.length < 2 || name.length > 256) problems.push(`name must be 2 to 256 characters, got ${JSON.stringify(name)} (${name.length})`);
  if (!REPOSITORY_NAME.test(name)) {
    problems.push(`name must be lowercase letters and digits, joined by single ".", "_" or "-" and separated by "/" into parts that each start and end with a letter or digit, got ${JSON.stringify(name)}`);
  }
  return problems;
}

export interface EcrRepositoryProps {
  /** The repository name (ECR's rules: 2 to 256 lowercase characters, see repositoryNameProblems). */
  readonly name: string;
  /** The KMS key that encrypts the images. */
  readonly kmsKeyArn: string;
  /** How many images to keep; older ones expire. @default 30 */
  readonly keepImages?: number;
  /** Delete the repository with its images on destroy (ephemeral stages). @default false */
  readonly forceDelete?: boolean;
}

/**
 * A service's image repository: immutable tags (a tag always means the same image, so a deployment
 * can be reproduced), scanned on push, KMS-encrypted, old images expired.
 */
export class EcrRepository extends Construct {
  public readonly repository: EcrRepositoryResource;
  public readonly url: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: EcrRepositoryProps) {
    super(scope, id);
    const keepImages = props.keepImages ?? 30;
    const problems = new Problems().addAll(repositoryNameProblems(props.name));
    problems.check("keepImages", keepImages, integerBetween(1, 10000), "must be a whole number of images from 1 to 10000");
    problems.throwIfAny(this);
    this.repository = new EcrRepositoryResource(this, "repository", {
      name: props.name,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: props.kmsKeyArn }],
      forceDelete: props.forceDelete ?? false,
    });
    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "Expire untagged images after a week",
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: `Keep the last ${keepImages} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
            action: { type: "expire" },
          },
        ],
      }),
    });
    this.url = this.repository.repositoryUrl;
    this.arn = this.repository.arn;
  }
}
