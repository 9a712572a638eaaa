import { EmulationHost, componentKeyOf } from "@polycloud/core";
import { GcpIdentity } from "./identity";
import { PubSub } from "./pubsub";
import { GcpValues } from "./values";

export interface SchedulerJob {
  readonly address: string;
  /** `<service>/rule:<bus>/<rule>` when the job feeds a bus rule (its `polycloud_schedule` attribute), else the job's component. */
  readonly key: string;
  fire(): Promise<void>;
}

/**
 * Cloud Scheduler jobs, fired on demand: a Pub/Sub target publishes the job's data and attributes
 * to its topic (as the job's service agent); an HTTP target posts to its URI with an OIDC token.
 */
export function schedulerJobs(host: EmulationHost, values: GcpValues, pubsub: PubSub, identity: GcpIdentity): SchedulerJob[] {
  return values.resources("google_cloud_scheduler_job").map(([address, raw]) => {
    const job = values.resolve(raw);
    const rule = job.pubsub_target?.attributes?.polycloud_schedule;
    const component = componentKeyOf(address) ?? address;
    const key = rule ? component.replace(/\/bus:(.+)$/, `/rule:$1/${rule}`) : component;
    return {
      address, key,
      async fire() {
        if (job.pubsub_target) {
          pubsub.publish(String(job.pubsub_target.topic_name), Buffer.from(String(job.pubsub_target.data ?? ""), "base64"), job.pubsub_target.attributes ?? {});
          return;
        }
        const t = job.http_target;
        if (!t) throw new Error(`runner (gcp): scheduler job ${address} has no Pub/Sub or HTTP target`);
        const headers: Record<string, string> = { ...(t.headers ?? {}) };
        if (t.oidc_token) headers.authorization = `Bearer ${await identity.idToken(String(t.oidc_token.service_account_email), String(t.oidc_token.audience ?? t.uri))}`;
        await host.network.fetch(String(t.uri), { method: String(t.http_method ?? "POST"), headers, body: t.body ? Buffer.from(String(t.body), "base64") : undefined });
      },
    };
  });
}
