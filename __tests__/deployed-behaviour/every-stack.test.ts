import { AZURE_RESERVED_CONNECTIONS, INERT_SERVICE_BUS_HOST_SETTINGS, RECURRENCE_START } from "@polycloud/azure";
import { ATTEMPT_FAILED_EVENT, resolveFunction } from "@polycloud/core";
import { ofCloud, ref, resourcesOf, everyStack } from "./stacks";

/**
 * Issue 28 (third cloud review): each item that is one case of a class, checked on every
 * synthesized stack (stacks.ts: the reference stacks, the sample services and the variants).
 */
describe("every stack", () => {
  beforeAll(() => everyStack(), 600000);

  test("28.1 CORS never answers Access-Control-Allow-Methods with *: ANY routes are spelt out, on every cloud", () => {
    let checked = 0;
    for (const [name, s] of Object.entries(everyStack())) {
      const methods: string[][] = [];
      for (const [, api] of resourcesOf(s.json, "aws_apigatewayv2_api")) if (api.cors_configuration) methods.push(api.cors_configuration.allow_methods);
      for (const [, p] of resourcesOf(s.json, "azurerm_api_management_api_policy")) {
        const cors = /<allowed-methods[^>]*>([\s\S]*?)<\/allowed-methods>/.exec(p.xml_content);
        if (cors) methods.push([...cors[1].matchAll(/<method>([^<]*)<\/method>/g)].map((m) => m[1]));
      }
      for (const [, f] of resourcesOf(s.json, "google_cloudfunctions2_function")) {
        const cors = f.service_config?.environment_variables?.PLATFORM_CORS;
        if (cors) methods.push(JSON.parse(cors).allowMethods);
      }
      for (const m of methods) {
        checked++;
        expect({ name, star: m.includes("*"), empty: m.length === 0 }).toEqual({ name, star: false, empty: false });
      }
      if (name.includes("+variants")) expect({ name, any: methods.some((m) => ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].every((x) => m.includes(x))) }).toEqual({ name, any: true });
    }
    expect(checked).toBeGreaterThan(15);
  });

  test("28.2 AWS: an async-failure destination, queue and alarm exist exactly for the functions a rule invokes asynchronously", () => {
    for (const [name, s] of ofCloud("aws")) {
      const aliases = new Map(resourcesOf(s.json, "aws_lambda_alias").map(([n, a]) => [`aws_lambda_alias.${n}`, ref(a.function_name)]));
      const asyncFns = new Set(resourcesOf(s.json, "aws_cloudwatch_event_target").map(([, t]) => aliases.get(ref(t.arn)!) ?? ref(t.arn)).filter((f) => f?.startsWith("aws_lambda_function.")));
      const configured = new Set(resourcesOf(s.json, "aws_lambda_function_event_invoke_config").map(([, c]) => ref(c.function_name)));
      expect({ name, configured: [...configured].sort() }).toEqual({ name, configured: [...asyncFns].sort() });
      const dlqs = resourcesOf(s.json, "aws_sqs_queue").filter(([, q]) => /-async-dlq$/.test(q.name));
      const alarms = resourcesOf(s.json, "aws_cloudwatch_metric_alarm").filter(([, a]) => /async-dlq-depth/.test(a.alarm_name));
      expect({ name, dlqs: dlqs.length, alarms: alarms.length }).toEqual({ name, dlqs: asyncFns.size, alarms: asyncFns.size });
      if (name.includes("+variants")) expect(asyncFns.size).toBe(1);
    }
  });

  test("28.3 AWS: a cluster's instances sit in distinct availability zones, each the zone of one of its subnets", () => {
    let multi = 0;
    for (const [name, s] of ofCloud("aws")) {
      const subnetZones = new Set(resourcesOf(s.json, "aws_subnet").map(([, n]) => n.availability_zone));
      for (const [cluster] of resourcesOf(s.json, "aws_rds_cluster")) {
        const zones = resourcesOf(s.json, "aws_rds_cluster_instance").filter(([, i]) => ref(i.cluster_identifier) === `aws_rds_cluster.${cluster}`).map(([, i]) => i.availability_zone);
        expect({ name, unset: zones.filter((z) => !z).length, distinct: new Set(zones).size }).toEqual({ name, unset: 0, distinct: zones.length });
        for (const z of zones) expect({ name, z, inSubnets: subnetZones.has(z) }).toEqual({ name, z, inSubnets: true });
        if (zones.length > 1) multi++;
      }
    }
    expect(multi).toBeGreaterThanOrEqual(2);
  });

  test("28.5 GCP: every rule into a function keeps events at least as long as its whole retry schedule, so undelivered ones are dead-lettered, never expired", () => {
    let functionRules = 0;
    for (const [name, s] of ofCloud("gcp")) {
      for (const [address, sub] of resourcesOf(s.json, "google_pubsub_subscription")) {
        // Queues (and rules into them) keep the queue's declared retention, which drops on SQS too.
        if (!sub.push_config || !/^function-/.test(sub.labels?.target ?? "")) continue;
        const secs = (d: string) => Number(String(d).replace(/s$/, ""));
        const schedule = sub.dead_letter_policy.max_delivery_attempts * (sub.ack_deadline_seconds + secs(sub.retry_policy.maximum_backoff));
        expect({ name, address, covered: secs(sub.message_retention_duration) >= schedule }).toEqual({ name, address, covered: true });
        if (/^function-/.test(sub.labels?.target ?? "")) functionRules++;
      }
    }
    expect(functionRules).toBeGreaterThanOrEqual(2);
  });

  test("28.6 GCP: a failed or rejected push waits at least the consumer's timeout before the next attempt", () => {
    for (const [name, s] of ofCloud("gcp")) {
      const timeouts = new Map(resourcesOf(s.json, "google_cloudfunctions2_function").map(([n, f]) => [`google_cloudfunctions2_function.${n}`, f.service_config.timeout_seconds]));
      for (const [address, sub] of resourcesOf(s.json, "google_pubsub_subscription")) {
        if (!sub.push_config) continue;
        const fn = ref(sub.push_config.push_endpoint)!;
        expect({ name, address, fn: timeouts.has(fn) }).toEqual({ name, address, fn: true });
        expect({ name, address, spaced: Number(sub.retry_policy.minimum_backoff.replace(/s$/, "")) >= Math.min(600, timeouts.get(fn)) }).toEqual({ name, address, spaced: true });
      }
    }
  });

  test("28.7 GCP: the subscriptions a split rule becomes are disjoint (no event matches two), and no prefix covered by a shorter one is kept", () => {
    let rules = 0;
    for (const [name, s] of ofCloud("gcp")) {
      const byRule = new Map<string, string[]>();
      for (const [, sub] of resourcesOf(s.json, "google_pubsub_subscription")) {
        if (!sub.filter) continue;
        const rule = String(sub.name).replace(/-p\d+$/, "");
        byRule.set(rule, [...(byRule.get(rule) ?? []), sub.filter]);
      }
      for (const [rule, filters] of byRule) {
        rules++;
        for (const f of filters) {
          const prefixes = [...f.matchAll(/hasPrefix\(attributes\.(\w+), "((?:[^"\\]|\\.)*)"\)/g)].map((m) => [m[1], m[2]]);
          const covered = prefixes.filter(([k, p]) => prefixes.some(([k2, q]) => k2 === k && q !== p && p.startsWith(q)));
          expect({ name, rule, covered }).toEqual({ name, rule, covered: [] });
        }
        for (let i = 0; i < filters.length; i++) for (let j = i + 1; j < filters.length; j++) {
          expect({ name, rule, overlap: overlaps(filters[i], filters[j]) }).toEqual({ name, rule, overlap: false });
        }
      }
    }
    expect(rules).toBeGreaterThan(5);
  });

  test("28.8 schedules: ticks reach only their own rule (never a bus topic, its archive or other rules), and failed runs alarm on every cloud", () => {
    let schedules = 0;
    for (const [name, s] of ofCloud("gcp")) {
      const subs = resourcesOf(s.json, "google_pubsub_subscription");
      for (const [jobName, job] of resourcesOf(s.json, "google_cloud_scheduler_job")) {
        schedules++;
        const topic = ref(job.pubsub_target.topic_name)!;
        const readers = subs.filter(([, sub]) => ref(sub.topic) === topic);
        expect({ name, job: jobName, readers: readers.length, rule: readers[0]?.[1].filter }).toEqual({ name, job: jobName, readers: 1, rule: `attributes.polycloud_schedule = "${job.pubsub_target.attributes.polycloud_schedule}"` });
        expect(resourcesOf(s.json, "google_pubsub_topic").find(([n]) => `google_pubsub_topic.${n}` === topic)![1].labels.component).toBe("schedule");
        const metric = resourcesOf(s.json, "google_logging_metric").find(([, m]) => m.filter.includes(`resource.labels.job_id="${job.name}"`));
        expect({ name, job: jobName, metric: !!metric }).toEqual({ name, job: jobName, metric: true });
        expect(metric![1].filter).toMatch(/AttemptFinished" AND severity>=ERROR$/);
        const alert = resourcesOf(s.json, "google_monitoring_alert_policy").find(([, a]) => a.conditions[0].condition_threshold.filter.includes(`logging.googleapis.com/user/\${google_logging_metric.${metric![0]}.name}`));
        expect({ name, job: jobName, alert: alert?.[1].conditions[0].condition_threshold.threshold_value }).toEqual({ name, job: jobName, alert: 0 });
      }
    }
    for (const [name, s] of ofCloud("azure")) {
      const eventSubs = resourcesOf(s.json, "azurerm_eventgrid_event_subscription");
      for (const [actionName, action] of resourcesOf(s.json, "azurerm_logic_app_action_custom")) {
        schedules++;
        const topic = ref(JSON.parse(action.body).inputs.uri)!;
        const readers = eventSubs.filter(([, sub]) => ref(sub.scope) === topic);
        expect({ name, action: actionName, readers: readers.map(([n]) => /_rule-/.test(n)) }).toEqual({ name, action: actionName, readers: [true] });
        const workflow = ref(action.logic_app_id)!;
        const failed = resourcesOf(s.json, "azurerm_monitor_metric_alert").filter(([, a]) => a.scopes.some((x: string) => ref(x) === workflow) && a.criteria[0].metric_name === "RunsFailed");
        expect({ name, action: actionName, failed: failed.map(([, a]) => [a.criteria[0].operator, a.criteria[0].threshold]) }).toEqual({ name, action: actionName, failed: [["GreaterThanOrEqual", 1]] });
        // The tick topic has the bus's delivery alarms too.
        const topicAlarms = resourcesOf(s.json, "azurerm_monitor_metric_alert").filter(([, a]) => a.scopes.some((x: string) => ref(x) === topic)).map(([, a]) => a.criteria[0].metric_name).sort();
        expect(topicAlarms).toEqual(["DeadLetteredCount", "DeliveryAttemptFailCount"]);
      }
    }
    for (const [name, s] of ofCloud("aws")) {
      for (const [ruleName, rule] of resourcesOf(s.json, "aws_cloudwatch_event_rule").filter(([, r]) => r.schedule_expression)) {
        schedules++;
        // EventBridge runs the schedule itself: a failed run is the rule's failed invocation, alarmed.
        const alarms = resourcesOf(s.json, "aws_cloudwatch_metric_alarm").filter(([, a]) => a.metric_name === "FailedInvocations" && a.dimensions?.RuleName === rule.name);
        expect({ name, rule: ruleName, alarms: alarms.length }).toEqual({ name, rule: ruleName, alarms: 1 });
      }
    }
    expect(schedules).toBeGreaterThanOrEqual(12);
  });

  test("28.9 GCP: outside prod the key ring and Cloud SQL names end in their creation time (a recreate gets fresh names); prod keeps plain names", () => {
    for (const [name, s] of ofCloud("gcp")) {
      const prod = s.env.deletionProtection;
      const names = [...resourcesOf(s.json, "google_kms_key_ring"), ...resourcesOf(s.json, "google_sql_database_instance")].map(([, r]) => r.name);
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) {
        expect({ name, n, suffixed: /-\$\{time_static\.[^.]+\.unix\}$/.test(n) }).toEqual({ name, n, suffixed: !prod });
        if (!prod) expect(n.replace(/\$\{[^}]+\}$/, "0000000000").length).toBeLessThanOrEqual(63);
      }
    }
  });

  test("28.12 Azure: a Node Service Bus consumer's errors alarm counts every failed attempt (failed requests and the runtime's retried attempts)", () => {
    let consumers = 0;
    for (const [name, s] of ofCloud("azure")) {
      for (const [appName, app] of resourcesOf(s.json, "azurerm_function_app_flex_consumption")) {
        const settings = app.app_settings ?? {};
        const retries = Object.keys(settings).some((k) => /^PLATFORM_QUEUE_.*_RETRY_DELAY_SECONDS$/.test(k)) && app.runtime_name === "node";
        const logAlerts = resourcesOf(s.json, "azurerm_monitor_scheduled_query_rules_alert_v2").filter(([n]) => n.startsWith(appName.replace(/_app_[^_]+$/, "_")));
        if (!retries) { expect({ name, appName, logAlerts: logAlerts.length }).toEqual({ name, appName, logAlerts: 0 }); continue; }
        consumers++;
        expect({ name, appName, logAlerts: logAlerts.length }).toEqual({ name, appName, logAlerts: 1 });
        const q = logAlerts[0][1].criteria[0].query;
        expect(q).toContain(`cloud_RoleName == "${app.name}" and success == false`);
        expect(q).toContain(`message has "${ATTEMPT_FAILED_EVENT}"`);
        expect(logAlerts[0][1].criteria[0]).toMatchObject({ time_aggregation_method: "Count", operator: "GreaterThanOrEqual" });
        // No metric alert on requests/failed besides it for the same app.
        const metric = resourcesOf(s.json, "azurerm_monitor_metric_alert").filter(([, a]) => a.criteria[0].metric_name === "requests/failed" && a.criteria[0].dimension?.[0]?.values?.includes(app.name));
        expect({ name, appName, metric: metric.length }).toEqual({ name, appName, metric: 0 });
      }
    }
    expect(consumers).toBeGreaterThanOrEqual(4);
  });

  test("28.13 Azure: without PgBouncer, every granted function at full scale fits the user connections and the connections alarm can fire first", () => {
    let direct = 0;
    for (const [name, s] of ofCloud("azure")) {
      for (const [serverName, server] of resourcesOf(s.json, "azurerm_postgresql_flexible_server")) {
        const burstable = String(server.sku_name).startsWith("B_");
        const max = burstable ? 50 : undefined;
        const alarm = resourcesOf(s.json, "azurerm_monitor_metric_alert").find(([, a]) => a.criteria[0].metric_name === "active_connections" && a.scopes.some((x: string) => ref(x) === `azurerm_postgresql_flexible_server.${serverName}`))![1];
        // The functions that connect; the migration step's one session is the "+ 1" below.
        const apps = resourcesOf(s.json, "azurerm_function_app_flex_consumption").filter(([, a]) => !a.app_settings?.POLYCLOUD_MIGRATE_DATABASE && Object.values(a.app_settings ?? {}).some((v) => ref(v) === `azurerm_postgresql_flexible_server.${serverName}`));
        for (const [, app] of apps) expect(Object.keys(app.app_settings).some((k) => /^DB_.*_POOL_MAX$/.test(k))).toBe(true);
        if (!max) continue;
        direct++;
        const user = max - AZURE_RESERVED_CONNECTIONS;
        const peak = apps.reduce((n, [, a]) => n + a.maximum_instance_count * Number(Object.entries<string>(a.app_settings).find(([k]) => /^DB_.*_POOL_MAX$/.test(k))![1]), 0) + 1;
        expect({ name, fits: peak <= user, alarmBelowUser: alarm.criteria[0].threshold < user, peak, user }).toEqual({ name, fits: true, alarmBelowUser: true, peak, user });
      }
    }
    expect(direct).toBeGreaterThanOrEqual(2);
  });

  test("28.14 Azure: instance memory is the smallest Flex size (512, 2048, 4096) at least the spec's", () => {
    for (const [name, s] of ofCloud("azure")) {
      for (const [fnId, spec] of Object.entries(s.service?.functions ?? {})) {
        const app = resourcesOf(s.json, "azurerm_function_app_flex_consumption").find(([n]) => n.includes(`_fn-${fnId}_`));
        if (!app) continue;
        const want = [512, 2048, 4096].find((m) => m >= resolveFunction(spec).memoryMb);
        expect({ name, fnId, memory: app[1].instance_memory_in_mb }).toEqual({ name, fnId, memory: want });
      }
    }
  });

  test("28.15 Azure: every Key Vault denies by default and admits the functions' subnet; every function that reads secrets runs in that subnet", () => {
    for (const [name, s] of ofCloud("azure")) {
      const subnets = resourcesOf(s.json, "azurerm_subnet").filter(([, n]) => n.name === "functions");
      for (const [, vault] of resourcesOf(s.json, "azurerm_key_vault")) {
        expect({ name, acl: vault.network_acls }).toEqual({ name, acl: { default_action: "Deny", bypass: "AzureServices", virtual_network_subnet_ids: [expect.stringMatching(/azurerm_subnet\..+\.id\}$/)] } });
      }
      for (const [, subnet] of subnets) expect(subnet.service_endpoints).toContain("Microsoft.KeyVault");
      for (const [appName, app] of resourcesOf(s.json, "azurerm_function_app_flex_consumption")) {
        if (Object.keys(app.app_settings ?? {}).some((k) => k.endsWith("_SECRET_NAME"))) expect({ name, appName, subnet: ref(app.virtual_network_subnet_id) }).toEqual({ name, appName, subnet: expect.stringMatching(/^azurerm_subnet\./) });
      }
    }
  });

  test("28.16 Azure: no stack reads function keys into state; every routed app admits only its gateway's identity and every operation authenticates with it", () => {
    for (const [name, s] of ofCloud("azure")) {
      expect({ name, hostKeys: Object.keys(s.json.data?.azurerm_function_app_host_keys ?? {}) }).toEqual({ name, hostKeys: [] });
      const routed = new Set(Object.values(s.service?.gateways ?? {}).flatMap((g) => g.routes.map((r) => r.function)));
      for (const [appName, app] of resourcesOf(s.json, "azurerm_function_app_flex_consumption")) {
        const isRouted = [...routed].some((f) => appName.includes(`_fn-${f}_`));
        const auth = app.auth_settings_v2;
        if (app.app_settings?.POLYCLOUD_MIGRATE_DATABASE) {
          // A database's migration step: called during apply by the deploying identity only.
          expect({ name, appName, allowed: auth?.active_directory_v2?.allowed_identities, required: auth?.require_authentication })
            .toEqual({ name, appName, allowed: [expect.stringMatching(/^\$\{data\.azurerm_client_config\.[^.]+\.object_id\}$/)], required: true });
          continue;
        }
        if (!isRouted) { expect({ name, appName, auth }).toEqual({ name, appName, auth: undefined }); continue; }
        expect({ name, appName, auth }).toEqual({ name, appName, auth: expect.objectContaining({
          auth_enabled: true, require_authentication: true, unauthenticated_action: "Return401", require_https: true,
          active_directory_v2: expect.objectContaining({ allowed_identities: [expect.stringMatching(/^\$\{azurerm_api_management\.[^.]+\.identity\[0\]\.principal_id\}$/)] }),
        }) });
      }
      for (const [, p] of resourcesOf(s.json, "azurerm_api_management_api_operation_policy")) {
        expect(p.xml_content).toMatch(/<set-header name="X-Forwarded-Authorization" exists-action="delete" \/>.*<authentication-managed-identity resource="\{\{[a-z0-9-]+-audience\}\}" \/><set-backend-service/);
      }
      for (const [, b] of resourcesOf(s.json, "azurerm_api_management_backend")) expect(b.credentials).toBeUndefined();
    }
  });

  test("28.17 Azure: no app carries Service Bus batch or session settings the one-message trigger ignores", () => {
    for (const [name, s] of ofCloud("azure")) {
      for (const [appName, app] of resourcesOf(s.json, "azurerm_function_app_flex_consumption")) {
        expect({ name, appName, inert: INERT_SERVICE_BUS_HOST_SETTINGS.filter((k) => k in (app.app_settings ?? {})) }).toEqual({ name, appName, inert: [] });
      }
    }
  });

  test("28.18 Azure: every Logic App recurrence (rate or cron) starts at a fixed past instant, so saving it never fires a run", () => {
    let n = 0;
    for (const [name, s] of ofCloud("azure")) {
      for (const [triggerName, t] of resourcesOf(s.json, "azurerm_logic_app_trigger_recurrence")) {
        n++;
        expect({ name, triggerName, start: t.start_time, zone: t.time_zone }).toEqual({ name, triggerName, start: RECURRENCE_START, zone: "UTC" });
      }
    }
    expect(n).toBeGreaterThanOrEqual(5);
  });
});

/** Whether two Pub/Sub filters of the `(a OR b) AND c` form can match one message. */
function overlaps(a: string, b: string): boolean {
  const clauses = (f: string) => {
    const byKey = new Map<string, { exact: string[]; prefix: string[] }>();
    for (const m of f.matchAll(/attributes\.(\w+) = "((?:[^"\\]|\\.)*)"|hasPrefix\(attributes\.(\w+), "((?:[^"\\]|\\.)*)"\)/g)) {
      const key = m[1] ?? m[3];
      const entry = byKey.get(key) ?? { exact: [], prefix: [] };
      if (m[1]) entry.exact.push(m[2]); else entry.prefix.push(m[4]);
      byKey.set(key, entry);
    }
    return byKey;
  };
  const [x, y] = [clauses(a), clauses(b)];
  for (const [key, cx] of x) {
    const cy = y.get(key);
    if (!cy) continue;
    const compatible = [...cx.exact.map((v) => ["e", v]), ...cx.prefix.map((v) => ["p", v])].some(([kx, vx]) =>
      [...cy.exact.map((v) => ["e", v]), ...cy.prefix.map((v) => ["p", v])].some(([ky, vy]) =>
        kx === "e" && ky === "e" ? vx === vy : kx === "e" ? vx.startsWith(vy) : ky === "e" ? vy.startsWith(vx) : vx.startsWith(vy) || vy.startsWith(vx)));
    if (!compatible) return false;
  }
  return true;
}
