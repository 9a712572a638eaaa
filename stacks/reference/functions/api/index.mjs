// Reference HTTP handler (API Gateway payload 2.0). Publishes OrderCreated to the event bus;
// database writes go through the pooled endpoint in DB_MAIN_HOST with an IAM token over TLS.
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";

const events = new EventBridgeClient({});

export const handler = async (event) => {
  const route = event.routeKey ?? "";
  if (route === "GET /health") return { statusCode: 200, body: JSON.stringify({ ok: true }) };
  if (route === "POST /orders") {
    const order = JSON.parse(event.body ?? "{}");
    await events.send(new PutEventsCommand({
      Entries: [{ EventBusName: process.env.EVENT_BUS_EVENTS_NAME, Source: "orders.api", DetailType: "OrderCreated", Detail: JSON.stringify(order) }],
    }));
    return { statusCode: 202, body: JSON.stringify({ accepted: true }) };
  }
  return { statusCode: 404, body: JSON.stringify({ error: "not found" }) };
};
