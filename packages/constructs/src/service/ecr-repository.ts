import { Construct } from "constructs";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository as EcrRepositoryResource } from "@cdktf/provider-aws/lib/ecr-repository";

export interface EcrRepositoryProps {
  /** The repository name. */
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
