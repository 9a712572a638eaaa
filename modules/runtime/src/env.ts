import { Cloud, CLOUDS } from "./types";

/**
 * The cloud-neutral contract between the polycloud modules and the runtime. Every function
 * construct sets:
 *   POLYCLOUD_CLOUD            aws | gcp | azure
 *   POLYCLOUD_FUNCTION         the function's id in the service description
 *   POLYCLOUD_QUEUE_<ID>       the queue's address on that cloud (SQS URL, Pub/Sub topic id, Service Bus queue name)
 *   POLYCLOUD_BUS_<ID>         the event bus's address (EventBridge bus name, Pub/Sub topic id, Event Grid topic endpoint)
 *   DB_<ID>_HOST/PORT/NAME/USER/SSLMODE  the pooled database endpoint (already the same names on every cloud)
 *   DB_<ID>_SSLROOTCERT        the CA the server certificate must chain to: a PEM file path or PEM text
 *                              (AWS: the RDS regional bundle in a layer; GCP: the instance's server CA;
 *                              Azure: the roots Azure documents for PostgreSQL); unset = Node's store
 *   DB_<ID>_SSLSERVERNAME      the identity the certificate must carry when it is not the host
 *                              (GCP: `<project>:<instance>`, as Cloud SQL's connectors check it)
 * `<ID>` is the id from the service description, upper-cased, other characters as `_`.
 */
export function envVarPart(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

type Env = Record<string, string | undefined>;

export function currentCloud(env: Env = process.env): Cloud {
  const c = env.POLYCLOUD_CLOUD;
  if (c && (CLOUDS as readonly string[]).includes(c)) return c as Cloud;
  throw new Error(`@polycloud/runtime: POLYCLOUD_CLOUD is ${c === undefined ? "not set" : `'${c}'`}; expected one of ${CLOUDS.join(", ")} (set by the polycloud function constructs)`);
}

/** The function's id in the service description: what idempotency keys are scoped by, on every cloud. */
export function currentFunction(env: Env = process.env): string {
  const f = env.POLYCLOUD_FUNCTION;
  if (f) return f;
  throw new Error("@polycloud/runtime: POLYCLOUD_FUNCTION is not set (set by the polycloud function constructs to the function's id)");
}

function required(env: Env, name: string, what: string): string {
  const v = env[name];
  if (!v) throw new Error(`@polycloud/runtime: ${what} is not bound to this function (${name} is not set); declare the binding in the service description`);
  return v;
}

export const queueAddress = (id: string, env: Env = process.env) => required(env, `POLYCLOUD_QUEUE_${envVarPart(id)}`, `queue '${id}'`);
export const busAddress = (id: string, env: Env = process.env) => required(env, `POLYCLOUD_BUS_${envVarPart(id)}`, `event bus '${id}'`);

export interface DatabaseEndpoint {
  host: string; port: number; database: string; user: string; sslmode: string;
  /** PEM text, or the path of a PEM file, of the CA(s) to trust; undefined: Node's default store. */
  sslrootcert?: string;
  /** The server identity to check instead of the host (a DNS name, or Cloud SQL's `<project>:<instance>`). */
  sslservername?: string;
}

export function databaseEndpoint(id: string, env: Env = process.env): DatabaseEndpoint {
  const p = `DB_${envVarPart(id)}`;
  const what = `database '${id}'`;
  return {
    host: required(env, `${p}_HOST`, what),
    port: Number(required(env, `${p}_PORT`, what)),
    database: required(env, `${p}_NAME`, what),
    user: required(env, `${p}_USER`, what),
    sslmode: env[`${p}_SSLMODE`] ?? "verify-full",
    sslrootcert: env[`${p}_SSLROOTCERT`] || undefined,
    sslservername: env[`${p}_SSLSERVERNAME`] || undefined,
  };
}

/** Ids of the databases bound to this function. */
export function boundDatabases(env: Env = process.env): string[] {
  return Object.keys(env).flatMap((k) => /^DB_([A-Z0-9_]+)_HOST$/.exec(k)?.[1] ?? []).sort();
}
