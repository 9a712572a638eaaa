import { EnvironmentConfig } from "./environment";
import { ServiceSpec } from "./specs";

/**
 * The conformance table's rows: what "equivalent" means, capability by capability. Each cloud
 * module maps every row to the resource or setting that realises it and a check over the
 * synthesized JSON. A missing row for a cloud is a failure, never a silent pass.
 */
export const CAPABILITIES = {
  "function.runtime": "Function runs the declared runtime and handler",
  "function.memory": "Function memory from the spec",
  "function.timeout": "Function timeout from the spec",
  "function.identity": "Each function has its own least-privilege identity",
  "function.logRetention": "Function logs kept for the environment's retention",
  "function.tracing": "Function tracing on",
  "function.secrets": "Secrets read from the secret store at run time, never as plain values",
  "function.concurrency": "Concurrency cap from the spec",
  "function.warmInstances": "Warm instances where the environment asks for them",
  "function.asyncFailure": "Failed asynchronous invocations are kept",
  "gateway.routes": "Every route maps method + path to its function",
  "gateway.throttle": "Rate and burst limits on every route",
  "gateway.cors": "CORS from the spec",
  "gateway.jwt": "JWT issuer and audiences enforced",
  "gateway.accessLogs": "Access logs with retention",
  "gateway.invokeScope": "Only the gateway may invoke the function",
  "queue.dlq": "Failed messages move to a DLQ after max delivery attempts",
  "queue.dlqRetention": "DLQ keeps messages at least 14 days and longer than the source",
  "queue.visibility": "Visibility / ack window at least the consumer's timeout",
  "queue.encryption": "Queue and DLQ encrypted at rest",
  "queue.consumer": "Consumer wired with batch size and partial-failure reporting",
  "bus.rules": "Each rule's filter is translated and routes to its target",
  "bus.retry": "Each target has a retry policy",
  "bus.dlq": "Each target has its own dead-letter destination",
  "bus.archive": "Events archived for the environment's retention",
  "proxy.pool": "Pool limits from the spec",
  "proxy.tls": "TLS required on the pooled endpoint",
  "proxy.iamAuth": "Identity-based database authentication",
  "proxy.private": "Database and proxy reachable only from granted functions",
  "proxy.backups": "Encrypted storage and automated backups",
  "proxy.deletionProtection": "Deletion protection follows the environment",
  "alarms.channel": "Alarms notify a channel with the environment's recipients",
  "alarms.components": "Every component has its alarms",
  "budget.notifications": "Monthly budget with actual and forecast notifications",
  "tags.required": "Every taggable resource carries the required tags",
} as const;

export type CapabilityId = keyof typeof CAPABILITIES;
export const CAPABILITY_IDS = Object.keys(CAPABILITIES) as CapabilityId[];

/** Synthesized Terraform JSON of one stack (cdk.tf.json), as far as checks need it. */
export interface TerraformJson {
  readonly terraform?: Record<string, any>;
  readonly provider?: Record<string, any[]>;
  readonly resource?: Record<string, Record<string, any>>;
  readonly data?: Record<string, Record<string, any>>;
}

/** What a conformance check sees: the stack JSON and the inputs it was rendered from. */
export interface ConformanceContext {
  readonly json: TerraformJson;
  readonly service: ServiceSpec;
  readonly env: EnvironmentConfig;
}

/** How a cloud realises a capability. */
export interface CapabilityRealisation {
  /** `native`: same semantics; `different`: equivalent by another mechanism (explained in `note`). */
  readonly mode: "native" | "different";
  /** Resource types and settings that realise it, shown in the README parity table. */
  readonly realisedBy: string;
  readonly note?: string;
  /** Returns problems found in a synthesized stack of the reference service, or [] when it conforms. */
  check(ctx: ConformanceContext): string[];
}

export type CapabilityMap = Readonly<Record<CapabilityId, CapabilityRealisation>>;

/** Every resource of one type in a conformance context's stack. */
export function resourcesOfType(c: ConformanceContext, type: string): Record<string, any>[] {
  return Object.values(c.json.resource?.[type] ?? {});
}

/** The messages of the failed [condition, message] pairs: a check's result. */
export function fails(...pairs: [boolean, string][]): string[] {
  return pairs.filter(([ok]) => !ok).map(([, m]) => m);
}
