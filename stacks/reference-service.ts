import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/**
 * The reference service: exercises all five components.
 * - `api` (HTTP) writes through the database proxy and publishes `OrderCreated` to the bus;
 * - the bus rule `order-created` feeds the `orders` queue;
 * - `worker` consumes the queue and also uses the database;
 * - DLQs, alarms, tags and the budget come from the environment.
 * Source folders are relative to the project root (the directory `cdktf synth` runs in).
 */
export function referenceService(env: EnvironmentConfig): ServiceSpec {
  const warm = env.sizing.warmInstances;
  return {
    name: "orders",
    secrets: { "payment-api-key": { description: "API key of the payment provider" } },
    functions: {
      api: {
        source: "stacks/reference/functions/api",
        runtime: "nodejs22",
        handler: "index.handler",
        memoryMb: env.sizing.functionMemoryMb,
        timeoutSeconds: 10,
        environment: { LOG_LEVEL: env.name === "prod" ? "info" : "debug" },
        secrets: { PAYMENT_API_KEY: "payment-api-key" },
        concurrency: { max: env.name === "prod" ? 200 : 20 },
        minWarmInstances: warm,
      },
      worker: {
        source: "stacks/reference/functions/worker",
        runtime: "nodejs22",
        handler: "index.handler",
        memoryMb: env.sizing.functionMemoryMb,
        timeoutSeconds: 60,
        concurrency: { max: env.name === "prod" ? 50 : 5 },
      },
    },
    gateways: {
      public: {
        routes: [
          { method: "POST", path: "/orders", function: "api" },
          { method: "GET", path: "/orders/{id}", function: "api" },
          { method: "GET", path: "/health", function: "api", authorized: false },
        ],
        cors: { allowOrigins: [env.name === "prod" ? "https://shop.example.com" : "https://dev.shop.example.com"], allowCredentials: true },
        throttle: env.name === "prod" ? { rateLimit: 500, burstLimit: 1000 } : { rateLimit: 50, burstLimit: 100 },
        auth: { issuer: "https://auth.example.com/", audiences: ["orders-api"], jwksUri: "https://auth.example.com/.well-known/jwks.json" },
      },
    },
    queues: {
      orders: { consumer: "worker", maxDeliveryAttempts: 5, batchSize: 10, batchWindowSeconds: 1, maxConcurrency: 5 },
    },
    buses: {
      events: {
        publishers: ["api"],
        rules: {
          "order-created": { filter: { source: ["orders.api"], type: ["OrderCreated"] }, target: { queue: "orders" }, retry: { maxAttempts: 10, maxEventAgeSeconds: 3600 } },
        },
      },
    },
    databases: {
      main: {
        postgresVersion: "16",
        size: env.sizing.databaseSize,
        pool: { maxConnectionsPercent: 90, maxIdleConnectionsPercent: 40, borrowTimeoutSeconds: 5 },
        allowedFunctions: ["api", "worker"],
        migrations: "stacks/reference/migrations",
      },
    },
  };
}
