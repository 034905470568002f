/** What runs in a service's container, whatever the compute target. */
export interface WebContainer {
  /** The port the container listens on. */
  readonly port: number;
  /** CPU units (1024 = 1 vCPU). */
  readonly cpu: number;
  /** Memory in MiB. */
  readonly memory: number;
  /** The HTTP path the platform checks. */
  readonly healthCheckPath: string;
  /** Instances (App Runner) or tasks (ECS) at least. */
  readonly minInstances: number;
  /** Instances or tasks at most. */
  readonly maxInstances: number;
  /** Plain environment variables. */
  readonly environment: Record<string, string>;
  /** Environment variables read from secrets, by ARN. */
  readonly secrets: Record<string, string>;
}
