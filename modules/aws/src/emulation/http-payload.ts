import { randomUUID } from "node:crypto";
import { HttpAnswer, HttpExchange, InvocationResult } from "@polycloud/core";

/**
 * The payload format 2.0 event API Gateway HTTP APIs (and function URLs) send a Lambda
 * integration, and the mapping of what the function returns back to an HTTP response.
 */
export function payloadV2(req: HttpExchange, ctx: { routeKey: string; apiId: string; domainName: string; stage: string; account: string; now: number; pathParameters?: Record<string, string>; authorizer?: Record<string, unknown> }): Record<string, unknown> {
  const url = new URL(req.url, `https://${ctx.domainName}`);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === "cookie") cookies.push(...v.split(/;\s*/).filter(Boolean));
    else headers[k] = v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const text = req.body.toString("utf8");
  const binary = req.body.length > 0 && Buffer.from(text, "utf8").compare(req.body) !== 0;
  const time = new Date(ctx.now);
  return {
    version: "2.0",
    routeKey: ctx.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.account, apiId: ctx.apiId, domainName: ctx.domainName, domainPrefix: ctx.domainName.split(".")[0],
      http: { method: req.method, path: url.pathname, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: req.headers["user-agent"] ?? "" },
      requestId: randomUUID(), routeKey: ctx.routeKey, stage: ctx.stage,
      time: time.toUTCString(), timeEpoch: ctx.now,
      ...(ctx.authorizer ? { authorizer: ctx.authorizer } : {}),
    },
    ...(ctx.pathParameters && Object.keys(ctx.pathParameters).length ? { pathParameters: ctx.pathParameters } : {}),
    ...(req.body.length ? { body: binary ? req.body.toString("base64") : text, isBase64Encoded: binary } : { isBase64Encoded: false }),
  };
}

/**
 * Format 2.0 response mapping: an object with `statusCode` is a response; anything else is a
 * 200 with the value as JSON. A function error answers 500 Internal Server Error.
 */
export function responseV2(result: InvocationResult): HttpAnswer {
  if (!result.ok) return { status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Internal Server Error" }) };
  const v = result.value as any;
  if (v && typeof v === "object" && "statusCode" in v) {
    const headers: Record<string, string> = {};
    for (const [k, val] of Object.entries<any>(v.headers ?? {})) headers[k.toLowerCase()] = String(val);
    if (Array.isArray(v.cookies) && v.cookies.length) headers["set-cookie"] = v.cookies.join(", ");
    const body = v.body === undefined || v.body === null ? "" : v.isBase64Encoded ? Buffer.from(String(v.body), "base64") : String(v.body);
    return { status: Number(v.statusCode), headers, body };
  }
  return { status: 200, headers: { "content-type": "application/json" }, body: v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v) };
}
