import { CloudImplementation } from "./cloud";


const tokens = new Map<string, { token: string; until: number }>();

/**
 * An Entra token of the function's user-assigned identity (AZURE_CLIENT_ID, set by
 * AzureFunction). On the Functions host this is the platform's managed identity endpoint
 * (IDENTITY_ENDPOINT + IDENTITY_HEADER, api-version 2019-08-01), the same request
 * @azure/identity's ManagedIdentityCredential makes there; elsewhere (a developer machine)
 * @azure/identity is loaded. Packaging leaves @azure/identity out of the Azure bundle.
 */
export async function entraToken(resource: string, env: Record<string, string | undefined> = process.env): Promise<string> {
  const hit = tokens.get(resource);
  if (hit && hit.until > Date.now() + 5 * 60_000) return hit.token;
  let token: string;
  let until: number;
  if (env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER) {
    const url = new URL(env.IDENTITY_ENDPOINT);
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("resource", resource);
    if (env.AZURE_CLIENT_ID) url.searchParams.set("client_id", env.AZURE_CLIENT_ID);
    const res = await fetch(url, { headers: { "X-IDENTITY-HEADER": env.IDENTITY_HEADER } });
    if (!res.ok) throw new Error(`managed identity token for ${resource} failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { access_token: string; expires_on: string | number };
    token = body.access_token;
    until = Number(body.expires_on) * 1000;
  } else {
    const id: any = await import("@azure/identity");
    const credential = new id.DefaultAzureCredential({ managedIdentityClientId: env.AZURE_CLIENT_ID });
    const t = await credential.getToken(`${resource}/.default`);
    token = t.token;
    until = t.expiresOnTimestamp;
  }
  tokens.set(resource, { token, until });
  return token;
}

async function post(url: string, resource: string, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${await entraToken(resource)}`, "content-type": contentType, ...headers }, body });
  if (!res.ok) throw new Error(`POST ${url} failed: ${res.status} ${await res.text()}`);
}

/** Service Bus and Event Grid (CloudEvents 1.0 input schema) over REST with Entra tokens; Entra auth for PostgreSQL. */
const azure: CloudImplementation = {
  cloud: "azure",
  async sendToQueue(queueName, body, attributes) {
    const ns = process.env.SERVICE_BUS_NAMESPACE;
    if (!ns) throw new Error("@polycloud/runtime: SERVICE_BUS_NAMESPACE is not set (set by AzureQueue.grantSend)");
    // Custom properties travel as headers on the Service Bus REST API (JSON-encoded values).
    const props = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)]));
    await post(`https://${ns}/${encodeURIComponent(queueName)}/messages`, "https://servicebus.azure.net", "application/json", body, props);
  },
  async publishEvent(endpoint, e) {
    const ce = { specversion: "1.0", id: e.id, source: e.source, type: e.type, time: e.time, subject: e.subject, datacontenttype: "application/json", data: e.data ?? {} };
    await post(endpoint, "https://eventgrid.azure.net", "application/cloudevents-batch+json; charset=utf-8", JSON.stringify([ce]));
  },
  databaseToken: () => entraToken("https://ossrdbms-aad.database.windows.net"),
  async scheduleCopy(namespace, queueName, copy) {
    // Send Message with a scheduled enqueue time (BrokerProperties, RFC 1123 dates, TimeToLive in
    // seconds); application properties travel as headers with JSON-encoded values.
    const headers: Record<string, string> = { BrokerProperties: JSON.stringify(copy.broker) };
    for (const [k, v] of Object.entries(copy.properties)) if (/^[A-Za-z0-9_.-]+$/.test(k)) headers[k] = JSON.stringify(v);
    await post(`https://${namespace}/${encodeURIComponent(queueName)}/messages`, "https://servicebus.azure.net", copy.contentType, copy.body, headers);
  },
};
export default azure;
