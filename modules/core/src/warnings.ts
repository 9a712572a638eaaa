/**
 * Synth warnings that are read: each warning has an id (`<cloud>:<what>`), is printed once per
 * environment with the services it affects, and an environment can acknowledge a known one by id
 * (`accept: [...]` in its file), which counts it instead of printing it.
 *
 * Ids come from two places:
 * - the deviation table (deviations.ts): `<cloud>:<field>`, e.g. `azure:function.memoryMb`;
 * - the warnings the cloud constructs raise, recognised by the patterns below, e.g.
 *   `gcp:queue.batchSize`. A construct warning that restates a deviation (no pooling, Azure's
 *   memory rounding, a queue cap Service Bus cannot enforce) carries the deviation's id. A construct warning no pattern recognises still prints, with an id
 *   derived from its text, but cannot be accepted until it is listed here (a test checks that
 *   every warning the sample and the four-service fixture raise is listed).
 */
import { DEVIATIONS } from "./deviations";
import { CLOUDS, Cloud } from "./environment";

export interface ConstructWarning {
  readonly id: string;
  /** Recognises the construct's message. */
  readonly pattern: RegExp;
  /** One line for the grouped output: what the warning says, whatever the service. */
  readonly summary: string;
}

const cw = (id: string, pattern: RegExp, summary: string): ConstructWarning => ({ id, pattern, summary });

/** The warnings the cloud constructs raise (modules/aws, modules/gcp, modules/azure). */
export const CONSTRUCT_WARNINGS: readonly ConstructWarning[] = [
  // AWS
  cw("aws:function.concurrency.perInstance", /^AwsFunction(\(.*?\))?: property 'concurrency\.perInstance'/, "Lambda runs one request per execution environment: concurrency.perInstance > 1 is not honoured"),
  cw("aws:gateway.function.timeoutSeconds", /^AwsHttpGateway(\(.*?\))?: function '.*' has timeoutSeconds/, "HTTP API integrations stop waiting after 30 seconds: a routed function's longer timeout does not reach the caller"),
  cw("aws:database.pooled", /^AwsDatabaseProxy\(.*?\): environments\/\S+ clouds\.aws\.database\.proxy = false/, "clouds.aws.database.proxy = false: functions connect to Aurora directly, without RDS Proxy pooling, and the cluster may pause"),
  cw("aws:database.availabilityZones", /^AwsDatabaseProxy\(.*?\): \d+ instances but the private subnets span/, "more database instances than availability zones: the reader shares a zone with the writer"),
  // GCP
  cw("gcp:queue.batchSize", /^GcpQueue\(.*?\): property 'batchSize'/, "Pub/Sub push delivers one message per request: batchSize is not honoured"),
  cw("gcp:queue.batchWindowSeconds", /^GcpQueue\(.*?\): property 'batchWindowSeconds'/, "Pub/Sub push delivers as soon as a message arrives: batchWindowSeconds is not honoured"),
  cw("gcp:queue.maxConcurrency", /^GcpQueue\(.*?\): property 'maxConcurrency'/, "Pub/Sub push has no per-subscription cap: the consumer's concurrency.max bounds the queue's deliveries"),
  cw("gcp:function.concurrency", /^GcpFunction\(.*?\): property 'concurrency'/, "the concurrency cap runs as the nearest exact instances × per-instance split"),
  cw("gcp:gateway.auth.jwksUri", /^GcpHttpGateway\(.*?\): property 'auth\.jwksUri' is unset/, "auth.jwksUri unset: API Gateway (no OpenID discovery) checks tokens against <issuer>/.well-known/jwks.json"),
  cw("gcp:gateway.throttle", /^GcpHttpGateway\(.*?\): property 'throttle' .* Cloud Armor on the load balancer only/, "the throttle is enforced by Cloud Armor on the load balancer only; API Gateway's own hostname skips it"),
  cw("gcp:gateway.function.timeoutSeconds", /^GcpHttpGateway\(.*?\): function '.*' has timeoutSeconds/, "API Gateway stops waiting for the backend after its deadline: a routed function's longer timeout gets 504 at the edge"),
  cw("gcp:gateway.function.runtime", /^GcpHttpGateway\(.*?\): function '.*' does not depend on @polycloud\/runtime/, "a routed Node function not built on @polycloud/runtime: nothing answers its CORS preflights on GCP and it sees API Gateway's token"),
  cw("gcp:environment.gatewayDomains", /^GcpHttpGateway\(.*?\): environments\/\S+ has no clouds\.gcp\.gatewayDomains/, "no clouds.gcp.gatewayDomains: the load balancer serves plain HTTP on port 80 (dev only)"),
  cw("gcp:database.pooled", /^GcpDatabaseProxy\(.*?\): environments\/\S+ clouds\.gcp\.database\.edition/, "a Cloud SQL edition without managed connection pooling: functions connect directly (acceptNoPooling)"),
  cw("gcp:bus.retry.maxEventAgeSeconds", /^GcpEventBus\(.*?\): rule '.*' property 'retry\.maxEventAgeSeconds'/, "a rule's retry.maxEventAgeSeconds cannot hold its Pub/Sub delivery attempts: events are kept longer so they are dead-lettered, not dropped"),
  cw("gcp:queue.pushRejections", /^GcpPushDelivery\(.*?\): a push rejected at the consumer's concurrency cap/, "a push rejected at the consumer's concurrency cap counts as a delivery attempt: a large burst can be dead-lettered without running"),
  // Azure
  cw("azure:function.memoryMb", /^AzureFunction\(.*?\): property 'memoryMb'/, "memoryMb is rounded up to a Flex Consumption instance size (512, 2048 or 4096 MB)"),
  cw("azure:function.concurrency", /^AzureFunction\(.*?\): property 'concurrency'/, "the concurrency cap runs as the nearest exact instances × per-instance split on Flex Consumption"),
  cw("azure:queue.consumer", /^AzureQueue\(.*?\): consumer '.*' also consumes/, "a consumer of several queues: maxConcurrentCalls applies to each Service Bus trigger, so its concurrency can exceed its cap"),
  cw("azure:queue.maxConsumerConcurrency", /^AzureQueue\(.*?\): property 'maxConcurrency'/, "a queue's maxConcurrency is not enforced per queue on Azure: the consumer's concurrency bounds it"),
  cw("azure:queue.batchSize", /^AzureQueue\(.*?\): property 'batchSize'/, "the Service Bus trigger hands the handler one message per invocation: batchSize is not honoured"),
  cw("azure:queue.retrySpacingSeconds", /^AzureQueue\(.*?\): consumer '.*' runs python/, "a Python consumer's failed message is redelivered at once (no spaced retries on Azure)"),
  cw("azure:gateway.throttle", /^AzureApiGateway\(.*?\): property 'throttle' .* Consumption tier/, "API Management Consumption has no rate-limit-by-key: the throttle is not enforced (BasicV2_1 or higher enforces it)"),
  cw("azure:database.pooled", /^AzureDatabaseProxy\(.*?\): environments\/\S+ clouds\.azure\.database\.skuName = .* is Burstable/, "a Burstable Flexible Server cannot run PgBouncer: functions connect directly (acceptNoPooling)"),
  cw("azure:database.directPoolOverflow", /^AzureDatabaseProxy\(.*?\): the functions in 'allowedFunctions' .* without PgBouncer/, "without PgBouncer the allowed functions can open more connections at full scale than the pool's share"),
];

const DEVIATION_MESSAGE = /^behaviour of service (\S+), (\S+): (\S+) on (aws|gcp|azure) is ([\s\S]*)$/;
const CONSTRUCT_KIND: Readonly<Record<string, string>> = {
  Function: "function", HttpGateway: "gateway", ApiGateway: "gateway", Queue: "queue", PushDelivery: "queue",
  EventBus: "bus", DatabaseProxy: "database", Service: "service", Foundation: "environment", Budget: "budget",
};

/** Ids of the deviation table: `<cloud>:<field>` for each cloud an entry names. */
export function deviationWarningIds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of DEVIATIONS) for (const c of d.clouds) if (!out.has(`${c}:${d.field}`)) out.set(`${c}:${d.field}`, `${d.field} on ${c} is ${d.bound} (${d.reason})`);
  return out;
}

/** Every id an environment may accept, with what it says. */
export function knownWarningIds(): Map<string, string> {
  const out = deviationWarningIds();
  for (const w of CONSTRUCT_WARNINGS) if (!out.has(w.id)) out.set(w.id, w.summary);
  return out;
}

export interface ClassifiedWarning {
  readonly id: string;
  /** The id is in the deviation table or CONSTRUCT_WARNINGS (so an environment can accept it). */
  readonly known: boolean;
  /** What the warning says, the same for every service it affects. */
  readonly summary: string;
  /** The component it concerns (`function:api`), when the message names one. */
  readonly component?: string;
}

/** The id and summary of one synth warning raised on `cloud`. */
export function classifyWarning(cloud: Cloud, message: string): ClassifiedWarning {
  const d = DEVIATION_MESSAGE.exec(message);
  if (d) {
    const [, , component, field, on, rest] = d;
    return { id: `${on}:${field}`, known: true, summary: `${field} on ${on} is ${rest.replace(/\.$/, "")}`, component };
  }
  const head = /^(Aws|Gcp|Azure)([A-Za-z]+?)(?:\(([^)]*)\))?: /.exec(message);
  const kind = head ? CONSTRUCT_KIND[head[2]] ?? head[2].toLowerCase() : undefined;
  const component = head?.[3] && kind ? `${kind}:${head[3]}` : undefined;
  const listed = CONSTRUCT_WARNINGS.find((w) => w.id.startsWith(`${cloud}:`) && w.pattern.test(message));
  // A construct warning that restates a deviation (Azure's memory rounding) reads like the deviation.
  if (listed) return { id: listed.id, known: true, summary: deviationWarningIds().get(listed.id) ?? listed.summary, component };
  // Not listed: an id from the property the message names, else from the construct class.
  const property = /property '([^']+)'/.exec(message)?.[1]?.replace(/^environments\/[^.]+\.clouds\.[a-z]+\./, "environment.");
  const id = `${cloud}:${kind ?? "other"}${property ? `.${property}` : head ? `.${head[1]}${head[2]}` : ""}`;
  return { id, known: false, summary: message, component };
}

/** One warning as raised: where, and its text. */
export interface RaisedWarning {
  readonly environment: string;
  readonly cloud: Cloud;
  readonly stack: string;
  /** The service whose construct raised it; undefined for the environment's own resources. */
  readonly service?: string;
  readonly message: string;
}

/** A warning id in one environment, with the services and stacks it affects. */
export interface WarningGroup {
  readonly environment: string;
  readonly id: string;
  readonly known: boolean;
  readonly accepted: boolean;
  /** Distinct summaries (usually one). */
  readonly summaries: readonly string[];
  /** service → components (an empty list when the message names none); `(environment)` for shared resources. */
  readonly services: ReadonlyMap<string, readonly string[]>;
  readonly stacks: readonly string[];
  /** The construct messages as raised (their values differ per component), first seen first. */
  readonly messages: readonly string[];
}

export interface WarningReport {
  readonly groups: readonly WarningGroup[];
  /** Accepted ids no stack of their environment raised (only meaningful when every stack was built). */
  readonly unusedAccepts: readonly { environment: string; id: string }[];
}

/**
 * Groups raised warnings by environment and id, in first-seen order, and marks those the
 * environment accepts. `accepts`: environment name → its `accept` list.
 */
export function groupWarnings(raised: readonly RaisedWarning[], accepts: Readonly<Record<string, readonly string[] | undefined>> = {}): WarningReport {
  const groups = new Map<string, { environment: string; id: string; known: boolean; summaries: string[]; services: Map<string, string[]>; stacks: string[]; messages: string[] }>();
  for (const w of raised) {
    const c = classifyWarning(w.cloud, w.message);
    const key = `${w.environment}\0${c.id}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { environment: w.environment, id: c.id, known: c.known, summaries: [], services: new Map(), stacks: [], messages: [] });
    if (!g.summaries.includes(c.summary)) g.summaries.push(c.summary);
    // Budget and alarm-channel deviations concern the environment, whichever service raised them.
    const svc = w.service === undefined || /^(budget|alarms):env$/.test(c.component ?? "") ? "(environment)" : w.service;
    const comps = g.services.get(svc) ?? [];
    if (c.component && svc !== "(environment)" && !comps.includes(c.component)) comps.push(c.component);
    g.services.set(svc, comps);
    if (!g.stacks.includes(w.stack)) g.stacks.push(w.stack);
    if (!DEVIATION_MESSAGE.test(w.message) && !g.messages.includes(w.message)) g.messages.push(w.message);
  }
  const out = [...groups.values()].map((g) => ({ ...g, accepted: g.known && (accepts[g.environment] ?? []).includes(g.id) }));
  const raisedIds = new Set(out.map((g) => `${g.environment}\0${g.id}`));
  const unusedAccepts = Object.entries(accepts).flatMap(([environment, ids]) => (ids ?? []).filter((id) => !raisedIds.has(`${environment}\0${id}`)).map((id) => ({ environment, id })));
  return { groups: out, unusedAccepts };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The one-line summary the synth ends with. */
export function warningSummary(report: WarningReport): string {
  const accepted = report.groups.filter((g) => g.accepted).length;
  const fresh = report.groups.length - accepted;
  return `Synth: ${plural(report.groups.length, "warning")}, ${accepted} accepted, ${fresh} new.`;
}

/**
 * The warnings as `npm run synth` prints them: each unaccepted warning once per environment with
 * the services (and components) it affects and its stacks, then the one-line summary.
 */
export function formatWarningReport(report: WarningReport, opts: { readonly showUnusedAccepts?: boolean } = {}): string {
  const lines: string[] = [];
  const fresh = report.groups.filter((g) => !g.accepted);
  if (fresh.length) lines.push(`New warnings (accept a known one by id in its environment file: accept: ["<id>"]):`);
  for (const g of fresh) {
    lines.push(`  ! [${g.id}] ${g.environment}: ${g.summaries.join(" | ")}`);
    const services = [...g.services].map(([s, comps]) => (comps.length ? `${s} (${comps.join(", ")})` : s));
    lines.push(`      services: ${services.join(", ")}; stacks: ${g.stacks.join(", ")}`);
    for (const m of g.messages.slice(0, 3)) lines.push(`      - ${m}`);
    if (g.messages.length > 3) lines.push(`      - … and ${g.messages.length - 3} more`);
    if (!g.known) lines.push(`      (not a listed warning: add it to CONSTRUCT_WARNINGS in modules/core/src/warnings.ts before an environment can accept it)`);
  }
  if (opts.showUnusedAccepts && report.unusedAccepts.length) {
    lines.push(`Accepted but not raised any more (remove them from accept): ${report.unusedAccepts.map((u) => `${u.environment}: ${u.id}`).join(", ")}`);
  }
  lines.push(warningSummary(report));
  return lines.join("\n");
}

/**
 * Problems with an environment's `accept` list (validate-environment reports them). An id of a
 * cloud the environment does not enable is allowed: it never matches, and an environment derived
 * from another by dropping a cloud keeps working.
 */
export function acceptProblems(accept: unknown): { property: string; value: unknown; allowed: string }[] {
  if (accept === undefined) return [];
  if (!Array.isArray(accept)) return [{ property: "accept", value: accept, allowed: "a list of warning ids such as \"gcp:gateway.burst\"" }];
  const known = knownWarningIds();
  const out: { property: string; value: unknown; allowed: string }[] = [];
  accept.forEach((id, i) => {
    const at = `accept[${i}]`;
    if (typeof id !== "string" || !known.has(id)) {
      const cloud = typeof id === "string" ? id.split(":")[0] : "";
      const near = typeof id === "string" ? nearest(id, [...known.keys()]) : undefined;
      out.push({ property: at, value: id, allowed: `the id of a known warning, as the synth prints it in [brackets] (${(CLOUDS as readonly string[]).includes(cloud) ? `${[...known.keys()].filter((k) => k.startsWith(`${cloud}:`)).length} known for ${cloud}` : "<cloud>:<what>, cloud one of aws, gcp, azure"}${near ? `; did you mean "${near}"?` : ""})` });
    } else if (accept.indexOf(id) !== i) {
      out.push({ property: at, value: id, allowed: "each id once" });
    }
  });
  return out;
}

/** The closest known id within a few edits, for "did you mean". */
function nearest(id: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(id, k);
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(3, Math.floor(id.length / 5)) ? best.k : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
