import { CloudImplementation } from "./cloud";

/** gcp-metadata, loaded on first use; its HTTP client uses Node's fetch instead of importing node-fetch. */
async function metadata(): Promise<typeof import("gcp-metadata")> {
  const { instance: gaxios } = await import("gaxios");
  gaxios.defaults.fetchImplementation ??= (input, init) => fetch(input as string | URL, init as RequestInit);
  return import("gcp-metadata");
}

/**
 * An OAuth access token of the function's service account from the metadata server. Cloud SQL
 * IAM database authentication takes it as the password (scope sqlservice.login, which the
 * cloud-platform scope of the default token includes); Pub/Sub takes it as a bearer token.
 */
let cached: { token: string; until: number } | undefined;
export async function accessToken(): Promise<string> {
  if (cached && cached.until > Date.now() + 60_000) return cached.token;
  const t = await (await metadata()).instance<{ access_token: string; expires_in: number }>("service-accounts/default/token");
  cached = { token: t.access_token, until: Date.now() + t.expires_in * 1000 };
  return t.access_token;
}

async function publish(topic: string, message: { data: string; attributes: Record<string, string> }): Promise<void> {
  // Pub/Sub REST publish: no gRPC stack in the package.
  // PUBSUB_EMULATOR_HOST is the Pub/Sub client libraries' convention for a local endpoint.
  const base = process.env.PUBSUB_EMULATOR_HOST ? `http://${process.env.PUBSUB_EMULATOR_HOST}` : "https://pubsub.googleapis.com";
  const res = await fetch(`${base}/v1/${topic}:publish`, {
    method: "POST",
    headers: { authorization: `Bearer ${await accessToken()}`, "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ data: Buffer.from(message.data).toString("base64"), attributes: Object.keys(message.attributes).length ? message.attributes : undefined }] }),
  });
  if (!res.ok) throw new Error(`Pub/Sub publish to ${topic} failed: ${res.status} ${await res.text()}`);
}

/** Pub/Sub topics for queues and buses; Cloud SQL IAM database auth. */
const gcp: CloudImplementation = {
  cloud: "gcp",
  sendToQueue: (topic, body, attributes) => publish(topic, { data: body, attributes }),
  // Bus rules are subscription filters on these attributes.
  publishEvent: (topic, e) => publish(topic, { data: JSON.stringify(e.data ?? {}), attributes: { source: e.source, type: e.type, id: e.id, ...(e.subject ? { subject: e.subject } : {}) } }),
  databaseToken: () => accessToken(),
};
export default gcp;
