// Reference queue consumer on @polycloud/runtime: this one folder deploys to AWS (SQS batches,
// partial batch responses), GCP (Pub/Sub push, status codes) and Azure (Service Bus trigger).
// Messages are OrderCreated events routed by the bus rule `order-created`; delivery is at least
// once, so the order is stored exactly once with idempotent(), keyed by the event id.
import { databases, idempotent, queue } from "@polycloud/runtime";

// The orders table and idempotent()'s table come from migrations applied at deploy; this
// function's database role may read and write rows, never change the schema.

export const handler = queue(async (message) => {
  const event = message.event;
  if (!event || event.type !== "OrderCreated") throw new Error(`unexpected message ${message.id}`);
  const order = event.data;
  // The token subject of the caller who placed the order (orders.owner is NOT NULL).
  if (typeof order?.owner !== "string" || order.owner === "") throw new Error(`order event ${event.id} has no owner`);
  const pool = databases.main.connect();
  await idempotent(`order-created/${event.id}`, async (tx) => {
    await tx.query("INSERT INTO orders (id, owner, body) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING", [order.id, order.owner, JSON.stringify(order)]);
    console.log(JSON.stringify({ msg: "order stored", id: order.id, cloud: message.cloud }));
    return { stored: order.id };
  }, { pool });
});
