import {
  BEHAVIOUR_FIELDS, CLOUDS, Cloud, DEVIATIONS, atLeast, behaviourEntries, compareBehaviours, componentOf, deviationTable, deviationsFor, durationSeconds,
  intendedBehaviour, refOf, withinBound,
} from "@polycloud/core";
import { clone, warnings } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { readDocSection } from "../../scripts/doc-section";
import { awsEvent, azureEvent, gcpEvent } from "../../modules/runtime/src/adapters";
import { BEHAVIOUR_SOURCES, behaviourAttributesTable } from "../../stacks/behaviour-attributes-table";
import { READERS, equivalenceProblems, read } from "./read";
import { declaredPaths, newReads, recording, unread } from "./recorder";
import { Scenario, scenarios, synthScenario } from "./scenarios";

const SCENARIOS = scenarios();
/** Each scenario's three stacks, synthesized once for the file. */
const stacksOf = new Map<string, Record<Cloud, any>>();
for (const s of SCENARIOS) stacksOf.set(s.name, Object.fromEntries(CLOUDS.map((c) => [c, synthScenario(s, c)])) as Record<Cloud, any>);
const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;
const fresh = (name: string) => clone(stacksOf.get(name)!);
const problemsOf = (s: Scenario, stacks: Record<Cloud, any>) => equivalenceProblems(stacks, s.service(s.env), s.env);

describe.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (_name, s) => {
  const records = read(stacksOf.get(s.name)!);

  test("every field equals the spec's intent on every cloud, or stays within a deviation bound", () => {
    expect(compareBehaviours(records, s.service(s.env), s.env).problems).toEqual([]);
  });

  test("the records hold what callers, messages and operators observe", () => {
    const intent = intendedBehaviour(s.service(s.env), s.env, "aws");
    for (const c of CLOUDS) {
      const r = records[c];
      // Every component of the spec is in the record, on every cloud.
      expect([c, Object.keys(r.functions).sort(), Object.keys(r.queues).sort(), Object.keys(r.rules).sort(), Object.keys(r.gateways).sort(), Object.keys(r.databases).sort()])
        .toEqual([c, ...[intent.functions, intent.queues, intent.rules, intent.gateways, intent.databases].map((m) => Object.keys(m).sort())]);
      for (const q of Object.values(r.queues)) expect([c, q.dropsWithoutDeadLetter, q.consumer]).toEqual([c, false, expect.stringMatching(/^function:/)]);
      for (const rule of Object.values(r.rules)) expect([c, rule.undeliverable]).toEqual([c, "dead-lettered"]);
      // Every alarm reaches the environment's recipients.
      for (const [component, signals] of Object.entries(r.alarms)) for (const [signal, a] of Object.entries(signals)) expect([c, component, signal, a!.notifies]).toEqual([c, component, signal, true]);
      expect(r.alarmRecipients).toEqual([...s.env.alarms.recipients].sort());
    }
  });
});

test("the reference service's queue is retried one visibility window later (Azure: the runtime's scheduled re-send); GCP pushes one consumer timeout apart within the same 5 × 360 s", () => {
  const records = read(stacksOf.get("reference/prod")!);
  for (const c of ["aws", "azure"] as const) expect([c, records[c].queues.orders.retrySpacingSeconds, records[c].queues.orders.deliveryAttempts]).toEqual([c, 360, 5]);
  // A push refused at the consumer's cap counts as an attempt on Pub/Sub (issue 28.6): 30 attempts 60 s apart.
  expect([records.gcp.queues.orders.retrySpacingSeconds, records.gcp.queues.orders.deliveryAttempts]).toEqual([60, 30]);
  // And consumed five at a time, as the queue's maxConcurrency asks (GCP and Azure cap the consumer that only this queue invokes).
  for (const c of CLOUDS) expect([c, records[c].queues.orders.maxConsumerConcurrency]).toEqual([c, 5]);
});

test("a scheduled tick reaches the handler as the same event on every cloud (each cloud's delivery through the runtime's adapter)", () => {
  const stacks = stacksOf.get("coffee/dev")!;
  // AWS: what EventBridge writes from the target's input template for one tick.
  const target = Object.values<any>(stacks.aws.resource.aws_cloudwatch_event_target).find((t) => t.input_transformer);
  const tick: Record<string, unknown> = { id: "7bf73129", time: "2026-12-05T07:00:00Z", account: "111111111111", region: "eu-west-1", resources: ["arn:aws:events:eu-west-1:111111111111:rule/x"] };
  const filled = target.input_transformer.input_template.replace(/<([a-z]+)>/g, (_: string, k: string) => JSON.stringify(tick[k]));
  // GCP: the Cloud Scheduler job's message, pushed to the rule's subscription.
  const job = Object.values<any>(stacks.gcp.resource.google_cloud_scheduler_job)[0].pubsub_target;
  const push = { headers: { "content-type": "application/json" }, body: { subscription: "s", message: { data: job.data, attributes: job.attributes, messageId: "1", publishTime: tick.time } } };
  // Azure: the CloudEvent the Logic App posts, with its expressions evaluated.
  const action = Object.values<any>(stacks.azure.resource.azurerm_logic_app_action_custom).map((a) => JSON.parse(a.body)).find((b) => b.inputs?.body?.source);
  const posted = { ...action.inputs.body, id: "e1", time: tick.time };
  const seen = [awsEvent(JSON.parse(filled)), gcpEvent(push), azureEvent(posted)].map((e) => ({ source: e.source, type: e.type, data: e.data }));
  expect(seen).toEqual(Array(3).fill({ source: "polycloud.schedule", type: "Scheduled Event", data: { polycloud_schedule: "morning" } }));
});

/** Resources of a type in a stack whose address contains `part`. */
const each = (json: any, type: string, part = "") => Object.entries<any>(json.resource[type] ?? {}).filter(([a]) => a.includes(part)).map(([, r]) => r);
const one = (json: any, type: string, part = "") => {
  const all = each(json, type, part);
  if (all.length !== 1) throw new Error(`${type} ${part}: ${all.length} matches`);
  return all[0];
};

describe("negative controls: a changed stack is caught, for every attribute the review found unread, constant or copied", () => {
  const ref = scenario("reference/prod");
  const coffee = scenario("coffee/dev");
  const variety = scenario("variety/staging");
  const caught = (s: Scenario, change: (st: Record<Cloud, any>) => void) => {
    const st = fresh(s.name);
    change(st);
    return problemsOf(s, st);
  };

  test("unchanged: no problems", () => {
    for (const s of SCENARIOS) expect([s.name, problemsOf(s, fresh(s.name))]).toEqual([s.name, []]);
  });

  test("ack deadline and Service Bus lock", () => {
    expect(caught(ref, (st) => { one(st.gcp, "google_pubsub_subscription", "queue-orders_delivery_subscription").ack_deadline_seconds = 60; }))
      .toContainEqual(expect.stringMatching(/^queue:orders\.visibilitySeconds: gcp=60 intent=360/));
    expect(caught(ref, (st) => { one(st.azure, "azurerm_servicebus_queue").lock_duration = "PT30S"; }))
      .toContainEqual(expect.stringMatching(/^queue:orders\.visibilitySeconds: azure=30 beyond its deviation bound \(exactly 60\)/));
  });

  test("event filters, on each cloud", () => {
    expect(caught(ref, (st) => { const r = one(st.aws, "aws_cloudwatch_event_rule"); r.event_pattern = r.event_pattern.replace("OrderCreated", "OrderUpdated"); }))
      .toContainEqual(expect.stringMatching(/^rule:events\/order-created\.filter: aws=.*OrderUpdated.* intent=/));
    expect(caught(ref, (st) => { const s = one(st.gcp, "google_pubsub_subscription", "rule-order-created_subscription"); s.filter = s.filter.replace(" AND attributes.type = \"OrderCreated\"", ""); }))
      .toContainEqual(expect.stringMatching(/^rule:events\/order-created\.filter: gcp=/));
    expect(caught(coffee, (st) => { const s = one(st.azure, "azurerm_eventgrid_event_subscription", "rule-order-events"); s.advanced_filter.string_begins_with[0].key = "subject"; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/order-events\.filter: azure=/));
  });

  test("push endpoints and rule targets are read from the delivery, never from the label the generator wrote", () => {
    expect(caught(ref, (st) => {
      const s = one(st.gcp, "google_pubsub_subscription", "rule-order-created_subscription");
      s.push_config.push_endpoint = s.push_config.push_endpoint.replace(/orders_fn-worker_fn_[A-Z0-9]+/, Object.keys(st.gcp.resource.google_cloudfunctions2_function).find((a) => a.includes("fn-api"))!);
    })).toContainEqual(expect.stringMatching(/^rule:events\/order-created\.target: gcp="function:api" intent="queue:orders"/));
    // A rule subscription that delivers unlike the queue is not "into the queue", whatever its label says.
    expect(caught(ref, (st) => { one(st.gcp, "google_pubsub_subscription", "rule-order-created_subscription").dead_letter_policy.max_delivery_attempts = 9; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/order-created\.target: gcp="function:worker"/));
    // The label itself changes nothing.
    expect(caught(ref, (st) => { one(st.gcp, "google_pubsub_subscription", "rule-order-created_subscription").labels.target = "function-api"; })).toEqual([]);
  });

  test("routes come from the gateway's configuration, never from the function's PLATFORM_ROUTES", () => {
    expect(caught(ref, (st) => {
      for (const f of each(st.gcp, "google_cloudfunctions2_function")) if (f.service_config.environment_variables.PLATFORM_ROUTES) f.service_config.environment_variables.PLATFORM_ROUTES = "[]";
    })).toEqual([]);
  });

  test("JWT issuer and audiences, on each cloud", () => {
    expect(caught(ref, (st) => { one(st.aws, "aws_apigatewayv2_authorizer").jwt_configuration.issuer = "https://evil.example.com/"; }))
      .toContainEqual(expect.stringMatching(/^gateway:public\.jwt: aws="issuer https:\/\/evil\.example\.com\//));
    expect(caught(ref, (st) => { const c = one(st.gcp, "google_api_gateway_api_config").openapi_documents[0].document; c.contents = c.contents.replace('"x-google-audiences" = "orders-api"', '"x-google-audiences" = "orders-api,other"'); }))
      .toContainEqual(expect.stringMatching(/^gateway:public\.jwt: gcp="issuer https:\/\/auth\.example\.com\/ audiences orders-api,other"/));
    expect(caught(ref, (st) => { for (const p of each(st.azure, "azurerm_api_management_api_operation_policy")) p.xml_content = p.xml_content.replace("<audience>orders-api</audience>", "<audience>any</audience>"); }))
      .toContainEqual(expect.stringMatching(/^gateway:public\.jwt: azure="issuer https:\/\/auth\.example\.com\/ audiences any"/));
  });

  test("CORS on GCP is what the preflight's function answers with", () => {
    expect(caught(ref, (st) => {
      for (const f of each(st.gcp, "google_cloudfunctions2_function")) {
        const env = f.service_config.environment_variables;
        if (env.PLATFORM_CORS) env.PLATFORM_CORS = env.PLATFORM_CORS.replace('"allowCredentials":true', '"allowCredentials":false');
      }
    })).toContainEqual(expect.stringMatching(/^gateway:public\.cors: gcp=.*credentials\W+false/));
  });

  test("Azure's dead-letter retention, loss paths and rules into a queue are read, not assumed", () => {
    expect(caught(ref, (st) => { one(st.azure, "azurerm_servicebus_queue").auto_delete_on_idle = "PT1H"; }))
      .toContainEqual(expect.stringMatching(/^queue:orders\.dropsWithoutDeadLetter: azure=true intent=false/));
    expect(caught(ref, (st) => { delete one(st.azure, "azurerm_eventgrid_event_subscription", "rule-order-created").storage_blob_dead_letter_destination; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/order-created\.undeliverable: azure="dropped"/));
    expect(caught(ref, (st) => {
      const q = one(st.azure, "azurerm_servicebus_queue");
      q.forward_dead_lettered_messages_to = "${azurerm_servicebus_queue.x.name}";
      st.azure.resource.azurerm_servicebus_queue.x = { default_message_ttl: "P1D" };
    })).toContainEqual(expect.stringMatching(/^queue:orders\.dlqRetentionSeconds: azure=86400 beyond its deviation bound \(exactly null\)/));
  });

  test("an alarm missing on one cloud is visible (the Azure database CPU alarm the audit removed)", () => {
    expect(caught(ref, (st) => {
      const [address] = Object.entries<any>(st.azure.resource.azurerm_monitor_metric_alert).find(([, a]) => a.criteria[0].metric_name === "cpu_percent")!;
      delete st.azure.resource.azurerm_monitor_metric_alert[address];
    })).toContainEqual('alarm:database:main.database.cpu: azure=absent intent={"atLeast":80,"windowSeconds":900,"perSeries":false,"statistic":"mean","missingData":"ok","notifies":true}');
  });

  test("an alarm's metric, statistic, threshold, window, missing-data handling and channel are each compared", () => {
    const errors = (json: any) => Object.entries<any>(json.resource.aws_cloudwatch_metric_alarm).find(([a]) => a.includes("fn-api_errors-alarm"))![1];
    expect(caught(ref, (st) => { errors(st.aws).metric_name = "Invocations"; })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: aws=absent/));
    expect(caught(ref, (st) => { errors(st.aws).statistic = "Average"; })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: aws=.*"statistic":"mean"/));
    expect(caught(ref, (st) => { errors(st.aws).period = 60; })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: aws=.*"windowSeconds":60/));
    expect(caught(ref, (st) => { errors(st.aws).treat_missing_data = "breaching"; })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: aws=.*"missingData":"alarm"/));
    expect(caught(ref, (st) => { errors(st.aws).alarm_actions = []; })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: aws=.*"notifies":false/));
    expect(caught(ref, (st) => {
      const a = Object.entries<any>(st.azure.resource.azurerm_monitor_metric_alert).find(([k]) => k.includes("fn-api_alarm-errors"))![1];
      a.criteria[0].operator = "GreaterThan";
    })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: azure=\{"atLeast":2/));
    expect(caught(ref, (st) => {
      for (const p of each(st.gcp, "google_monitoring_alert_policy")) delete p.conditions[0].condition_threshold.evaluation_missing_data;
    })).toContainEqual(expect.stringMatching(/^alarm:function:api\.function\.errors: gcp=.*"missingData":"keep"/));
  });

  test("identities allowed to invoke, send and publish", () => {
    expect(caught(ref, (st) => { for (const p of each(st.aws, "aws_lambda_permission")) p.source_arn = p.source_arn.replace(/aws_apigatewayv2_api\.[^.]+/, "aws_apigatewayv2_api.other"); }))
      .toContainEqual(expect.stringMatching(/^function:api\.invokers: aws=\[\] intent=\["gateway:public"\]/));
    expect(caught(ref, (st) => { const p = one(st.aws, "aws_sqs_queue_policy", "queue-orders_policy"); p.policy = p.policy.replace("events.amazonaws.com", "sns.amazonaws.com"); }))
      .toContainEqual(expect.stringMatching(/^queue:orders\.senders: aws=\[\] intent=\["rule:events\/order-created"\]/));
    expect(caught(ref, (st) => { for (const m of each(st.gcp, "google_pubsub_topic_iam_member", "publisher-api")) m.role = "roles/pubsub.viewer"; }))
      .toContainEqual(expect.stringMatching(/^bus:events\.publishers: gcp=\[\]/));
    expect(caught(ref, (st) => { one(st.azure, "azurerm_role_assignment", "bus-events_send-order-created").role_definition_name = "Azure Service Bus Data Receiver"; }))
      .toContainEqual(expect.stringMatching(/^queue:orders\.senders: azure=\["function:worker"\]/));
    expect(caught(ref, (st) => { for (const r of each(st.gcp, "google_sql_user", "user-worker")) r.instance = "${google_sql_database_instance.other.name}"; }))
      .toContainEqual(expect.stringMatching(/^database:main\.clients: gcp=\["function:api"\]/));
  });

  test("a defect all three clouds share is caught against the spec (every queue gets the spec's attempts + 3)", () => {
    expect(caught(ref, (st) => {
      const r = one(st.aws, "aws_sqs_queue_redrive_policy");
      r.redrive_policy = r.redrive_policy.replace('"maxReceiveCount":5', '"maxReceiveCount":8');
      for (const s of each(st.gcp, "google_pubsub_subscription")) if (s.dead_letter_policy) s.dead_letter_policy.max_delivery_attempts = 8;
      one(st.azure, "azurerm_servicebus_queue").max_delivery_count = 8;
      for (const a of each(st.azure, "azurerm_function_app_flex_consumption")) if (a.app_settings.PLATFORM_QUEUE_ORDERS_MAX_DELIVERIES) a.app_settings.PLATFORM_QUEUE_ORDERS_MAX_DELIVERIES = "8";
    })).toEqual(expect.arrayContaining([
      expect.stringMatching(/^queue:orders\.deliveryAttempts: aws=8 intent=5/), expect.stringMatching(/^queue:orders\.deliveryAttempts: gcp=8 beyond its deviation bound \(exactly 30\), intent=5/), expect.stringMatching(/^queue:orders\.deliveryAttempts: azure=8 intent=5/),
    ]));
  });

  test("deviations are bounded on both sides: a pool share too large or too small, a rate too high", () => {
    const poolSize = (value: string) => caught(ref, (st) => {
      const flags = one(st.gcp, "google_sql_database_instance").settings.connection_pool_config[0].flags;
      flags.find((f: any) => f.name === "max_pool_size").value = value;
    });
    expect(poolSize("720")).toContainEqual(expect.stringMatching(/^database:main\.poolPercent: gcp=\d+ beyond its deviation bound \(\d+\.\.90\)/));
    expect(poolSize("1")).toContainEqual(expect.stringMatching(/^database:main\.poolPercent: gcp=\d+ beyond its deviation bound \(\d+\.\.90\)/));
    expect(caught(ref, (st) => {
      const rule = one(st.gcp, "google_compute_security_policy").rule.find((r: any) => r.action === "throttle");
      rule.rate_limit_options.rate_limit_threshold.count += 1;
    })).toContainEqual(expect.stringMatching(/^gateway:public\.burst: gcp=6001 beyond its deviation bound \(exactly 6000\)/));
    expect(caught(variety, (st) => { one(st.gcp, "google_pubsub_subscription", "rule-direct_subscription").dead_letter_policy.max_delivery_attempts = 99; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/direct\.attempts: gcp=99 beyond its deviation bound \(exactly 100\)/));
  });

  test("retry spacing on Azure: the consumer's Data Sender on its queue, its ordering, or the delay setting removed", () => {
    const spacing = (mutate: (azure: any) => void) => caught(ref, (st) => mutate(st.azure));
    const worker = (azure: any) => Object.values<any>(azure.resource.azurerm_function_app_flex_consumption).find((a) => a.app_settings.PLATFORM_QUEUE_ORDERS_RETRY_DELAY_SECONDS);
    const resend = (azure: any) => Object.keys(azure.resource.azurerm_role_assignment).find((k) => k.includes("resend-orders"))!;
    const lost = expect.stringMatching(/^queue:orders\.retrySpacingSeconds: azure=0 intent=360$/);
    expect(spacing((az) => { delete az.resource.azurerm_role_assignment[resend(az)]; })).toContainEqual(lost);
    expect(spacing((az) => { worker(az).depends_on = worker(az).depends_on.filter((d: string) => !d.includes("resend-orders")); })).toContainEqual(lost);
    expect(spacing((az) => { delete worker(az).app_settings.PLATFORM_QUEUE_ORDERS_RETRY_DELAY_SECONDS; })).toContainEqual(lost);
    expect(spacing((az) => { worker(az).app_settings.PLATFORM_QUEUE_ORDERS_MAX_DELIVERIES = "50"; })).toContainEqual(lost);
    // The same role on the namespace instead of the queue is not the runtime's grant.
    expect(spacing((az) => { const r = az.resource.azurerm_role_assignment[resend(az)]; r.scope = r.scope.replace(/azurerm_servicebus_queue\.([^.]+)\.id/, "azurerm_servicebus_namespace.x.id"); })).toContainEqual(lost);
    // A Python consumer does not re-send.
    expect(spacing((az) => { worker(az).runtime_name = "python"; })).toContainEqual(lost);
  });

  test("a scheduled tick that is EventBridge's own (no input transformer) is a different event", () => {
    expect(caught(coffee, (st) => { for (const t of each(st.aws, "aws_cloudwatch_event_target")) delete t.input_transformer; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/morning\.delivers: aws="aws\.events \| Scheduled Event \| \{\}"/));
  });

  test("schedules are compared as firing times", () => {
    expect(caught(coffee, (st) => { const j = one(st.gcp, "google_cloud_scheduler_job"); j.schedule = "0 7 * * MON-FRI"; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/morning\.schedule: gcp="at minutes 0 hours 7 /));
    expect(caught(coffee, (st) => { one(st.azure, "azurerm_logic_app_trigger_recurrence").schedule.on_these_days = ["Monday"]; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/morning\.schedule: azure=".* days-of-week 1 \(UTC\)"/));
  });
});

describe("negative controls for what issue 28 changed: each is read from the stack, not assumed", () => {
  const coffee = scenario("coffee/dev");
  const variety = scenario("variety/staging");
  const ref = scenario("reference/dev");
  const caught = (s: Scenario, change: (st: Record<Cloud, any>) => void) => {
    const st = fresh(s.name);
    change(st);
    return problemsOf(s, st);
  };
  const sub = (json: any, name: string) => Object.values<any>(json.resource.google_pubsub_subscription).find((x) => x.name === name)!;

  test("GCP: a rule into a function whose retry schedule outlasts its retention drops events; the raised retention is the deviation's exact value", () => {
    expect(read(fresh(variety.name)).gcp.rules["events/late"]).toMatchObject({ undeliverable: "dead-lettered", maxEventAgeSeconds: 100 * 2 * 40 });
    expect(caught(variety, (st) => { sub(st.gcp, "mix-staging-events-late").message_retention_duration = "3600s"; }))
      .toEqual(expect.arrayContaining([expect.stringMatching(/^rule:events\/late\.undeliverable: gcp="dropped" intent="dead-lettered"/), expect.stringMatching(/^rule:events\/late\.maxEventAgeSeconds: gcp=3600 beyond its deviation bound \(exactly 8000\)/)]));
    expect(caught(variety, (st) => { sub(st.gcp, "mix-staging-events-tick").retry_policy.maximum_backoff = "600s"; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/tick\.undeliverable: gcp="dropped"/));
    // Into a queue the subscription keeps the queue's retention, which drops at expiry as SQS does.
    expect(caught(ref, (st) => { sub(st.gcp, "orders-dev-events-order-created").retry_policy.maximum_backoff = "600s"; })).toEqual([]);
  });

  test("AWS: a rule into a function is dead-lettered only through the invoked alias's on-failure destination, which the role may send to", () => {
    const config = (aws: any) => one(aws, "aws_lambda_function_event_invoke_config", "fn-handler");
    expect(caught(variety, (st) => { delete config(st.aws).destination_config; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/direct\.undeliverable: aws="dropped" intent="dead-lettered"/));
    expect(caught(variety, (st) => { config(st.aws).qualifier = "$LATEST"; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/tick\.undeliverable: aws="dropped"/));
    expect(caught(variety, (st) => { for (const p of each(st.aws, "aws_iam_role_policy", "fn-handler")) p.policy = p.policy.replace('"Sid":"AsyncFailures","Effect":"Allow","Action":"sqs:SendMessage"', '"Sid":"AsyncFailures","Effect":"Deny","Action":"sqs:SendMessage"'); }))
      .toContainEqual(expect.stringMatching(/^rule:events\/late\.undeliverable: aws="dropped"/));
    // Functions nothing invokes asynchronously carry no async-failure alarm: one there is a difference.
    expect(Object.keys(read(fresh(ref.name)).aws.alarms["function:worker"])).not.toContain("queue.dlqDepth");
  });

  test("schedules: ticks reach their rule from the job's or workflow's own topic; ticks on the bus topic make the schedule a publisher of the bus", () => {
    expect(caught(coffee, (st) => { const j = one(st.gcp, "google_cloud_scheduler_job"); j.pubsub_target.topic_name = one(st.gcp, "google_pubsub_subscription", "rule-order-events_subscription").topic; }))
      .toEqual(expect.arrayContaining([expect.stringMatching(/^rule:events\/morning\.schedule: gcp=null/), expect.stringMatching(/^bus:events\.publishers: gcp=\["function:orders","schedule:coffee-dev-events-morning"\]/)]));
    // Both the job and the rule's subscription on the bus topic: the rule still fires, but the bus (its archive, its other rules) carries the ticks.
    expect(caught(coffee, (st) => {
      const bus = one(st.gcp, "google_pubsub_subscription", "rule-order-events_subscription").topic;
      one(st.gcp, "google_cloud_scheduler_job").pubsub_target.topic_name = bus;
      one(st.gcp, "google_pubsub_subscription", "rule-morning_subscription").topic = bus;
    })).toContainEqual('bus:events.publishers: gcp=["function:orders","rule:events/morning"] intent=["function:orders"]');
    expect(caught(coffee, (st) => {
      const action = one(st.azure, "azurerm_logic_app_action_custom");
      const busTopic = one(st.azure, "azurerm_eventgrid_event_subscription", "rule-order-events").scope;
      const body = JSON.parse(action.body);
      body.inputs.uri = busTopic.replace(/\.id\}$/, ".endpoint}");
      action.body = JSON.stringify(body);
    })).toContainEqual(expect.stringMatching(/^rule:events\/morning\.schedule: azure=null/));
  });

  test("schedules: failed runs alarm on GCP (log-based metric of the rule's job) and Azure (the workflow's RunsFailed); AWS has no separate run", () => {
    const records = read(fresh(coffee.name));
    expect([records.gcp.alarms["rule:events/morning"]["schedule.failedRuns"], records.azure.alarms["rule:events/morning"]["schedule.failedRuns"], records.aws.alarms["rule:events/morning"]["schedule.failedRuns"]])
      .toEqual([{ atLeast: 1, windowSeconds: 300, perSeries: false, statistic: "total", missingData: "ok", notifies: true }, { atLeast: 1, windowSeconds: 300, perSeries: false, statistic: "total", missingData: "ok", notifies: true }, undefined]);
    expect(caught(coffee, (st) => { const m = one(st.gcp, "google_logging_metric"); m.filter = m.filter.replace(/resource\.labels\.job_id="[^"]+"/, 'resource.labels.job_id="another-job"'); }))
      .toContainEqual(expect.stringMatching(/^alarm:rule:events\/morning\.schedule\.failedRuns: gcp=absent/));
    expect(caught(coffee, (st) => { const a = Object.values<any>(st.azure.resource.azurerm_monitor_metric_alert).find((x) => x.criteria[0].metric_name === "RunsFailed"); a.criteria[0].metric_name = "RunsSucceeded"; }))
      .toContainEqual(expect.stringMatching(/^alarm:rule:events\/morning\.schedule\.failedRuns: azure=absent/));
    // An AWS alarm of that signal would be a difference too: the deviation says absent.
    expect(caught(coffee, (st) => { const a = Object.values<any>(st.aws.resource.aws_cloudwatch_metric_alarm).find((x) => x.metric_name === "FailedInvocations" && /morning/.test(x.dimensions.RuleName)); a.metric_name = "FailedInvocations"; })).toEqual([]);
  });

  test("Azure: a cron recurrence without its fixed start also runs when the workflow is saved", () => {
    expect(caught(coffee, (st) => { delete one(st.azure, "azurerm_logic_app_trigger_recurrence").start_time; }))
      .toContainEqual(expect.stringMatching(/^rule:events\/morning\.schedule: azure=".*, and once whenever the workflow is saved"/));
    expect(read(fresh(variety.name)).azure.rules["events/tick"].schedule).toBe(read(fresh(variety.name)).gcp.rules["events/tick"].schedule);
  });

  test("Azure: a Node Service Bus consumer's errors alarm must count every failed attempt (the runtime's retried ones too)", () => {
    const alert = (az: any) => one(az, "azurerm_monitor_scheduled_query_rules_alert_v2", "fn-worker");
    expect(caught(ref, (st) => { const c = alert(st.azure).criteria[0]; c.query = c.query.split("\n").slice(0, 2).join("\n").replace(/,$/, ""); }))
      .toContainEqual(expect.stringMatching(/^alarm:function:worker\.function\.errors: azure=absent/));
    expect(caught(ref, (st) => { const c = alert(st.azure).criteria[0]; c.query = c.query.replace(/cloud_RoleName == "[^"]+" and message/, 'cloud_RoleName == "another-app" and message'); }))
      .toContainEqual(expect.stringMatching(/^alarm:function:worker\.function\.errors: azure=absent/));
    expect(caught(ref, (st) => { alert(st.azure).window_duration = "PT15M"; }))
      .toContainEqual(expect.stringMatching(/^alarm:function:worker\.function\.errors: azure=.*"windowSeconds":900/));
    // A metric alert on failed requests does not count every attempt of such a consumer.
    expect(caught(ref, (st) => {
      const api = Object.entries<any>(st.azure.resource.azurerm_monitor_metric_alert).find(([k]) => k.includes("fn-api_alarm-errors"))![1];
      st.azure.resource.azurerm_monitor_metric_alert.worker_errors = { ...clone(api), scopes: api.scopes };
      delete st.azure.resource.azurerm_monitor_scheduled_query_rules_alert_v2;
    })).toContainEqual(expect.stringMatching(/^alarm:function:worker\.function\.errors: azure=absent/));
  });

  test("Azure: pools and the saturation alarm are shares of the user connections (max_connections less the 15 Azure keeps)", () => {
    const records = read(fresh("reference/staging"));
    const db = records.azure.databases.main;
    expect(db.userConnections).toBe(db.maxConnections - 15);
    expect(records.azure.alarms["database:main"]["proxy.connectionSaturation"]!.atLeast).toBe(80);
    expect(caught(ref, (st) => { const a = Object.values<any>(st.azure.resource.azurerm_monitor_metric_alert).find((x) => x.criteria[0].metric_name === "active_connections"); a.criteria[0].threshold = 40; }))
      .toContainEqual(expect.stringMatching(/^alarm:database:main\.proxy\.connectionSaturation: azure=\{"atLeast":114/));
  });

  test("an entry that applies must describe the cloud: Azure dropping expired messages is a difference although the intent drops them", () => {
    expect(caught(ref, (st) => { one(st.azure, "azurerm_servicebus_queue").dead_lettering_on_message_expiration = false; }))
      .toContainEqual('queue:orders.expiredMessages: azure="dropped" beyond its deviation bound (exactly "dead-lettered"), intent="dropped"');
  });
});

describe("deviation bounds", () => {
  const applicable = SCENARIOS.flatMap((s) => CLOUDS.flatMap((cloud) => {
    const records = read(stacksOf.get(s.name)!);
    const intent = behaviourEntries(intendedBehaviour(s.service(s.env), s.env, cloud));
    return deviationsFor(s.service(s.env), s.env, cloud).map(({ deviation, component }) => {
      const key = [...intent.entries()].find(([, e]) => e.component === component && e.field === deviation.field)?.[0];
      const bound = deviation.allowed({ service: s.service(s.env), env: s.env, cloud, component, intent: key ? intent.get(key)!.value : undefined, record: records[cloud] });
      return { where: `${s.name} ${cloud} ${component} ${deviation.field}`, bound };
    });
  }));

  test("every entry is used by the scenarios, and every bound is one value or a closed range with both ends", () => {
    const used = new Set(SCENARIOS.flatMap((s) => CLOUDS.flatMap((c) => deviationsFor(s.service(s.env), s.env, c).map(({ deviation }) => deviation))));
    expect(DEVIATIONS.filter((d) => !used.has(d)).map((d) => `${d.field} (${d.clouds.join(", ")}): ${d.bound}`)).toEqual([
      // Capped functions above 1000 that no instances × per-instance split reaches: a spec this large is not among the scenarios.
      "function.maxConcurrency (gcp, azure): between 1000 × ⌊cap / 1000⌋ and the cap when no instances × per-instance split gives the cap exactly",
    ]);
    for (const { where, bound } of applicable) {
      if ("exactly" in bound) continue;
      expect([where, Number.isFinite(bound.min) && Number.isFinite(bound.max) && bound.min <= bound.max]).toEqual([where, true]);
    }
  });

  test("none accepts anything: a value outside every bound is refused", () => {
    for (const { where, bound } of applicable) {
      const outside = "exactly" in bound ? [{ something: "else" }, 123456789, "other"] : [bound.min - 1, bound.max + 1, "text"];
      for (const v of outside) expect([where, v, withinBound(v, bound)]).toEqual([where, v, false]);
    }
  });
});

test("each deviation warns at synth time, naming the service and component", () => {
  const { stack } = synthPlatform(envByName("dev"), undefined, "azure");
  expect(warnings(stack)).toContainEqual(expect.stringMatching(/^behaviour of service orders, function:api: function\.memoryMb on azure is rounded up to the next Flex Consumption instance size: 512, 2048 or 4096 MiB/));
  expect(warnings(stack)).toContainEqual(expect.stringMatching(/^behaviour of service orders, database:main: database\.pooled on azure/));
});

test("reader helpers: references inside functions, durations in both forms, components, >= normalisation", () => {
  expect(refOf('${regex("[^/]+$", google_cloudfunctions2_function.orders_fn-api_fn_53961D74.service_config[0].service)}')).toEqual({ type: "google_cloudfunctions2_function", address: "orders_fn-api_fn_53961D74", attr: "service_config" });
  expect(refOf("${aws_sqs_queue.orders_queue-orders_dlq_95F5C121.arn}")?.address).toBe("orders_queue-orders_dlq_95F5C121");
  expect(refOf("plain text")).toBeUndefined();
  expect([durationSeconds("345600s"), durationSeconds("PT345600S"), durationSeconds("PT5M"), durationSeconds("P14D"), durationSeconds("PT1H30M")]).toEqual([345600, 345600, 300, 1209600, 5400]);
  expect(() => durationSeconds("5 minutes")).toThrow(/not a duration/);
  expect(componentOf("orders_bus-events_rule-order-created_subscription_84AD134A")).toEqual({ kind: "bus", id: "events", rest: ["rule-order-created", "subscription"] });
  expect([atLeast("function.errors", "gt", 0), atLeast("function.errors", "ge", 1), atLeast("gateway.latencyP99", "gt", 1000), atLeast("queue.sentToDlq", "gt", 0)]).toEqual([1, 1, 1000, 1]);
});

test("docs/parity.md shows the deviation table generated from code (run `npm run parity` after changing it)", () => {
  expect(readDocSection("deviations")).toBe(deviationTable());
});

describe("where the records come from: every attribute listed in docs/parity.md is read, nothing copied from the spec is", () => {
  const reads = Object.fromEntries(CLOUDS.map((c) => {
    const r = newReads();
    for (const s of SCENARIOS) READERS[c](recording(stacksOf.get(s.name)![c], r));
    return [c, r];
  })) as Record<Cloud, ReturnType<typeof newReads>>;

  test("every field of the record is listed, with what it means, and every cloud lists where it reads each", () => {
    const kindOf = (field: string) => field.slice(0, field.indexOf("."));
    const fields = new Set(SCENARIOS.flatMap((s) => [...behaviourEntries(intendedBehaviour(s.service(s.env), s.env, "aws")).values()].map((e) => e.field)));
    const listed = new Set(Object.keys(BEHAVIOUR_FIELDS));
    const informational = ["database.poolServerConnections", "database.maxConnections", "database.userConnections", "database.pools"];
    expect([...fields].filter((f) => !listed.has(f) && !listed.has(`${kindOf(f)}.*`) && !informational.includes(f)).sort()).toEqual([]);
    for (const c of CLOUDS) expect([c, Object.keys(BEHAVIOUR_SOURCES[c]).sort()]).toEqual([c, [...listed].sort()]);
  });

  test.each(CLOUDS)("the %s reader reads every attribute it lists, over the scenarios' stacks", (cloud) => {
    expect(unread(cloud, reads[cloud])).toEqual([]);
  });

  test.each(CLOUDS)("the %s reader never reads labels, tags, descriptions or the functions' copies of the spec", (cloud) => {
    const forbidden = [...reads[cloud].read.keys()].filter((p) =>
      /(^|\.)(labels|user_labels|tags|description|display_name)(\.|$)/.test(p) && !p.startsWith("google_monitoring_notification_channel.labels")
      || /\.(PLATFORM_ROUTES|PLATFORM_JWT_[A-Z_]+|PLATFORM_MAX_INSTANCES|PLATFORM_PER_INSTANCE_CONCURRENCY)$/.test(p));
    expect(forbidden).toEqual([]);
  });

  test("docs/parity.md lists where each field is read on each cloud (run `npm run parity` after changing a reader's list)", () => {
    expect(readDocSection("behaviour-attributes")).toBe(behaviourAttributesTable());
  });

  test("negative controls: nothing read leaves every listed attribute unread; a read label is reported", () => {
    const none = newReads();
    expect(unread("aws", none)).toEqual(declaredPaths("aws"));
    const r = newReads();
    const stack = recording({ resource: { google_pubsub_subscription: { s: { labels: { target: "queue-x" } } } } }, r);
    void (stack.resource.google_pubsub_subscription as any).s.labels.target;
    expect([...r.read.keys()]).toContain("google_pubsub_subscription.labels.target");
  });
});
