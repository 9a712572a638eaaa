import { CloudEmulation, EmulateCloud, EmulatedStack, pickComponent } from "@polycloud/core";
import { azureAlarms } from "./alarms";
import { ApiManagement } from "./api-management";
import { runDeployCommands } from "./deploy-commands";
import { Entra } from "./entra";
import { EgSubscription, EgTopic, EventGrid } from "./event-grid";
import { FunctionApps } from "./function-app";
import { logicApps } from "./logic-app";
import { startFlexibleServers } from "./postgres";
import { SbQueue, ServiceBus } from "./service-bus";
import { AzureValues } from "./values";

export { matchesEventGridFilter } from "./event-grid-filter";

/**
 * The Azure stack as the local runner runs it: Function Apps (v4 programming model and
 * function_app.py) behind the Functions host's keys and access restrictions, API Management
 * policies, Service Bus, Event Grid, Logic App schedules, Flexible Server with Entra
 * authentication and the metric alerts it can evaluate, all read from the stack's JSON.
 */
export const emulateAzure: EmulateCloud = async (host, stack): Promise<CloudEmulation> => {
  const values = new AzureValues(stack);
  const entra = new Entra(host, values);
  const bus = new ServiceBus(host, values, entra);
  const apps = new FunctionApps(host, values, entra, bus);
  await Promise.all([startFlexibleServers(host, values, entra), apps.start()]);
  const grid = new EventGrid(host, values, entra, bus, apps);
  for (const q of bus.queues.values()) host.network.serve(q.namespace, (r) => bus.api(r));
  for (const t of grid.topics.values()) host.network.serve(t.hostname, (r) => grid.api(r));
  for (const app of apps.apps.values()) host.network.serve(app.hostname, (r) => apps.handle(app, r, "internet", "http:direct"));
  /** The deploy steps as last applied: a reload runs the ones whose arguments or triggers changed. */
  let appliedSteps = new Map(values.resources("terraform_data").map(([a, r]) => [a, JSON.stringify(r)]));
  try {
    await runDeployCommands(host, values, entra, apps);
  } catch (err) {
    await apps.stop();
    throw err;
  }

  const endpoints: Record<string, string> = {};
  const gateways = values.resources("azurerm_api_management").map(([address]) => new ApiManagement(host, values, apps, entra, address));
  for (const gw of gateways) {
    host.network.serve(gw.hostname, (r) => gw.handle(r));
    const base = await host.network.expose(gw.key, (r) => gw.handle(r));
    endpoints[gw.key] = base;
    // Each service's gateway is an API of the shared instance: its entry point is the instance's below the API's path.
    for (const api of gw.apis()) endpoints[api.key] = api.path ? `${base}/${api.path}` : base;
  }
  // A function app's own host name, below the host's HTTP route prefix (`/api`), as API Management calls it.
  for (const app of apps.apps.values()) endpoints[app.key] = `${await host.network.expose(`${app.key} (azurewebsites.net)`, (r) => apps.handle(app, r, "internet", "http:direct"))}${app.routePrefix ? `/${app.routePrefix}` : ""}`;
  const workflows = logicApps(host, values, entra);

  const queues = new Map<string, SbQueue>([...bus.queues.values()].map((q) => [bus.key(q), q]));
  const topics = new Map<string, EgTopic>([...grid.topics.values()].map((t) => [t.key, t]));
  const rules = new Map<string, EgSubscription>(grid.subscriptions.filter((s) => s.key.includes("/rule:")).map((s) => [s.key, s]));
  const issuers = new Map<string, { issuer: string; audiences: string[] }>();
  for (const i of gateways.flatMap((g) => g.issuers())) {
    const e = issuers.get(i.issuer) ?? { issuer: i.issuer, audiences: [] };
    e.audiences = [...new Set([...e.audiences, ...i.audiences])];
    issuers.set(i.issuer, e);
  }

  return {
    cloud: "azure",
    endpoints,
    issuers: [...issuers.values()],
    async sendToQueue(name, body) {
      return bus.send(pickComponent(name, queues), { body: Buffer.from(body), contentType: "application/json" }).messageId;
    },
    async publish(name, e) {
      const id = e.id ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      grid.publish(pickComponent(name, topics), [{ specversion: "1.0", id, source: e.source, type: e.type, subject: e.subject, time: new Date(host.clock.now()).toISOString(), datacontenttype: "application/json", data: e.data ?? {} }]);
      return id;
    },
    async fireSchedule(name) {
      await pickComponent(name, new Map(workflows.map((w) => [w.key, w]))).run();
    },
    async deadLetters(name) {
      if (name.includes("rule:")) return pickComponent(name, rules).deadLetters.map((d) => JSON.stringify(d));
      return pickComponent(name, queues).deadLetter.map((m) => m.body.toString("utf8"));
    },
    async alarms() {
      return azureAlarms(values, bus, grid, host.clock.now());
    },
    async reload(next: EmulatedStack) {
      const nextValues = new AzureValues(next);
      const changed = await apps.reload(nextValues);
      // replace_triggered_by an app that was re-created, or changed triggers/input: the step runs again.
      const recreated = [...apps.apps.values()].filter((app) => changed.includes(app.key)).map((app) => `.${app.address}`);
      const ran = await runDeployCommands(host, nextValues, entra, apps, (a, r) => appliedSteps.get(a) !== JSON.stringify(r) || (r.lifecycle?.replace_triggered_by ?? []).some((t: string) => recreated.some((c) => t.endsWith(c))));
      appliedSteps = new Map(nextValues.resources("terraform_data").map(([a, r]) => [a, JSON.stringify(r)]));
      return [...changed, ...ran];
    },
    async stop() {
      await apps.stop();
    },
  };
};
