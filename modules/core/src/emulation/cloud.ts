import { EmulationHost } from "./host";

/** A synthesized stack as the runner reads it: `cdktf.out/stacks/<name>/cdk.tf.json` and its assets. */
export interface EmulatedStack {
  readonly name: string;
  /** The stack folder; asset paths in the JSON are relative to it. */
  readonly dir: string;
  readonly json: {
    readonly resource?: Record<string, Record<string, any>>;
    readonly data?: Record<string, Record<string, any>>;
    readonly provider?: Record<string, any[]>;
    readonly [key: string]: unknown;
  };
}

export interface PublishedEventInput {
  readonly source: string;
  readonly type: string;
  readonly data: unknown;
  readonly id?: string;
  readonly subject?: string;
}

/** An alarm of the stack whose metric the runner can compute, and whether its condition is met now. */
export interface AlarmState {
  /** Terraform address of the alarm resource. */
  readonly address: string;
  /** Component it watches (`queue:orders`, `rule:events/order-created`). */
  readonly component: string;
  readonly metric: string;
  readonly value: number;
  /** The condition as the JSON states it (`> 0`, `>= 1`). */
  readonly condition: string;
  readonly firing: boolean;
}

/**
 * A running emulation of one cloud's stack. Component names are `<kind>:<id>` as in the service
 * description (`queue:orders`, `rule:events/order-created`, `gateway:public`, `function:api`),
 * prefixed `<service>/` when a stack holds several services that share an id.
 */
export interface CloudEmulation {
  readonly cloud: "aws" | "gcp" | "azure";
  /**
   * Loopback URLs of what the JSON leaves reachable from the internet, by full component key: each
   * gateway (`orders/gateway:public`) and each function's own endpoint (`orders/function:api`: a
   * Lambda invoke URL, a Cloud Run URL, an Azure Functions host).
   */
  readonly endpoints: Readonly<Record<string, string>>;
  /** The identity providers the gateways trust (issuer, audiences, JWKS URI), as the JSON names them. */
  readonly issuers: readonly { readonly issuer: string; readonly audiences: readonly string[]; readonly jwksUri?: string }[];
  /** Sends a message to a queue the way a producer on this cloud does; returns the message id. */
  sendToQueue(queue: string, body: string): Promise<string>;
  /** Publishes an event to a bus the way a publisher on this cloud does; returns the event id. */
  publish(bus: string, event: PublishedEventInput): Promise<string>;
  /** Fires a scheduled rule once, as its scheduler (EventBridge, Cloud Scheduler, a Logic App) would. */
  fireSchedule(rule: string): Promise<void>;
  /** Message bodies waiting in a dead-letter destination: a queue's (`queue:orders`) or a rule's (`rule:events/order-created`). */
  deadLetters(component: string): Promise<string[]>;
  /** The stack's alarms the runner can evaluate. */
  alarms(): Promise<AlarmState[]>;
  /**
   * Applies a re-synthesized `stack`: replaces the functions whose package or configuration
   * changed and runs the deploy steps the apply would run again (an invocation, a job or a
   * terraform_data whose arguments or triggers changed); returns what it replaced and ran.
   */
  reload(stack: EmulatedStack): Promise<string[]>;
  stop(): Promise<void>;
}

export type EmulateCloud = (host: EmulationHost, stack: EmulatedStack) => Promise<CloudEmulation>;
