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
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Plain environment variables. */
  readonly environment: Record<string, string>;
  /** Environment variables read from secrets, by ARN. */
  readonly secrets: Record<string, string>;
}
