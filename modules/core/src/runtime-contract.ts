/**
 * The cloud-neutral variables that `@polycloud/runtime` reads, so one function finds its
 * bindings by the ids of the service description on every cloud:
 *   POLYCLOUD_CLOUD        aws | gcp | azure
 *   POLYCLOUD_QUEUE_<ID>   the queue's address: SQS URL, Pub/Sub topic id, Service Bus queue name
 *   POLYCLOUD_BUS_<ID>     the bus's address: EventBridge bus name, Pub/Sub topic id, Event Grid endpoint
 * (DB_<ID>_HOST/PORT/NAME/USER/SSLMODE/SSLROOTCERT, and SSLSERVERNAME where the certificate names
 * something else than the host, already have the same names on every cloud.)
 * The cloud-specific names (QUEUE_<ID>_URL, _TOPIC, _NAME, EVENT_BUS_<ID>_NAME, _TOPIC,
 * _ENDPOINT) stay for existing code; each function construct derives the neutral name from them
 * as it sets them, so no binding can set one without the other.
 */
export type RuntimeCloud = "aws" | "gcp" | "azure";

const NEUTRAL: ReadonlyArray<readonly [RegExp, string]> = [
  [/^QUEUE_([A-Z0-9_]+?)_(?:URL|TOPIC|NAME)$/, "POLYCLOUD_QUEUE_"],
  [/^EVENT_BUS_([A-Z0-9_]+?)_(?:NAME|TOPIC|ENDPOINT)$/, "POLYCLOUD_BUS_"],
];

/** The neutral variable a cloud-specific binding variable maps to, if any. */
export function neutralRuntimeVariable(name: string): string | undefined {
  for (const [re, prefix] of NEUTRAL) {
    const m = re.exec(name);
    if (m) return `${prefix}${m[1]}`;
  }
  return undefined;
}

/** Variables every function gets at creation. */
export function runtimeBaseVariables(cloud: RuntimeCloud): Record<string, string> {
  return { POLYCLOUD_CLOUD: cloud };
}
