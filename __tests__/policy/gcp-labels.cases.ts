import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { SynthJson } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/**
 * GCP: the tag contract is the provider's default_labels. They reach every resource whose
 * binding has `effective_labels`; the resources they do not reach but which accept labels of
 * their own (`user_labels`, Cloud SQL `settings.user_labels`) must carry every required label.
 * Capabilities are read from the provider bindings, one deep import per resource folder.
 */
const classes = new Map<string, any>();
/** The binding package of a resource: google, google-beta (resources with `provider = google-beta`) or time. */
const PACKAGES: Record<string, (type: string) => string> = {
  google: (type) => `@cdktf/provider-google/lib/${type.replace(/^google_/, "").replace(/_/g, "-")}`,
  "google-beta": (type) => `@cdktf/provider-google-beta/lib/${type.replace(/_/g, "-")}`,
  // time_static's folder is static-resource (`static` is a reserved word).
  time: (type) => `@cdktf/provider-time/lib/${type === "time_static" ? "static-resource" : type.replace(/^time_/, "").replace(/_/g, "-")}`,
};
function cls(type: string, provider = type.startsWith("time_") ? "time" : "google"): any {
  const key = `${provider}:${type}`;
  if (!classes.has(key)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(PACKAGES[provider](type));
    classes.set(key, Object.values(mod).find((v: any) => v?.tfResourceType === type));
  }
  return classes.get(key);
}
const reachedByDefaults = (type: string, provider?: string) => "effectiveLabels" in (cls(type, provider)?.prototype ?? {});
const hasUserLabels = (type: string, provider?: string) => "userLabels" in (cls(type, provider)?.prototype ?? {});

export function labelFindings(json: SynthJson, envName: string): string[] {
  const defaults = json.provider?.google?.[0]?.default_labels ?? {};
  const findings: string[] = [];
  for (const key of REQUIRED_TAG_KEYS) if (!/^[a-z0-9_-]{1,63}$/.test(defaults[key] ?? "")) findings.push(`default label ${key} missing or invalid`);
  if (defaults.environment !== envName) findings.push(`default environment label ${defaults.environment} != ${envName}`);
  for (const [type, byName] of Object.entries(json.resource)) {
    for (const [name, r] of Object.entries(byName)) {
      const provider = r.provider === "google-beta" ? "google-beta" : undefined;
      const explicit = type === "google_sql_database_instance" ? r.settings?.user_labels : hasUserLabels(type, provider) ? r.user_labels : undefined;
      // A service's own resources (addresses start with the service's construct id) carry `service=<it>`.
      const ok = (key: string, v: string | undefined) => v === defaults[key] || (key === "service" && v === name.split("_")[0]);
      if (type === "google_sql_database_instance" || hasUserLabels(type, provider)) {
        for (const key of REQUIRED_TAG_KEYS) if (!ok(key, explicit?.[key])) findings.push(`${type}.${name} user_labels.${key} = ${explicit?.[key]}`);
      }
      if (reachedByDefaults(type, provider)) {
        for (const key of REQUIRED_TAG_KEYS) {
          if (r.labels && key in r.labels && !ok(key, r.labels[key])) findings.push(`${type}.${name} overrides ${key} with ${JSON.stringify(r.labels[key])}`);
        }
      }
    }
  }
  return findings;
}

const stacks = ["dev", "staging", "prod"].map((n) => [n, allStacks()[`${n}-gcp`]] as const);

test.each(stacks)("%s-gcp: labels reach every resource that can carry them", (envName, json) => {
  const types = Object.keys(json.resource);
  const providerOf = (t: string) => (Object.values<any>(json.resource[t]).some((r) => r.provider === "google-beta") ? "google-beta" : undefined);
  expect(types.filter((t) => reachedByDefaults(t, providerOf(t)))).toEqual(expect.arrayContaining(["google_cloudfunctions2_function", "google_pubsub_topic", "google_storage_bucket", "google_secret_manager_secret"]));
  expect(types.filter((t) => hasUserLabels(t, providerOf(t)))).toEqual(expect.arrayContaining(["google_monitoring_alert_policy", "google_monitoring_notification_channel"]));
  expect(reachedByDefaults("google_sql_database_instance")).toBe(false);
  expect(labelFindings(json, envName)).toEqual([]);
});

test("the check catches a missing explicit label and an overridden default", () => {
  const json = JSON.parse(JSON.stringify(stacks[2][1])) as SynthJson;
  const sql = Object.values(json.resource.google_sql_database_instance)[0];
  delete sql.settings.user_labels.owner;
  const topic = Object.values(json.resource.google_pubsub_topic)[0];
  topic.labels = { ...topic.labels, environment: "dev" };
  const policy = Object.values(json.resource.google_monitoring_alert_policy)[0];
  delete policy.user_labels;
  expect(labelFindings(json, "prod")).toEqual(expect.arrayContaining([
    expect.stringMatching(/google_sql_database_instance\..* user_labels\.owner = undefined/),
    expect.stringMatching(/google_pubsub_topic\..* overrides environment with "dev"/),
    expect.stringMatching(/google_monitoring_alert_policy\..* user_labels\.cost_center = undefined/),
  ]));
});
