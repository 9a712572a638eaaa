// Reference HTTP handler on @polycloud/runtime: this one folder deploys unchanged to AWS (API
// Gateway v2), GCP (Functions Framework behind API Gateway) and Azure (Functions v4 behind API
// Management). The runtime makes the checks each gateway leaves to the function (on GCP: CORS,
// methods, the bearer token), so there is no cloud branch here. `req.auth` holds the verified
// claims of the caller on authorized routes.
//
// Orders belong to whoever created them: POST stores the caller's subject with the order (through
// the OrderCreated event the worker stores) and GET only finds the caller's own orders. Order ids
// are made here, never taken from the client, and returned in the 202 answer.
// Table (created by the service's migration, never at request time):
//   orders(id text PRIMARY KEY, owner text NOT NULL, body jsonb NOT NULL, created_at timestamptz)
import { randomUUID } from "node:crypto";
import { buses, databases, http } from "@polycloud/runtime";

const unauthorized = { status: 401, body: { error: "unauthorized" } };

function orderOf(req) {
  try {
    const order = req.json();
    return order && typeof order === "object" && !Array.isArray(order) ? order : undefined;
  } catch {
    return undefined;
  }
}

function decoded(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // malformed percent-encoding: no order has that id
  }
}

export const handler = http(async (req) => {
  if (req.method === "GET" && req.path === "/health") return { status: 200, body: { ok: true } };
  const owner = req.auth?.subject;
  if (req.method === "POST" && req.path === "/orders") {
    if (!owner) return unauthorized;
    const order = orderOf(req);
    if (!order) return { status: 400, body: { error: "the body must be a JSON object (the order)" } };
    const id = randomUUID();
    // The order id is the event id: every delivery of this event, on every cloud, is stored once.
    await buses.events.publish({ id, source: "orders.api", type: "OrderCreated", subject: id, data: { id, owner, order: { ...order, id } } });
    return { status: 202, body: { accepted: true, id } };
  }
  const m = /^\/orders\/([^/]+)$/.exec(req.path);
  if (req.method === "GET" && m) {
    if (!owner) return unauthorized;
    const id = decoded(m[1]);
    if (id === undefined) return { status: 404, body: { error: "no such order" } };
    const { rows } = await databases.main.connect().query("SELECT body FROM orders WHERE id = $1 AND owner = $2", [id, owner]);
    // Someone else's order is "no such order": its existence is not revealed either.
    return rows.length ? { status: 200, body: rows[0].body } : { status: 404, body: { error: "no such order" } };
  }
  return { status: 404, body: { error: "not found" } };
});
