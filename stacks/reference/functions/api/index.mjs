// Reference HTTP handler, deployed from this one folder to every cloud.
// - AWS: API Gateway payload 2.0 (the gateway already checked route, JWT and CORS).
// - GCP: Cloud Functions (req, res) behind the load balancer; edge.mjs checks route, JWT and CORS.
// Publishes OrderCreated to the event bus. Database writes go through the pooled endpoint in
// DB_MAIN_HOST:DB_MAIN_PORT with an identity token over TLS.
import { checkRequest } from "./edge.mjs";

async function createOrder(order) {
  if (process.env.EVENT_BUS_EVENTS_NAME) {
    const { EventBridgeClient, PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
    await new EventBridgeClient({}).send(new PutEventsCommand({
      Entries: [{ EventBusName: process.env.EVENT_BUS_EVENTS_NAME, Source: "orders.api", DetailType: "OrderCreated", Detail: JSON.stringify(order) }],
    }));
  } else if (process.env.EVENT_BUS_EVENTS_TOPIC) {
    // Pub/Sub REST publish with the runtime identity; the bus rules filter on these attributes.
    const token = await (await fetch("http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token", { headers: { "Metadata-Flavor": "Google" } })).json();
    const res = await fetch(`https://pubsub.googleapis.com/v1/${process.env.EVENT_BUS_EVENTS_TOPIC}:publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ data: Buffer.from(JSON.stringify(order)).toString("base64"), attributes: { source: "orders.api", type: "OrderCreated" } }] }),
    });
    if (!res.ok) throw new Error(`publish failed: ${res.status}`);
  }
}

async function route(method, path, body) {
  if (method === "GET" && path === "/health") return { statusCode: 200, body: JSON.stringify({ ok: true }) };
  if (method === "POST" && path === "/orders") {
    await createOrder(JSON.parse(body || "{}"));
    return { statusCode: 202, body: JSON.stringify({ accepted: true }) };
  }
  return { statusCode: 404, body: JSON.stringify({ error: "not found" }) };
}

export const handler = async (event, res) => {
  if (res && typeof res.status === "function") {
    const req = event;
    const checked = await checkRequest({ method: req.method, path: req.path, headers: req.headers });
    const out = checked.response ?? { ...(await route(req.method, req.path, typeof req.body === "string" ? req.body : JSON.stringify(req.body ?? {}))), headers: checked.headers };
    res.status(out.statusCode).set(out.headers ?? {}).send(out.body);
    return;
  }
  const [method, path] = (event.routeKey ?? " ").split(" ");
  return route(method, event.rawPath ?? path, event.body);
};
