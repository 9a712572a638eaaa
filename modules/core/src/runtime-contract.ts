import { resolveCors } from "./resolve";
import { GatewaySpec, JwtAuthSpec } from "./specs";

/**
 * The cloud-neutral variables that `@polycloud/runtime` reads, so one function finds its
 * bindings by the ids of the service description on every cloud:
 *   POLYCLOUD_CLOUD        aws | gcp | azure
 *   POLYCLOUD_FUNCTION     the function's id in the service description (idempotency keys are
 *                          scoped by it, the same on every cloud)
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
export function runtimeBaseVariables(cloud: RuntimeCloud, functionId: string): Record<string, string> {
  return { POLYCLOUD_CLOUD: cloud, POLYCLOUD_FUNCTION: functionId };
}

/** Which of a gateway's checks the function makes itself (the ones its cloud's gateway cannot make). */
export interface GatewayChecks {
  /** Answer CORS preflights and add CORS headers (GCP: API Gateway forwards preflights to the function). */
  readonly cors: boolean;
  /** Verify bearer tokens on authorized routes (GCP, Azure: the function gets the verified claims). */
  readonly jwt: boolean;
}

/**
 * What a gateway construct puts in the environment of each function it routes to, read by
 * `@polycloud/runtime` (Node and Python) in front of every `http()` handler:
 *   PLATFORM_ROUTES          [{ method, path, authorized }] of this function: other paths answer
 *                            404, other methods 405, authorized routes need a valid bearer token
 *   PLATFORM_CORS            resolved CORS settings plus every route of the gateway (`routes`):
 *                            preflights are answered for declared routes only
 *   PLATFORM_JWT_ISSUER, PLATFORM_JWT_AUDIENCES (JSON array), and PLATFORM_JWT_JWKS_URI (the
 *   declared `auth.jwksUri`, or on GCP the URL API Gateway is given) or PLATFORM_JWT_OPENID_CONFIG
 *   (`<issuer>/.well-known/openid-configuration`, where API Management finds the keys)
 * A route is authorized when the gateway has `auth` and the route is not `authorized: false`.
 */
export function gatewayRuntimeEnvironment(spec: GatewaySpec, fnId: string, checks: GatewayChecks, jwksUriForGateway?: (auth: JwtAuthSpec) => string): Record<string, string> {
  const env: Record<string, string> = {
    PLATFORM_ROUTES: JSON.stringify(spec.routes.filter((r) => r.function === fnId).map((r) => ({ method: r.method, path: r.path, authorized: spec.auth ? r.authorized !== false : false }))),
  };
  if (spec.auth && checks.jwt) {
    env.PLATFORM_JWT_ISSUER = spec.auth.issuer;
    env.PLATFORM_JWT_AUDIENCES = JSON.stringify(spec.auth.audiences);
    const jwksUri = spec.auth.jwksUri ?? jwksUriForGateway?.(spec.auth);
    if (jwksUri) env.PLATFORM_JWT_JWKS_URI = jwksUri;
    else env.PLATFORM_JWT_OPENID_CONFIG = `${spec.auth.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  }
  if (spec.cors && checks.cors) {
    env.PLATFORM_CORS = JSON.stringify({ ...resolveCors(spec.cors, spec), routes: spec.routes.map((r) => ({ method: r.method, path: r.path })) });
  }
  return env;
}

/**
 * What `@polycloud/runtime` logs (as the `event` field of a JSON line) for every failed Service Bus
 * attempt it retries by a scheduled copy on Azure: the invocation itself succeeds, so the
 * function's errors alert counts this line next to failed requests.
 */
export const ATTEMPT_FAILED_EVENT = "polycloud-attempt-failed";
