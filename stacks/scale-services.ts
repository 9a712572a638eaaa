import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/**
 * `count` small services for scale tests and the benchmark: each has an HTTP-free function that
 * consumes its own queue (function, identity, logs, alarms, queue, DLQ, redrive, consumer wiring),
 * about 15 resources per service on AWS. Names are `svc-001`, `svc-002`, ...
 */
export function scaleServices(env: EnvironmentConfig, count: number): ServiceSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `svc-${String(i + 1).padStart(3, "0")}`,
    functions: {
      worker: {
        source: "stacks/reference/functions/worker",
        runtime: "nodejs22" as const,
        handler: "index.handler",
        memoryMb: env.sizing.functionMemoryMb,
        timeoutSeconds: 30,
        concurrency: { max: 10 },
      },
    },
    queues: { jobs: { consumer: "worker", maxDeliveryAttempts: 5, batchSize: 1 } },
  }));
}
