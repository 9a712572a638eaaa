import * as fs from "node:fs";
import { CloudLimits, MIN_DLQ_RETENTION_SECONDS } from "./limits";
import { resolveFunction, resolveQueue, shortestCallerTimeout } from "./resolve";
import {
  DATABASE_SERVERS, DATABASE_SIZES, HTTP_METHODS, POSTGRES_VERSIONS, RUNTIMES,
  DatabaseProxySpec, EventBusSpec, FunctionSpec, GatewaySpec, QueueSpec, ServiceSpec,
} from "./specs";
import { Problems } from "./validation";
import { SCHEDULE_FORMS, parseSchedule } from "./schedule";
import { rejectTemplateSequences } from "./terraform-strings";
import { SERVICE_KEYS, rejectUnknownKeys } from "./service-keys";
import { CLOUDS } from "./environment";
import { MIGRATION_FILE_FORM, readMigrationFolder } from "./migrations";
import { MIGRATION_STEP_SUFFIX, migrationStepId } from "./migration-step";
import { handlerFileProblem } from "./handler-file";

const ID = /^[a-z][a-z0-9-]{0,30}$/;
const ID_FORM = "lowercase id matching ^[a-z][a-z0-9-]{0,30}$";
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH = /^\/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\}|\{proxy\+\})?(\/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\}|\{proxy\+\}))*$/;

/**
 * Checks a service description against the cloud-neutral rules and one cloud's limits.
 * Never throws: every problem is recorded so the whole list reaches the user in one run.
 */
export function validateService(service: ServiceSpec, limits: CloudLimits, problems = new Problems("ServiceSpec")): Problems {
  // Every message of a component names its service: `service orders: Function: property 'functions.api.handler' …`.
  const named = `service ${typeof service.name === "string" && service.name ? service.name : "<unnamed>"}`;
  problems.matches("name", service.name, ID, ID_FORM);
  problems.required("name", service.name, ID_FORM);
  rejectUnknownKeys(service, SERVICE_KEYS, problems);
  if (service.clouds !== undefined) {
    if (!Array.isArray(service.clouds) || service.clouds.length === 0) problems.add("clouds", service.clouds, `a non-empty list of ${CLOUDS.join(", ")} (omit it for every cloud of the environment)`);
    else service.clouds.forEach((c, i) => problems.oneOf(`clouds[${i}]`, c, CLOUDS));
  }
  const functions = service.functions ?? {};
  if (Object.keys(functions).length === 0) problems.add("functions", functions, "at least one function");
  for (const [id, fn] of Object.entries(functions)) {
    problems.matches(`functions.${id}`, id, ID, ID_FORM);
    validateFunction(problems.as(`${named}: Function`), `functions.${id}`, fn, service, limits);
  }
  for (const [id, gw] of Object.entries(service.gateways ?? {})) {
    validateGateway(problems.as(`${named}: HttpGateway`), `gateways.${id}`, gw, service, limits);
  }
  for (const [id, q] of Object.entries(service.queues ?? {})) {
    problems.matches(`queues.${id}`, id, ID, ID_FORM);
    validateQueue(problems.as(`${named}: Queue`), `queues.${id}`, q, service, limits);
  }
  for (const [id, bus] of Object.entries(service.buses ?? {})) {
    validateBus(problems.as(`${named}: EventBus`), `buses.${id}`, bus, service, limits);
  }
  for (const [id, db] of Object.entries(service.databases ?? {})) {
    problems.matches(`databases.${id}`, id, ID, ID_FORM);
    // The migration step is a function of its own, named after the database.
    if (migrationStepId(id) in functions) problems.as(`${named}: ServiceSpec`).add(`functions.${migrationStepId(id)}`, migrationStepId(id), `a function id other than ${migrationStepId(id)}, which is reserved for the migration step of databases.${id}`);
    // `db-<x>-migrate` names the migration step of databases.<x> in every stack's addresses.
    if (id.endsWith(`-${MIGRATION_STEP_SUFFIX}`)) problems.as(`${named}: DatabaseProxy`).add(`databases.${id}`, id, `a database id that does not end in -${MIGRATION_STEP_SUFFIX} (the migration step of a database <x> is named <x>-${MIGRATION_STEP_SUFFIX})`);
    validateDatabase(problems.as(`${named}: DatabaseProxy`), `databases.${id}`, db, service);
  }
  rejectTemplateSequences(problems.as(`${named}: ServiceSpec`), "", service);
  return problems;
}

function knownFunction(p: Problems, property: string, id: string | undefined, service: ServiceSpec): boolean {
  if (id === undefined || !(id in (service.functions ?? {}))) {
    p.add(property, id, `the id of a declared function (${Object.keys(service.functions ?? {}).join(", ") || "none declared"})`);
    return false;
  }
  return true;
}

function validateFunction(p: Problems, at: string, fn: FunctionSpec, service: ServiceSpec, limits: CloudLimits): void {
  const r = resolveFunction(fn);
  if (p.required(`${at}.source`, fn.source, "a folder path holding the function code") && typeof fn.source === "string" && !isFolder(fn.source)) {
    p.add(`${at}.source`, fn.source, `an existing folder holding the function code (relative to ${process.cwd()})`);
  }
  if (p.required(`${at}.handler`, fn.handler, "an entry point such as index.handler") && typeof fn.handler === "string"
    && typeof fn.source === "string" && isFolder(fn.source)) {
    // The code deployed is the file the handler names: a missing file or export is an error now, not a broken function later.
    const problem = handlerFileProblem(fn.source, fn.handler, fn.runtime, Array.isArray(service.clouds) ? service.clouds : CLOUDS);
    if (problem) p.add(`${at}.handler`, fn.handler, problem);
  }
  if (p.required(`${at}.runtime`, fn.runtime, `one of ${RUNTIMES.join(", ")}`)) p.oneOf(`${at}.runtime`, fn.runtime, RUNTIMES);
  p.integer(`${at}.memoryMb`, r.memoryMb, limits.functionMemoryMb.min, limits.functionMemoryMb.max, `MB (${limits.functionService})`);
  p.integer(`${at}.timeoutSeconds`, r.timeoutSeconds, limits.functionTimeoutSeconds.min, limits.functionTimeoutSeconds.max, `seconds (${limits.functionService})`);
  p.integer(`${at}.minWarmInstances`, r.minWarmInstances, 0, 1000);
  p.integer(`${at}.concurrency.max`, fn.concurrency?.max, 1, 10000);
  p.integer(`${at}.concurrency.perInstance`, fn.concurrency?.perInstance, 1, 1000);
  if (fn.concurrency?.max !== undefined && r.minWarmInstances > fn.concurrency.max) {
    p.add(`${at}.minWarmInstances`, r.minWarmInstances, `at most concurrency.max (${fn.concurrency.max})`);
  }
  for (const [name, value] of Object.entries(r.environment)) {
    p.matches(`${at}.environment.${name}`, name, ENV_NAME, "an environment variable name [A-Za-z_][A-Za-z0-9_]*");
    if (SECRET_NAME.test(name) && value !== "") {
      p.add(`${at}.environment.${name}`, "<redacted literal>", "no literal secret values; declare it under `secrets` so it is read from the secret store at run time");
    }
  }
  for (const [name, secretId] of Object.entries(r.secrets)) {
    p.matches(`${at}.secrets.${name}`, name, ENV_NAME, "an environment variable stem [A-Za-z_][A-Za-z0-9_]*");
    if (!(secretId in (service.secrets ?? {}))) {
      p.add(`${at}.secrets.${name}`, secretId, `the id of a secret declared in secrets (${Object.keys(service.secrets ?? {}).join(", ") || "none declared"})`);
    }
  }
}

function validateGateway(p: Problems, at: string, gw: GatewaySpec, service: ServiceSpec, limits: CloudLimits): void {
  const routes = gw.routes ?? [];
  if (routes.length === 0) p.add(`${at}.routes`, routes, "at least one route");
  const seen = new Map<string, string>();
  routes.forEach((route, i) => {
    const rp = `${at}.routes[${i}]`;
    p.oneOf(`${rp}.method`, route.method, HTTP_METHODS);
    p.matches(`${rp}.path`, route.path, PATH, "a path starting with / made of literal, {param} or trailing {proxy+} segments");
    knownFunction(p, `${rp}.function`, route.function, service);
    // Parameter names do not tell routes apart: `/cart/{id}` and `/cart/{product_id}` match the same requests.
    const key = `${route.method} ${String(route.path).replace(/\{(?!proxy\+\})[^}]*\}/g, "{}")}`;
    if (seen.has(key)) p.add(rp, `${route.method} ${route.path}`, `each method + path at most once, parameter names aside (duplicate route of ${seen.get(key)})`);
    else seen.set(key, `${route.method} ${route.path}`);
  });
  const t = gw.throttle;
  if (!t) {
    p.add(`${at}.throttle`, t, "{ rateLimit, burstLimit } — every gateway is throttled");
  } else {
    p.range(`${at}.throttle.rateLimit`, t.rateLimit, limits.gatewayRateLimit.min, limits.gatewayRateLimit.max, "requests/second");
    p.integer(`${at}.throttle.burstLimit`, t.burstLimit, limits.gatewayBurstLimit.min, limits.gatewayBurstLimit.max, "requests");
    if (typeof t.burstLimit === "number" && typeof t.rateLimit === "number" && t.burstLimit < t.rateLimit) {
      p.add(`${at}.throttle.burstLimit`, t.burstLimit, `at least throttle.rateLimit (${t.rateLimit})`);
    }
  }
  if (gw.cors) {
    const origins = gw.cors.allowOrigins ?? [];
    if (origins.length === 0) p.add(`${at}.cors.allowOrigins`, origins, "at least one origin");
    origins.forEach((o, i) => {
      if (o !== "*") p.matches(`${at}.cors.allowOrigins[${i}]`, o, /^https?:\/\/[^\s/"'<>]+$/, "\"*\" or an origin such as https://app.example.com");
    });
    if (gw.cors.allowCredentials && origins.includes("*")) {
      p.add(`${at}.cors.allowCredentials`, true, "false when allowOrigins contains \"*\" (browsers reject credentials with a wildcard origin)");
    }
    if (gw.cors.allowCredentials) {
      // Browsers take `*` literally on credentialed requests (Fetch standard): list them instead.
      for (const key of ["allowMethods", "allowHeaders", "exposeHeaders"] as const) {
        if ((gw.cors[key] ?? []).includes("*")) p.add(`${at}.cors.${key}`, gw.cors[key], "explicit names when allowCredentials is true (browsers do not honour \"*\" on credentialed requests)");
      }
    }
    p.integer(`${at}.cors.maxAgeSeconds`, gw.cors.maxAgeSeconds, 0, 86400, "seconds");
  }
  if (gw.auth) {
    p.matches(`${at}.auth.issuer`, gw.auth.issuer, /^https:\/\/[^\s"'<>]+$/, "an https:// issuer URL");
    p.required(`${at}.auth.issuer`, gw.auth.issuer, "an https:// issuer URL");
    if (!gw.auth.audiences || gw.auth.audiences.length === 0) p.add(`${at}.auth.audiences`, gw.auth.audiences, "at least one audience");
    if (gw.auth.jwksUri !== undefined) p.matches(`${at}.auth.jwksUri`, gw.auth.jwksUri, /^https:\/\/[^\s"'<>]+$/, "an https:// URL of the issuer's signing keys (JWKS)");
  }
  p.integer(`${at}.accessLogs.retentionDays`, gw.accessLogs?.retentionDays, 1, 3653, "days");
}

function validateQueue(p: Problems, at: string, q: QueueSpec, service: ServiceSpec, limits: CloudLimits): void {
  const consumerKnown = knownFunction(p, `${at}.consumer`, q.consumer, service);
  (q.producers ?? []).forEach((f, i) => knownFunction(p, `${at}.producers[${i}]`, f, service));
  const consumerTimeout = consumerKnown ? resolveFunction(service.functions[q.consumer]).timeoutSeconds : 30;
  const r = resolveQueue(q, consumerTimeout);
  if (typeof r.maxDeliveryAttempts === "number" && r.maxDeliveryAttempts < 1) {
    p.add(`${at}.maxDeliveryAttempts`, r.maxDeliveryAttempts, `at least 1 (${limits.queueService}: ${limits.queueMaxDeliveryAttempts.min}..${limits.queueMaxDeliveryAttempts.max})`);
  } else {
    p.integer(`${at}.maxDeliveryAttempts`, r.maxDeliveryAttempts, limits.queueMaxDeliveryAttempts.min, limits.queueMaxDeliveryAttempts.max, `(${limits.queueService})`);
  }
  p.integer(`${at}.batchSize`, r.batchSize, limits.queueBatchSize.min, limits.queueBatchSize.max);
  p.integer(`${at}.batchWindowSeconds`, r.batchWindowSeconds, limits.queueBatchWindowSeconds.min, limits.queueBatchWindowSeconds.max, "seconds");
  p.integer(`${at}.retentionSeconds`, r.retentionSeconds, limits.queueRetentionSeconds.min, limits.queueRetentionSeconds.max, "seconds");
  if (p.integer(`${at}.dlqRetentionSeconds`, r.dlqRetentionSeconds, MIN_DLQ_RETENTION_SECONDS, limits.queueRetentionSeconds.max, "seconds (a DLQ keeps messages for at least 14 days)")) {
    if (r.dlqRetentionSeconds < r.retentionSeconds) {
      p.add(`${at}.dlqRetentionSeconds`, r.dlqRetentionSeconds, `at least retentionSeconds (${r.retentionSeconds}); a DLQ must outlive the source queue`);
    }
  }
  const factor = limits.queueVisibilityFactor ?? 6;
  if (q.visibilityTimeoutSeconds !== undefined) {
    const min = consumerTimeout * factor;
    if (q.visibilityTimeoutSeconds < min) {
      p.add(`${at}.visibilityTimeoutSeconds`, q.visibilityTimeoutSeconds, `at least ${factor} × the consumer's timeout (${consumerTimeout}s) = ${min} seconds`);
    } else {
      p.integer(`${at}.visibilityTimeoutSeconds`, q.visibilityTimeoutSeconds, limits.queueVisibilitySeconds.min, limits.queueVisibilitySeconds.max, "seconds");
    }
  } else if (consumerTimeout * factor > limits.queueVisibilitySeconds.max) {
    p.add(`${at}.consumer`, q.consumer, `a consumer whose timeout × ${factor} fits the ${limits.queueService} visibility limit of ${limits.queueVisibilitySeconds.max} seconds`);
  }
  p.integer(`${at}.maxConcurrency`, q.maxConcurrency, 2, 1000);
}

function validateBus(p: Problems, at: string, bus: EventBusSpec, service: ServiceSpec, limits: CloudLimits): void {
  const rules = Object.entries(bus.rules ?? {});
  if (rules.length === 0) p.add(`${at}.rules`, bus.rules, "at least one rule");
  (bus.publishers ?? []).forEach((f, i) => knownFunction(p, `${at}.publishers[${i}]`, f, service));
  p.integer(`${at}.archiveRetentionDays`, bus.archiveRetentionDays, 0, 3650, "days (0 keeps events indefinitely)");
  for (const [ruleId, rule] of rules) {
    const rp = `${at}.rules.${ruleId}`;
    p.matches(rp, ruleId, ID, ID_FORM);
    if (rule.schedule !== undefined) {
      const parsed = parseSchedule(rule.schedule);
      if (typeof parsed === "string") p.add(`${rp}.schedule`, rule.schedule, `${SCHEDULE_FORMS} (${parsed})`);
      if (rule.filter !== undefined) p.add(`${rp}.filter`, rule.filter, "no filter on a scheduled rule (a rule has either a filter or a schedule)");
    }
    const f = rule.filter ?? {};
    const pre = f.prefix ?? {};
    const clauses = [...(f.source ?? []), ...(f.type ?? []), ...Object.values(f.attributes ?? {}).flat(),
      ...(pre.source ?? []), ...(pre.type ?? []), ...Object.values(pre.attributes ?? {}).flat()];
    if (clauses.length === 0 && rule.schedule === undefined) {
      p.add(`${rp}.filter`, rule.filter, "at least one non-empty clause (source, type, attributes or prefix); an empty filter would match every event");
    }
    for (const [where, attrs] of [["filter.attributes", f.attributes], ["filter.prefix.attributes", pre.attributes]] as const) {
      for (const [k, values] of Object.entries(attrs ?? {})) {
        p.matches(`${rp}.${where}.${k}`, k, /^[A-Za-z][A-Za-z0-9_]{0,63}$/, "an attribute name [A-Za-z][A-Za-z0-9_]*");
        if (!values || values.length === 0) p.add(`${rp}.${where}.${k}`, values, "at least one value");
      }
    }
    // Prefixes: non-empty strings (an empty prefix matches everything), and a field is matched exactly or by prefix, not both.
    const prefixClauses: [string, readonly string[] | undefined, boolean][] = [
      ["source", pre.source, f.source !== undefined],
      ["type", pre.type, f.type !== undefined],
      ...Object.entries(pre.attributes ?? {}).map(([k, v]): [string, readonly string[], boolean] => [`attributes.${k}`, v, k in (f.attributes ?? {})]),
    ];
    for (const [field, values, exactToo] of prefixClauses) {
      if (values === undefined) continue;
      if (!Array.isArray(values) || values.length === 0) p.add(`${rp}.filter.prefix.${field}`, values, "at least one prefix");
      else values.forEach((v, i) => { if (typeof v !== "string" || v.length === 0) p.add(`${rp}.filter.prefix.${field}[${i}]`, v, "a non-empty string (an empty prefix matches every event)"); });
      if (exactToo) p.add(`${rp}.filter.prefix.${field}`, values, `no prefix clause on a field that also has an exact clause (filter.${field})`);
    }
    const target = rule.target as { function?: string; queue?: string } | undefined;
    if (target?.function !== undefined) {
      knownFunction(p, `${rp}.target.function`, target.function, service);
    } else if (target?.queue !== undefined) {
      if (!(target.queue in (service.queues ?? {}))) {
        p.add(`${rp}.target.queue`, target.queue, `the id of a declared queue (${Object.keys(service.queues ?? {}).join(", ") || "none declared"})`);
      }
    } else {
      p.add(`${rp}.target`, rule.target, "{ function: <id> } or { queue: <id> }");
    }
    p.integer(`${rp}.retry.maxAttempts`, rule.retry?.maxAttempts, limits.busRetryAttempts.min, limits.busRetryAttempts.max, `(${limits.busService})`);
    p.integer(`${rp}.retry.maxEventAgeSeconds`, rule.retry?.maxEventAgeSeconds, limits.busMaxEventAgeSeconds.min, limits.busMaxEventAgeSeconds.max, `seconds (${limits.busService})`);
  }
}

function validateDatabase(p: Problems, at: string, db: DatabaseProxySpec, service: ServiceSpec): void {
  if (p.required(`${at}.postgresVersion`, db.postgresVersion, `one of ${POSTGRES_VERSIONS.join(", ")}`)) {
    p.oneOf(`${at}.postgresVersion`, db.postgresVersion, POSTGRES_VERSIONS);
  }
  if (p.required(`${at}.size`, db.size, `one of ${DATABASE_SIZES.join(", ")}`)) p.oneOf(`${at}.size`, db.size, DATABASE_SIZES);
  if (db.server !== undefined) p.oneOf(`${at}.server`, db.server, DATABASE_SERVERS);
  if (db.databaseName !== undefined) p.matches(`${at}.databaseName`, db.databaseName, /^[a-z][a-z0-9_]{0,62}$/, "a Postgres identifier ^[a-z][a-z0-9_]{0,62}$");
  const pool = db.pool ?? {};
  const maxOk = p.integer(`${at}.pool.maxConnectionsPercent`, pool.maxConnectionsPercent, 1, 100, "%");
  const idleOk = p.integer(`${at}.pool.maxIdleConnectionsPercent`, pool.maxIdleConnectionsPercent, 1, 100, "%");
  const max = pool.maxConnectionsPercent ?? 90;
  const idle = pool.maxIdleConnectionsPercent ?? 50;
  if (maxOk && idleOk && idle > max) {
    p.add(`${at}.pool.maxIdleConnectionsPercent`, idle, `at most pool.maxConnectionsPercent (${max})`);
  }
  const borrowOk = p.integer(`${at}.pool.borrowTimeoutSeconds`, pool.borrowTimeoutSeconds, 0, 3600, "seconds");
  const shortest = shortestCallerTimeout(db, service.functions ?? {});
  if (borrowOk && pool.borrowTimeoutSeconds !== undefined && shortest && pool.borrowTimeoutSeconds >= shortest.seconds) {
    p.add(`${at}.pool.borrowTimeoutSeconds`, pool.borrowTimeoutSeconds,
      `0-${shortest.seconds - 1} seconds: below the shortest timeout among allowedFunctions (${shortest.functionId}: ${shortest.seconds} s), so pool exhaustion fails fast instead of timing out the caller`);
  }
  if (db.requireTls === false) p.add(`${at}.requireTls`, false, "true (connections to the pooled endpoint must use TLS)");
  // Functions log in as their own role with an identity token (IAM, service account, Entra); no
  // cloud provisions per-function passwords, so without identity auth nothing could connect.
  if (db.iamAuth === false) p.add(`${at}.iamAuth`, false, "true (functions authenticate with their identity; no passwords are provisioned)");
  if (!db.allowedFunctions) p.add(`${at}.allowedFunctions`, db.allowedFunctions, "a list of function ids (may be empty)");
  (db.allowedFunctions ?? []).forEach((f, i) => knownFunction(p, `${at}.allowedFunctions[${i}]`, f, service));
  if (db.migrations !== undefined) {
    if (typeof db.migrations !== "string" || db.migrations === "") {
      p.add(`${at}.migrations`, db.migrations, `a folder of migration files (${MIGRATION_FILE_FORM}), relative to the repository root`);
    } else {
      for (const problem of readMigrationFolder(db.migrations).problems) {
        p.add(`${at}.migrations`, problem.file === db.migrations ? db.migrations : `${db.migrations}/${problem.file}`, problem.allowed);
      }
    }
  }
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
