import { IConstruct } from "constructs";
import { Cloud } from "./environment";
import { DatabaseProxySpec, EventBusSpec, GatewaySpec, QueueSpec } from "./specs";
import { ResolvedFunction } from "./resolve";

/**
 * What every cloud implementation exposes for each component. A stack composes components only
 * through these interfaces, and the conformance suite checks every cloud against them.
 */
export interface AlarmInfo {
  /** Cloud resource name of the alarm / alert policy. */
  readonly name: string;
  /** Cloud-neutral signal, e.g. `function.errors`, `queue.dlqDepth`. */
  readonly signal: AlarmSignal;
  readonly threshold: number;
}

export const ALARM_SIGNALS = [
  "function.errors",
  "function.throttles",
  "function.durationP99",
  "gateway.5xx",
  "gateway.latencyP99",
  "queue.oldestMessageAge",
  "queue.dlqDepth",
  "bus.failedInvocations",
  "bus.sentToDlq",
  "bus.dlqDepth",
  /** A schedule's run failed to publish its tick (GCP: Cloud Scheduler attempt; Azure: Logic App run). */
  "schedule.failedRuns",
  "proxy.pinnedConnections",
  "proxy.connectionSaturation",
  "database.cpu",
  "database.storage",
] as const;
export type AlarmSignal = (typeof ALARM_SIGNALS)[number];

export interface PlatformComponent extends IConstruct {
  /** Alarms this component created, already wired to the alarm channel. */
  readonly alarms: readonly AlarmInfo[];
}

export interface PlatformFunction extends PlatformComponent {
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  /** Cloud name of the function. */
  readonly functionName: string;
}

export interface PlatformGateway extends PlatformComponent {
  readonly spec: GatewaySpec;
  /** Base URL of the gateway. */
  readonly url: string;
}

export interface PlatformQueue extends PlatformComponent {
  readonly spec: QueueSpec;
  /** Lets a function send messages to the queue, and nothing else. */
  grantSend(fn: PlatformFunction): void;
}

export interface PlatformEventBus extends PlatformComponent {
  readonly spec: EventBusSpec;
  /** Lets a function publish events to this bus, and nothing else. */
  grantPublish(fn: PlatformFunction): void;
}

export interface PlatformDatabaseProxy extends PlatformComponent {
  readonly spec: DatabaseProxySpec;
  /** Pooled endpoint host name. */
  readonly endpoint: string;
  readonly port: number;
  /** Gives a function a network path and identity-based login to the pooled endpoint. */
  grantConnect(fn: PlatformFunction): void;
}

/** The rendered service on one cloud. */
export interface PlatformService extends IConstruct {
  readonly cloud: Cloud;
  readonly functions: Readonly<Record<string, PlatformFunction>>;
  readonly gateways: Readonly<Record<string, PlatformGateway>>;
  readonly queues: Readonly<Record<string, PlatformQueue>>;
  readonly buses: Readonly<Record<string, PlatformEventBus>>;
  readonly databases: Readonly<Record<string, PlatformDatabaseProxy>>;
  /** Every alarm of every component. */
  readonly alarms: readonly AlarmInfo[];
}
