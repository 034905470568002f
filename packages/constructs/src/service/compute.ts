import { ComputeTarget } from "./service-options";

/** Where a service runs. Pick with the static factories, as aws-cdk's `Source.fromEcr` does. */
export class Compute {
  /**
   * AWS App Runner: the simplest target, for accounts that already use it. App Runner accepts no new
   * customers since 2026-04-30.
   */
  public static appRunner(): Compute {
    return new Compute("appRunner");
  }

  /** ECS Express Mode (`aws_ecs_express_gateway_service`): Fargate behind a load balancer ECS manages. */
  public static ecsExpress(): Compute {
    return new Compute("ecsExpress");
  }

  public static of(target: ComputeTarget): Compute {
    return new Compute(target);
  }

  private constructor(public readonly target: ComputeTarget) {}
}
