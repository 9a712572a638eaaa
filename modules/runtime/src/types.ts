/** The clouds a function built on the runtime can run on. */
export type Cloud = "aws" | "gcp" | "azure";
export const CLOUDS: readonly Cloud[] = ["aws", "gcp", "azure"];

/** One HTTP request shape, whatever the platform delivered. Header names are lower-case. */
export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, starting with `/`. */
  readonly path: string;
  /** Query parameters, decoded; a repeated parameter's values joined with `,` in order (as API Gateway does). */
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** Body as text ("" when there is none). */
  readonly body: string;
  /** Parses the body as JSON; an empty body is `undefined`. */
  json<T = unknown>(): T;
  readonly cloud: Cloud;
  /**
   * The caller, on a route whose gateway requires a token: the claims of that token once verified
   * (by API Gateway's JWT authorizer on AWS, by the runtime's own check on GCP and Azure).
   * Undefined on routes with `authorized: false`, whatever the request carries.
   */
  readonly auth?: RequestAuth;
}

export interface RequestAuth {
  /** The token's `sub`. */
  readonly subject?: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is sent as JSON with `content-type: application/json`. */
  body?: unknown;
}

/** A CloudEvents 1.0 shaped event (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md). */
export interface CloudEvent<T = unknown> {
  readonly specversion: "1.0";
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time?: string;
  readonly subject?: string;
  readonly data: T;
}

/** One queue message. Throwing from the handler fails this message only. */
export interface QueueMessage<T = unknown> {
  readonly id: string;
  /** Body parsed as JSON when it is JSON, else the text. */
  readonly body: T;
  readonly text: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** How many times the platform has delivered this message, when it says. */
  readonly deliveryCount?: number;
  /** Set when the message is an event routed from an event bus rule. */
  readonly event?: CloudEvent;
  readonly cloud: Cloud;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse> | HttpResponse;
export type QueueHandler = (message: QueueMessage) => Promise<void> | void;
export type EventHandler = (event: CloudEvent) => Promise<void> | void;

/** What the packaging step reads to write each platform's registration. */
export interface HandlerMarker {
  readonly kind: "http" | "queue" | "events";
}
