/**
 * Checks of a service's workload options that span fields: CPU and memory pairs per compute target,
 * ranges that must be ordered, options that need others. Used by the config loader (with the YAML
 * location) and by the service builder (for services built in code).
 */

export type ComputeTarget = "appRunner" | "ecsExpress";

/** The memory sizes (MiB) each CPU size (units) allows. */
export const CPU_MEMORY: Record<ComputeTarget, Record<number, number[]>> = {
  // App Runner: 0.25, 0.5, 1, 2 and 4 vCPU with their memory sizes.
  appRunner: { 256: [512, 1024], 512: [1024], 1024: [2048, 3072, 4096], 2048: [4096, 6144], 4096: [8192, 10240, 12288] },
  // Fargate, which ECS Express Mode runs on.
  ecsExpress: {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
  },
};

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

export interface ServiceOptionsInput {
  readonly compute?: unknown;
  readonly deployService?: unknown;
  readonly image?: unknown;
  readonly web?: { cpu?: unknown; memory?: unknown; minInstances?: unknown; maxInstances?: unknown } | unknown;
  readonly database?: { minCapacity?: unknown; maxCapacity?: unknown } | unknown;
  readonly customDomain?: unknown;
}

export interface OptionProblem {
  readonly path: (string | number)[];
  readonly message: string;
  readonly given: unknown;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export function serviceOptionProblems(input: ServiceOptionsInput): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const compute: ComputeTarget = input.compute === "appRunner" ? "appRunner" : "ecsExpress";
  const web = obj(input.web);
  const db = obj(input.database);
  if (input.deployService === true && typeof input.image !== "string") {
    problems.push({ path: ["image"], message: "is required when deployService is true (the tag to run)", given: input.image });
  }
  if (input.deployService === true && !web) {
    problems.push({ path: ["deployService"], message: "needs `web` to say what to run", given: true });
  }
  if (db && !web) problems.push({ path: ["database"], message: "needs `web`: a database is attached to a web service", given: "database" });
  if (input.customDomain !== undefined && !web) problems.push({ path: ["customDomain"], message: "needs `web`", given: "customDomain" });
  // ECS Express Mode manages its load balancer's listener and takes no certificate for another name,
  // so a custom domain would be a DNS name that serves the wrong certificate.
  if (input.customDomain !== undefined && compute === "ecsExpress") {
    problems.push({
      path: ["customDomain"],
      message: "is not available on ecsExpress: ECS Express Mode's load balancer serves only its own certificate; use compute: appRunner for a custom domain, or remove customDomain",
      given: "customDomain",
    });
  }
  if (web) {
    const cpu = typeof web.cpu === "number" ? web.cpu : 1024;
    const memory = typeof web.memory === "number" ? web.memory : 2048;
    const sizes = CPU_MEMORY[compute];
    if (!sizes[cpu]) {
      problems.push({ path: ["web", "cpu"], message: `must be one of ${Object.keys(sizes).join(", ")} on ${compute}`, given: cpu });
    } else if (!sizes[cpu].includes(memory)) {
      problems.push({ path: ["web", "memory"], message: `must be one of ${sizes[cpu].join(", ")} with cpu ${cpu} on ${compute}`, given: memory });
    }
    const min = typeof web.minInstances === "number" ? web.minInstances : 1;
    const max = typeof web.maxInstances === "number" ? web.maxInstances : 2;
    if (min > max) problems.push({ path: ["web", "maxInstances"], message: `must be at least minInstances (${min})`, given: max });
  }
  if (db) {
    const min = typeof db.minCapacity === "number" ? db.minCapacity : 0;
    const max = typeof db.maxCapacity === "number" ? db.maxCapacity : 1;
    if (min > max) problems.push({ path: ["database", "maxCapacity"], message: `must be at least minCapacity (${min})`, given: max });
  }
  return problems;
}
