// Reference queue consumer on @polycloud/runtime: this one folder deploys to AWS (SQS batches,
// partial batch responses), GCP (Pub/Sub push, status codes) and Azure (Service Bus trigger).
// Messages are OrderCreated events routed by the bus rule `order-created`; delivery is at least
// once, so each event is stored exactly once with idempotent(), keyed by the event id (the order
// id the API made). A second order with an id already stored fails loudly (and ends in the DLQ)
// instead of being dropped while the API answered 202.
// Table (created by the service's migration, never at request time):
//   orders(id text PRIMARY KEY, owner text NOT NULL, body jsonb NOT NULL, created_at timestamptz)
import { databases, idempotent, queue } from "@polycloud/runtime";

export const handler = queue(async (message) => {
  const event = message.event;
  if (!event || event.type !== "OrderCreated") throw new Error(`unexpected message ${message.id}`);
  const { id, owner, order } = event.data ?? {};
  if (typeof id !== "string" || !id || typeof owner !== "string" || !owner || !order || typeof order !== "object") {
    throw new Error(`OrderCreated event ${event.id} lacks id, owner or order`);
  }
  const pool = databases.main.connect();
  await idempotent(`order-created/${event.id}`, async (tx) => {
    await tx.query("INSERT INTO orders (id, owner, body, created_at) VALUES ($1, $2, $3::jsonb, now())", [id, owner, JSON.stringify(order)]);
    console.log(JSON.stringify({ msg: "order stored", id, cloud: message.cloud }));
    return { stored: id };
  }, { pool });
});
