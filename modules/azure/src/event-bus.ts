import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { AlarmInfo, EventBusSpec, EventFilterSpec, NAME_RULES, PlatformEventBus, PlatformFunction, Problems, SCHEDULED_EVENT, parseSchedule, resolveRetry, envVarPart, scheduledEventData } from "@polycloud/core";
import { EventgridEventSubscription, EventgridEventSubscriptionAdvancedFilter } from "@cdktf/provider-azurerm/lib/eventgrid-event-subscription";
import { EventgridTopic } from "@cdktf/provider-azurerm/lib/eventgrid-topic";
import { LogicAppActionCustom } from "@cdktf/provider-azurerm/lib/logic-app-action-custom";
import { LogicAppTriggerRecurrence } from "@cdktf/provider-azurerm/lib/logic-app-trigger-recurrence";
import { LogicAppWorkflow } from "@cdktf/provider-azurerm/lib/logic-app-workflow";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageQueue } from "@cdktf/provider-azurerm/lib/storage-queue";
import { createMetricAlert } from "./alarm";
import { AzureContext } from "./context";
import { AzureFunction } from "./function";
import { AZURE_FUNCTIONS_CLOUD_EVENTS, azureFunctionsRequirement } from "./python-requirements";
import { AzureQueue } from "./queue";
import { RECURRENCE_START, toLogicAppRecurrence } from "./schedule";

export interface AzureEventBusProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: EventBusSpec;
  readonly functions: Readonly<Record<string, AzureFunction>>;
  readonly queues: Readonly<Record<string, AzureQueue>>;
}

/** Event Grid allows at most 25 advanced-filter values across all filters of a subscription, each at most 512 characters. */
const MAX_VALUES = 25;
/** What a scheduled event carries, as on GCP (where `polycloud_schedule` is a message attribute). */
const SCHEDULE_SOURCE = SCHEDULED_EVENT.source;
const SCHEDULE_TYPE = SCHEDULED_EVENT.type;
const SCHEDULE_KEY = SCHEDULED_EVENT.dataKey;
const MAX_VALUE_LENGTH = 512;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Translates the neutral filter: `type` → included event types, `source` and attributes →
 * advanced StringIn filters on `source` / `data.<key>` (CloudEvents schema). Untranslatable
 * clauses are reported by name.
 */
export function toEventGridFilter(filter: EventFilterSpec, p: Problems, at: string): { includedEventTypes?: string[]; advancedFilter?: EventgridEventSubscriptionAdvancedFilter } {
  const stringIn: { key: string; values: string[] }[] = [];
  const check = (clause: string, values: readonly string[] | undefined): boolean => {
    if (!values) return false;
    if (!Array.isArray(values) || values.length === 0) { p.add(`${at}.${clause}`, values, "at least one value to match"); return false; }
    if (values.length > MAX_VALUES) { p.add(`${at}.${clause}`, values.length, `at most ${MAX_VALUES} values (Event Grid advanced filter limit)`); return false; }
    const long = values.find((v) => String(v).length > MAX_VALUE_LENGTH);
    if (long !== undefined) { p.add(`${at}.${clause}`, `${String(long).slice(0, 40)}…`, `values of at most ${MAX_VALUE_LENGTH} characters (Event Grid advanced filter limit)`); return false; }
    return true;
  };
  if (filter.source && check("filter.source", filter.source)) stringIn.push({ key: "source", values: [...filter.source] });
  for (const [key, values] of Object.entries(filter.attributes ?? {})) {
    if (!KEY.test(key)) { p.add(`${at}.filter.attributes.${key}`, key, "an attribute key matching ^[A-Za-z_][A-Za-z0-9_]*$ (Event Grid filters on data.<key>)"); continue; }
    if (check(`filter.attributes.${key}`, values)) stringIn.push({ key: `data.${key}`, values: [...values] });
  }
  const types = filter.type && check("filter.type", filter.type) ? [...filter.type] : undefined;
  // Prefix clauses: StringBeginsWith on the CloudEvents attribute (`source`, `type`) or `data.<key>`.
  const stringBeginsWith: { key: string; values: string[] }[] = [];
  const pre = filter.prefix ?? {};
  if (pre.source && check("filter.prefix.source", pre.source)) stringBeginsWith.push({ key: "source", values: [...pre.source] });
  if (pre.type && check("filter.prefix.type", pre.type)) stringBeginsWith.push({ key: "type", values: [...pre.type] });
  for (const [key, values] of Object.entries(pre.attributes ?? {})) {
    if (!KEY.test(key)) { p.add(`${at}.filter.prefix.attributes.${key}`, key, "an attribute key matching ^[A-Za-z_][A-Za-z0-9_]*$ (Event Grid filters on data.<key>)"); continue; }
    if (check(`filter.prefix.attributes.${key}`, values)) stringBeginsWith.push({ key: `data.${key}`, values: [...values] });
  }
  const total = [...stringIn, ...stringBeginsWith].reduce((n, f) => n + f.values.length, 0);
  if (total > MAX_VALUES) {
    p.add(`${at}.filter`, total, `at most ${MAX_VALUES} source, attribute and prefix values in all (Event Grid counts advanced-filter values per subscription; exact type values do not count)`);
  }
  const advanced = { ...(stringIn.length ? { stringIn } : {}), ...(stringBeginsWith.length ? { stringBeginsWith } : {}) };
  return { includedEventTypes: types, advancedFilter: Object.keys(advanced).length ? advanced : undefined };
}

/**
 * An Event Grid topic (CloudEvents 1.0, local auth off, system identity) with, per rule, an event
 * subscription: translated filters, the target function or the target queue's Service Bus
 * endpoint with the topic's identity, a retry policy, and a storage dead-letter container written
 * with the same identity. An archive subscription copies every event to a storage queue that keeps
 * messages for the archive retention.
 */
export class AzureEventBus extends Construct implements PlatformEventBus {
  readonly spec: EventBusSpec;
  readonly topic: EventgridTopic;
  readonly deadLetters: StorageContainer;
  readonly subscriptions: Record<string, EventgridEventSubscription> = {};
  readonly alarms: AlarmInfo[] = [];
  readonly problems: Problems;
  /** Python targets whose requirements were checked for the CloudEvents decoder (one problem per function). */
  private readonly checkedDecoders = new Set<string>();

  constructor(scope: Construct, id: string, private readonly props: AzureEventBusProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.spec = spec;
    this.problems = new Problems(`AzureEventBus(${logicalId})`);
    const rg = ctx.resourceGroup;
    this.topic = new EventgridTopic(this, "topic", {
      // The endpoint <name>.<region>-1.eventgrid.azure.net is unique per region: subscription suffix.
      name: ctx.globalName(NAME_RULES.azure.generic, logicalId),
      resourceGroupName: rg.name,
      location: rg.location,
      inputSchema: "CloudEventSchemaV1_0",
      localAuthEnabled: false,
      identity: { type: "SystemAssigned" },
    });
    const principal = this.topic.identity.principalId;
    this.deadLetters = new StorageContainer(this, "dead-letters", { name: `${logicalId}-dead-letters`.toLowerCase().replace(/[^a-z0-9-]/g, "-"), storageAccountId: ctx.storage.id, containerAccessType: "private" });
    const dlWriter = new RoleAssignment(this, "dead-letter-writer", { scope: this.deadLetters.id, roleDefinitionName: "Storage Blob Data Contributor", principalId: principal, principalType: "ServicePrincipal" });

    for (const [ruleId, rule] of Object.entries(spec.rules ?? {})) {
      const at = `rules.${ruleId}`;
      const retry = resolveRetry(rule.retry);
      const queue = "queue" in rule.target ? props.queues[rule.target.queue] : undefined;
      const fn = "function" in rule.target ? props.functions[rule.target.function] : undefined;
      if (!queue && !fn) continue; // reported by validation
      // The function's code registers an Event Grid trigger under this name (a queue() consumer
      // otherwise registers only Service Bus triggers, and the delivery would fail: issue 24.2).
      if (fn) fn.addSetting("PLATFORM_EVENT_GRID_FUNCTION", rule.target && "function" in rule.target ? rule.target.function : "");
      if (fn) this.requireCloudEventDecoder(fn, ruleId);
      // A scheduled rule: a Logic App posts a CloudEvent to a topic of the rule's own, so neither the
      // bus's archive nor another rule filtering on source/type ever sees its ticks.
      const ticks = rule.schedule !== undefined ? this.scheduleWorkflow(ruleId, rule.schedule) : undefined;
      const filter = ticks?.filter ?? toEventGridFilter(rule.filter ?? {}, this.problems, at);
      const topic = ticks?.topic ?? this.topic;
      const topicPrincipal = ticks ? ticks.topic.identity.principalId : principal;
      const sender = queue ? new RoleAssignment(this, `send-${ruleId}`, { scope: queue.queue.id, roleDefinitionName: "Azure Service Bus Data Sender", principalId: topicPrincipal, principalType: "ServicePrincipal" }) : undefined;
      this.subscriptions[ruleId] = new EventgridEventSubscription(this, `rule-${ruleId}`, {
        name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, ruleId).slice(0, 64),
        scope: topic.id,
        eventDeliverySchema: "CloudEventSchemaV1_0",
        includedEventTypes: filter.includedEventTypes,
        advancedFilter: filter.advancedFilter,
        serviceBusQueueEndpointId: queue?.queue.id,
        // The function must export an Event Grid trigger named like the rule's target id.
        azureFunctionEndpoint: fn ? { functionId: `${fn.app.id}/functions/${rule.target && "function" in rule.target ? rule.target.function : ""}`, maxEventsPerBatch: 1 } : undefined,
        deliveryIdentity: queue ? { type: "SystemAssigned" } : undefined,
        retryPolicy: { maxDeliveryAttempts: Math.min(rule.retry?.maxAttempts ?? 30, 30), eventTimeToLive: Math.max(1, Math.ceil(retry.maxEventAgeSeconds / 60)) },
        storageBlobDeadLetterDestination: { storageAccountId: ctx.storage.id, storageBlobContainerName: this.deadLetters.name },
        deadLetterIdentity: { type: "SystemAssigned" },
        dependsOn: [ticks?.deadLetterWriter ?? dlWriter, ...(sender ? [sender] : [])],
      });
    }

    const archiveDays = spec.archiveRetentionDays ?? ctx.env.retention?.archiveDays ?? 0;
    if (archiveDays > 0) {
      const archive = new StorageQueue(this, "archive-queue", { name: `${logicalId}-archive`.toLowerCase().replace(/[^a-z0-9-]/g, "-"), storageAccountId: ctx.storage.id });
      const writer = new RoleAssignment(this, "archive-writer", { scope: archive.id, roleDefinitionName: "Storage Queue Data Message Sender", principalId: principal, principalType: "ServicePrincipal" });
      new EventgridEventSubscription(this, "archive", {
        name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "archive"),
        scope: this.topic.id,
        eventDeliverySchema: "CloudEventSchemaV1_0",
        storageQueueEndpoint: { storageAccountId: ctx.storage.id, queueName: archive.name, queueMessageTimeToLiveInSeconds: archiveDays * 86400 },
        deliveryIdentity: { type: "SystemAssigned" },
        retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLive: 1440 },
        storageBlobDeadLetterDestination: { storageAccountId: ctx.storage.id, storageBlobContainerName: this.deadLetters.name },
        deadLetterIdentity: { type: "SystemAssigned" },
        dependsOn: [writer, dlWriter],
      });
    }

    const t = ctx.thresholds;
    const ns = "Microsoft.EventGrid/topics";
    this.alarms.push(
      createMetricAlert(this, "alarm-dead-lettered", ctx, {
        signal: "bus.sentToDlq", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "dead-lettered"), scope: this.topic.id, namespace: ns,
        metric: "DeadLetteredCount", aggregation: "Total", threshold: 0,
        description: `Events of ${logicalId} were dead-lettered into ${this.deadLetters.name}.`,
      }),
      createMetricAlert(this, "alarm-failed", ctx, {
        signal: "bus.failedInvocations", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "delivery-failures"), scope: this.topic.id, namespace: ns,
        metric: "DeliveryAttemptFailCount", aggregation: "Total", threshold: t.busFailedInvocations,
        description: `Deliveries of ${logicalId} failed more than ${t.busFailedInvocations} times in 5 minutes.`,
      }),
    );
    this.node.addValidation({ validate: () => this.problems.messages() });
  }

  /**
   * A scheduled rule's ticks: an Event Grid topic of the rule's own (its identity writes the rule's
   * dead letters and delivers to the target), and a Logic App (Consumption) with a UTC recurrence
   * trigger and one HTTP action posting a CloudEvent (`source` polycloud.schedule, `type`
   * Scheduled Event, data `{"polycloud_schedule": "<rule id>"}`) to that topic with the workflow's
   * own identity, which may only send there (EventGrid Data Sender). Nothing else publishes to the
   * topic and nothing but the rule subscribes to it: the bus's archive and its other rules never
   * see a tick. Alarms: failed workflow runs (the publish failed after the HTTP action's retries),
   * and the tick topic's failed deliveries and dead letters, as for the bus.
   */
  /**
   * A Python function an Event Grid subscription delivers to receives CloudEvents 1.0 (the topics'
   * input and delivery schema): the Python worker decodes them from azure-functions 1.25.0b4 only
   * (func.CloudEvent, Azure/azure-functions-python-library#314), and only the package's own copy
   * (PYTHON_ISOLATE_WORKER_DEPENDENCIES, set by AzureFunction) can be that new. Without the pin
   * every event would fail in the function, so synth refuses it, once per function.
   */
  private requireCloudEventDecoder(fn: AzureFunction, ruleId: string): void {
    const spec = fn.spec;
    if (!spec.runtime.startsWith("python") || this.checkedDecoders.has(fn.logicalId)) return;
    this.checkedDecoders.add(fn.logicalId);
    const source = spec.source ?? ".";
    const req = azureFunctionsRequirement(path.resolve(source));
    if (req.ok) return;
    this.problems.as("Function").add(`functions.${fn.logicalId}.source`, `${source}/requirements.txt${req.found ? `: ${req.found}` : fs.existsSync(path.resolve(source, "requirements.txt")) ? " without azure-functions" : " (none)"}`,
      `a requirements.txt with azure-functions>=${AZURE_FUNCTIONS_CLOUD_EVENTS} on Azure: rules.${ruleId} delivers CloudEvents 1.0 through Event Grid, which the Python worker decodes into func.CloudEvent from that release only`);
  }

  private scheduleWorkflow(ruleId: string, schedule: string): { filter: ReturnType<typeof toEventGridFilter>; topic: EventgridTopic; deadLetterWriter: RoleAssignment } {
    const { context: ctx, logicalId } = this.props;
    const parsed = parseSchedule(schedule);
    const translated = typeof parsed === "object" ? toLogicAppRecurrence(parsed) : undefined; // unparsable: reported by validation
    if (translated?.error) this.problems.add(`rules.${ruleId}.schedule`, schedule, translated.error);
    const rg = ctx.resourceGroup;
    const topic = new EventgridTopic(this, `schedule-${ruleId}-topic`, {
      // Event Grid topic names: 3-50 characters, unique per region (subscription suffix).
      name: ctx.globalName({ ...NAME_RULES.azure.generic, maxLength: 50 }, logicalId, ruleId, "ticks"),
      resourceGroupName: rg.name,
      location: rg.location,
      inputSchema: "CloudEventSchemaV1_0",
      localAuthEnabled: false,
      identity: { type: "SystemAssigned" },
    });
    const deadLetterWriter = new RoleAssignment(this, `schedule-${ruleId}-dead-letter-writer`, { scope: this.deadLetters.id, roleDefinitionName: "Storage Blob Data Contributor", principalId: topic.identity.principalId, principalType: "ServicePrincipal" });
    const workflow = new LogicAppWorkflow(this, `schedule-${ruleId}`, {
      name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, ruleId, "schedule").slice(0, 80),
      resourceGroupName: rg.name,
      location: rg.location,
      identity: { type: "SystemAssigned" },
    });
    const sender = new RoleAssignment(this, `schedule-${ruleId}-sender`, { scope: topic.id, roleDefinitionName: "EventGrid Data Sender", principalId: workflow.identity.principalId, principalType: "ServicePrincipal" });
    const r = translated?.recurrence;
    new LogicAppTriggerRecurrence(this, `schedule-${ruleId}-trigger`, {
      name: "schedule",
      logicAppId: workflow.id,
      frequency: r?.frequency ?? "Day",
      interval: r?.interval ?? 1,
      startTime: r?.startTime ?? RECURRENCE_START,
      schedule: r?.schedule,
      timeZone: "UTC",
    });
    new LogicAppActionCustom(this, `schedule-${ruleId}-publish`, {
      name: "publish",
      logicAppId: workflow.id,
      body: JSON.stringify({
        type: "Http",
        runAfter: {},
        inputs: {
          method: "POST",
          uri: topic.endpoint,
          headers: { "Content-Type": "application/cloudevents+json; charset=utf-8" },
          body: { specversion: "1.0", id: "@{guid()}", source: SCHEDULE_SOURCE, type: SCHEDULE_TYPE, time: "@{utcNow()}", datacontenttype: "application/json", data: scheduledEventData(ruleId) },
          authentication: { type: "ManagedServiceIdentity", audience: "https://eventgrid.azure.net" },
        },
      }),
      // The first run may only post once the identity can send.
      dependsOn: [sender],
    });
    const t = ctx.thresholds;
    const name = (...parts: string[]) => ctx.namer.name(NAME_RULES.azure.generic, logicalId, ruleId, ...parts);
    this.alarms.push(
      createMetricAlert(this, `schedule-${ruleId}-alarm-runs-failed`, ctx, {
        signal: "schedule.failedRuns", name: name("runs-failed"), scope: workflow.id, namespace: "Microsoft.Logic/workflows",
        metric: "RunsFailed", aggregation: "Total", threshold: 1,
        description: `Schedule ${logicalId}/${ruleId}: a run failed to publish its tick (after the HTTP action's retries).`,
      }),
      createMetricAlert(this, `schedule-${ruleId}-alarm-dead-lettered`, ctx, {
        signal: "bus.sentToDlq", name: name("dead-lettered"), scope: topic.id, namespace: "Microsoft.EventGrid/topics",
        metric: "DeadLetteredCount", aggregation: "Total", threshold: 0,
        description: `Ticks of ${logicalId}/${ruleId} were dead-lettered into ${this.deadLetters.name}.`,
      }),
      createMetricAlert(this, `schedule-${ruleId}-alarm-failed`, ctx, {
        signal: "bus.failedInvocations", name: name("delivery-failures"), scope: topic.id, namespace: "Microsoft.EventGrid/topics",
        metric: "DeliveryAttemptFailCount", aggregation: "Total", threshold: t.busFailedInvocations,
        description: `Deliveries of ${logicalId}/${ruleId} ticks failed more than ${t.busFailedInvocations} times in 5 minutes.`,
      }),
    );
    return { filter: { advancedFilter: { stringIn: [{ key: "source", values: [SCHEDULE_SOURCE] }, { key: `data.${SCHEDULE_KEY}`, values: [ruleId] }] } }, topic, deadLetterWriter };
  }

  grantPublish(fn: PlatformFunction): void {
    const f = fn as AzureFunction;
    f.grantRole(`publish-${this.props.logicalId}`, this.topic.id, "EventGrid Data Sender");
    f.addSetting(`EVENT_BUS_${envVarPart(this.props.logicalId)}_ENDPOINT`, this.topic.endpoint);
  }
}
