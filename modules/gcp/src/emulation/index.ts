import { CloudEmulation, EmulateCloud, EmulatedStack, componentKeyOf, pickComponent } from "@polycloud/core";
import { gcpAlarms } from "./alarms";
import { GcpApiGateway } from "./api-gateway";
import { jobRevisions, runJobsAtDeploy } from "./cloud-run-jobs";
import { CloudSql } from "./cloud-sql";
import { CloudFunctions } from "./cloud-functions";
import { GcpIdentity } from "./identity";
import { LoadBalancer } from "./load-balancer";
import { PubSub, Subscription } from "./pubsub";
import { schedulerJobs } from "./scheduler";
import { GcpValues } from "./values";

export { matchesPubSubFilter, parsePubSubFilter } from "./pubsub-filter";

/**
 * The GCP stack as the local runner runs it: Cloud Functions (2nd gen) through the Functions
 * Framework behind Cloud Run's ingress and IAM checks, the HTTPS load balancer with Cloud Armor,
 * API Gateway, Pub/Sub (filters, push, backoff, dead letters), Cloud Scheduler, Cloud SQL with
 * IAM authentication and the alert policies it can evaluate, all read from the stack's JSON.
 */
export const emulateGcp: EmulateCloud = async (host, stack): Promise<CloudEmulation> => {
  const values = new GcpValues(stack);
  const identity = new GcpIdentity(host, values);
  const functions = new CloudFunctions(host, values, identity);
  // The Cloud SQL server CA must be known before functions resolve `server_ca_cert`.
  const sql = new CloudSql(host, values, identity);
  host.network.serve("sqladmin.googleapis.com", (r) => sql.api(r));
  const databases = sql.start();
  databases.catch(() => undefined);
  await functions.start();
  // The functions a deploy-time job calls start while the databases do (their cold start is the same).
  const jobEnv = JSON.stringify(values.resources("google_cloud_run_v2_job").filter(([, j]) => j.run_execution_token !== undefined).map(([, j]) => values.resolve(j.template)));
  const warming = [...functions.functions.values()].filter((f) => jobEnv.includes(f.url)).map((f) => f.instance.warm());
  await Promise.all([databases, ...warming]);
  const pubsub = new PubSub(host, values, identity, functions);
  host.network.serve("pubsub.googleapis.com", (r) => pubsub.api(r));
  for (const fn of functions.functions.values()) host.network.serve(new URL(fn.url).hostname, (r) => functions.handle(fn, r, "internal", "http:direct"));

  const endpoints: Record<string, string> = {};
  const gateways = values.resources("google_api_gateway_gateway").map(([address]) => new GcpApiGateway(host, values, functions, identity, address));
  for (const gw of gateways) {
    host.network.serve(gw.hostname, (r) => gw.handle(r));
    // The gateway's own *.gateway.dev host skips the load balancer and Cloud Armor (a known gap).
    endpoints[`${gw.key.replace("/gateway:", "/gateway-host:")}`] = await host.network.expose(`${gw.key} (gateway.dev)`, (r) => gw.handle(r));
  }
  for (const [address] of values.resources("google_compute_url_map")) {
    const lb = new LoadBalancer(host, values, functions, gateways, address);
    endpoints[lb.key] = await host.network.expose(lb.key, (r) => lb.handle(r));
  }
  for (const fn of functions.functions.values()) endpoints[fn.key] = await host.network.expose(`${fn.key} (run.app)`, (r) => functions.handle(fn, r, "internet", "http:direct"));
  let appliedJobs = jobRevisions(values);
  try {
    await runJobsAtDeploy(host, values, identity);
  } catch (err) {
    await functions.stop();
    throw err;
  }
  const jobs = schedulerJobs(host, values, pubsub, identity);
  pubsub.start();

  const topicOf = (kind: "queue" | "bus") => new Map(values.resources("google_pubsub_topic")
    .filter(([a]) => new RegExp(`_${kind}-[^_]+_topic_`).test(a))
    .map(([a, r]) => [componentKeyOf(a)!, String(values.value("google_pubsub_topic", a, r, ["id"]))]));
  const queues = topicOf("queue");
  const buses = topicOf("bus");
  const pushSubs = new Map<string, Subscription>();
  for (const sub of pubsub.subscriptions.values()) if (sub.config.push_config) pushSubs.set(pubsub.triggerOf(sub), sub);
  const issuers = new Map<string, { issuer: string; audiences: string[]; jwksUri?: string }>();
  const addIssuer = (i: { issuer: string; audiences: string[]; jwksUri?: string }) => {
    const e = issuers.get(i.issuer) ?? { issuer: i.issuer, audiences: [], jwksUri: i.jwksUri };
    e.audiences = [...new Set([...e.audiences, ...i.audiences])];
    issuers.set(i.issuer, e);
  };
  gateways.forEach((g) => g.issuers().forEach(addIssuer));
  for (const fn of functions.functions.values()) {
    const env = fn.config.service_config?.environment_variables ?? {};
    if (env.PLATFORM_JWT_ISSUER) addIssuer({ issuer: env.PLATFORM_JWT_ISSUER, audiences: JSON.parse(env.PLATFORM_JWT_AUDIENCES ?? "[]"), jwksUri: env.PLATFORM_JWT_JWKS_URI });
  }

  return {
    cloud: "gcp",
    endpoints,
    issuers: [...issuers.values()],
    async sendToQueue(name, body) {
      return pubsub.publish(pickComponent(name, queues), Buffer.from(body));
    },
    async publish(name, e) {
      return pubsub.publish(pickComponent(name, buses), Buffer.from(JSON.stringify(e.data ?? {})), { source: e.source, type: e.type, id: e.id ?? `${Date.now()}`, ...(e.subject ? { subject: e.subject } : {}) });
    },
    async fireSchedule(name) {
      await pickComponent(name, new Map(jobs.map((j) => [j.key, j]))).fire();
    },
    async deadLetters(name) {
      const sub = pickComponent(name, pushSubs);
      const topic = sub.config.dead_letter_policy?.dead_letter_topic;
      return [...pubsub.subscriptions.values()].filter((s) => s.topic === topic).flatMap((s) => s.backlog.map((m) => Buffer.from(m.data, "base64").toString("utf8")));
    },
    async alarms() {
      return gcpAlarms(values, pubsub, host.clock.now());
    },
    async reload(next: EmulatedStack) {
      const nextValues = new GcpValues(next);
      for (const [address, pem] of values.serverCa) nextValues.serverCa.set(address, pem);
      const changed = await functions.reload(nextValues);
      // A job whose token or template changed starts a new execution, as the apply does.
      const revisions = jobRevisions(nextValues);
      const ran = await runJobsAtDeploy(host, nextValues, identity, (a) => appliedJobs.get(a) !== revisions.get(a));
      appliedJobs = revisions;
      return [...changed, ...ran];
    },
    async stop() {
      await functions.stop();
    },
  };
};
