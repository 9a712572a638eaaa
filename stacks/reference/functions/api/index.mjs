// Reference HTTP handler on @polycloud/runtime: this one folder deploys to AWS (API Gateway v2),
// GCP (Functions Framework behind the load balancer) and Azure (Functions v4 HTTP trigger).
// On GCP the load balancer cannot check methods, JWTs or CORS, so edge.mjs does it here; API
// Gateway and API Management do it before the request reaches AWS and Azure.
import { buses, databases, http } from "@polycloud/runtime";
import { checkRequest } from "./edge.mjs";

// The orders table comes from stacks/reference/migrations (applied at deploy); this function's
// database role may read and write rows, never change the schema.
async function route(req) {
  if (req.method === "GET" && req.path === "/health") return { status: 200, body: { ok: true } };
  if (req.method === "POST" && req.path === "/orders") {
    const order = req.json() ?? {};
    if (typeof order.id !== "string" || order.id === "") return { status: 400, body: { error: "order.id (string) is required" } };
    await buses.events.publish({ source: "orders.api", type: "OrderCreated", subject: order.id, data: order });
    return { status: 202, body: { accepted: true, id: order.id } };
  }
  const m = /^\/orders\/([^/]+)$/.exec(req.path);
  if (req.method === "GET" && m) {
    const pool = databases.main.connect();
    const { rows } = await pool.query("SELECT body FROM orders WHERE id = $1", [decodeURIComponent(m[1])]);
    return rows.length ? { status: 200, body: rows[0].body } : { status: 404, body: { error: "no such order" } };
  }
  return { status: 404, body: { error: "not found" } };
}

export const handler = http(async (req) => {
  if (req.cloud !== "gcp") return route(req);
  const checked = await checkRequest({ method: req.method, path: req.path, headers: req.headers });
  if (checked.response) return { status: checked.response.statusCode, headers: checked.response.headers, body: checked.response.body };
  const out = await route(req);
  return { ...out, headers: { ...checked.headers, ...out.headers } };
});
