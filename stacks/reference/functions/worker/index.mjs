// Reference queue consumer on @polycloud/runtime: this one folder deploys to AWS (SQS batches,
// partial batch responses), GCP (Pub/Sub push, status codes) and Azure (Service Bus trigger).
// Messages are OrderCreated events routed by the bus rule `order-created`; delivery is at least
// once, so the order is stored exactly once with idempotent(), keyed by the event id.
import { databases, idempotent, queue } from "@polycloud/runtime";

const ORDERS_TABLE = "CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())";
let schema;

export const handler = queue(async (message) => {
  const event = message.event;
  if (!event || event.type !== "OrderCreated") throw new Error(`unexpected message ${message.id}`);
  const order = event.data;
  const pool = databases.main.connect();
  schema ??= pool.query(ORDERS_TABLE);
  await schema;
  await idempotent(`order-created/${event.id}`, async (tx) => {
    await tx.query("INSERT INTO orders (id, body) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO NOTHING", [order.id, JSON.stringify(order)]);
    console.log(JSON.stringify({ msg: "order stored", id: order.id, cloud: message.cloud }));
    return { stored: order.id };
  }, { pool });
});
