import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/**
 * A second, team-owned service next to the reference service: an HTTP API over a queue-fed
 * worker. The composition and rename tests render it with `orders` to prove that services
 * compose without renaming each other or the shared resources.
 */
export function cartService(env: EnvironmentConfig): ServiceSpec {
  return {
    name: "cart",
    functions: {
      api: {
        source: "stacks/reference/functions/api",
        runtime: "nodejs22",
        handler: "index.handler",
        memoryMb: env.sizing.functionMemoryMb,
        timeoutSeconds: 10,
        concurrency: { max: 10 },
      },
      checkout: {
        source: "stacks/reference/functions/worker",
        runtime: "nodejs22",
        handler: "index.handler",
        memoryMb: env.sizing.functionMemoryMb,
        timeoutSeconds: 30,
        concurrency: { max: 5 },
      },
    },
    gateways: {
      web: {
        routes: [
          { method: "GET", path: "/cart/{id}", function: "api" },
          { method: "PUT", path: "/cart/{id}", function: "api" },
          { method: "GET", path: "/health", function: "api", authorized: false },
        ],
        cors: { allowOrigins: ["https://shop.example.com"] },
        throttle: { rateLimit: 50, burstLimit: 100 },
        auth: { issuer: "https://auth.example.com/", audiences: ["cart-api"], jwksUri: "https://auth.example.com/.well-known/jwks.json" },
      },
    },
    queues: { checkouts: { consumer: "checkout", maxDeliveryAttempts: 5, batchSize: 1 } },
  };
}
