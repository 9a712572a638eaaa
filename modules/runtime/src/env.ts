import { Cloud, CLOUDS } from "./types";

/**
 * The cloud-neutral contract between the polycloud modules and the runtime. Every function
 * construct sets:
 *   POLYCLOUD_CLOUD            aws | gcp | azure
 *   POLYCLOUD_FUNCTION         the function's id in the service description
 *   POLYCLOUD_QUEUE_<ID>       the queue's address on that cloud (SQS URL, Pub/Sub topic id, Service Bus queue name)
 *   POLYCLOUD_BUS_<ID>         the event bus's address (EventBridge bus name, Pub/Sub topic id, Event Grid topic endpoint)
 *   DB_<ID>_HOST/PORT/NAME/USER/SSLMODE  the pooled database endpoint (already the same names on every cloud)
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

export interface DatabaseEndpoint { host: string; port: number; database: string; user: string; sslmode: string }

export function databaseEndpoint(id: string, env: Env = process.env): DatabaseEndpoint {
  const p = `DB_${envVarPart(id)}`;
  const what = `database '${id}'`;
  return {
    host: required(env, `${p}_HOST`, what),
    port: Number(required(env, `${p}_PORT`, what)),
    database: required(env, `${p}_NAME`, what),
    user: required(env, `${p}_USER`, what),
    sslmode: env[`${p}_SSLMODE`] ?? "verify-full",
  };
}

/** Ids of the databases bound to this function. */
export function boundDatabases(env: Env = process.env): string[] {
  return Object.keys(env).flatMap((k) => /^DB_([A-Z0-9_]+)_HOST$/.exec(k)?.[1] ?? []).sort();
}
