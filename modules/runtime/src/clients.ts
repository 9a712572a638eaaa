import { randomUUID } from "node:crypto";
import { cloudImplementation } from "./cloud";
import { busAddress, currentCloud, queueAddress } from "./env";

export interface QueueClient {
  /** Sends one message; objects are sent as JSON. */
  send(message: unknown, options?: { attributes?: Record<string, string> }): Promise<void>;
}

export interface PublishedEvent { source: string; type: string; data: unknown; subject?: string; id?: string }

export interface BusClient {
  /** Publishes one event; bus rules match on `source` and `type`. */
  publish(event: PublishedEvent): Promise<void>;
}

function byId<T>(make: (id: string) => T): Readonly<Record<string, T>> {
  const cache = new Map<string, T>();
  return new Proxy({} as Record<string, T>, {
    get(_t, id) {
      if (typeof id !== "string" || id === "then") return undefined;
      if (!cache.has(id)) cache.set(id, make(id));
      return cache.get(id);
    },
  });
}

/** `queues.<id>.send(message)`: the queue with that id in the service description. */
export const queues = byId<QueueClient>((id) => ({
  async send(message, options = {}) {
    const address = queueAddress(id);
    const impl = await cloudImplementation(currentCloud());
    await impl.sendToQueue(address, typeof message === "string" ? message : JSON.stringify(message), options.attributes ?? {});
  },
}));

/** `buses.<id>.publish(event)`: the event bus with that id in the service description. */
export const buses = byId<BusClient>((id) => ({
  async publish(event) {
    if (!event?.source || !event?.type) throw new Error(`@polycloud/runtime: buses.${id}.publish needs source and type`);
    const address = busAddress(id);
    const impl = await cloudImplementation(currentCloud());
    await impl.publishEvent(address, { id: event.id ?? randomUUID(), source: event.source, type: event.type, subject: event.subject, time: new Date().toISOString(), data: event.data });
  },
}));
