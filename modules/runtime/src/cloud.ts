import { Cloud } from "./types";
import { DatabaseEndpoint } from "./env";
import type { ScheduledCopy } from "./adapters";

/** What the runtime needs from one cloud. Each cloud's module imports only that cloud's SDKs. */
export interface CloudImplementation {
  readonly cloud: Cloud;
  sendToQueue(address: string, body: string, attributes: Record<string, string>): Promise<void>;
  publishEvent(address: string, event: OutgoingEvent): Promise<void>;
  /** A short-lived identity token used as the database password (never a configured password). */
  databaseToken(endpoint: DatabaseEndpoint): Promise<string>;
  /**
   * Azure only: sends a failed message's copy to its queue for delivery at its scheduled time
   * (`namespace` is `<name>.servicebus.windows.net`). Rejects when Service Bus did not accept it.
   */
  scheduleCopy?(namespace: string, queueName: string, copy: ScheduledCopy): Promise<void>;
}

export interface OutgoingEvent {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time: string;
  readonly data: unknown;
}

let implementation: CloudImplementation | undefined;
let loader: ((cloud: Cloud) => Promise<CloudImplementation>) | undefined;

/** Bundled entry points bind their cloud statically; tests may bind a fake. */
export function useCloudImplementation(impl: CloudImplementation | undefined): void {
  implementation = impl;
}

export function setCloudLoader(load: (cloud: Cloud) => Promise<CloudImplementation>): void {
  loader = load;
}

export async function cloudImplementation(cloud: Cloud): Promise<CloudImplementation> {
  if (implementation) {
    if (implementation.cloud !== cloud) throw new Error(`@polycloud/runtime: bundled for ${implementation.cloud} but POLYCLOUD_CLOUD is ${cloud}`);
    return implementation;
  }
  if (!loader) throw new Error("@polycloud/runtime: no cloud implementation bound");
  implementation = await loader(cloud);
  return implementation;
}
