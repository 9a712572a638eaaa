import { CorsSpec, GatewaySpec, resolveCors } from "@polycloud/core";
import { RATE_LIMIT_PERIOD_SECONDS } from "./limits";

/** Escapes text for an XML attribute or element. APIM policy expressions start with `@(` or `@{`, so a leading `@` is escaped too. */
export function xml(value: string): string {
  const escaped = String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;")
    .replace(/\t/g, "&#9;")
    // Terraform would evaluate `${` / `%{` in the policy string; XML character references are inert to it.
    .replace(/\$\{/g, "&#36;{")
    .replace(/%\{/g, "&#37;{");
  // `@` at the start of a value would make APIM evaluate it as a C# expression.
  return escaped.startsWith("@") ? `&#64;${escaped.slice(1)}` : escaped;
}

function corsXml(cors: CorsSpec, gateway: GatewaySpec): string {
  const c = resolveCors(cors, gateway);
  const list = (tag: string, items: readonly string[]) => items.map((i) => `<${tag}>${xml(i)}</${tag}>`).join("");
  return [
    `<cors allow-credentials="${c.allowCredentials}">`,
    `<allowed-origins>${list("origin", c.allowOrigins)}</allowed-origins>`,
    `<allowed-methods preflight-result-max-age="${c.maxAgeSeconds}">${list("method", c.allowMethods)}</allowed-methods>`,
    `<allowed-headers>${list("header", c.allowHeaders)}</allowed-headers>`,
    c.exposeHeaders.length ? `<expose-headers>${list("header", c.exposeHeaders)}</expose-headers>` : "",
    "</cors>",
  ].join("");
}

export interface PolicyOptions {
  /** Consumption has no rate-limit-by-key; the caller warns and the limit is omitted. */
  readonly rateLimit: boolean;
}

/** API-level policy: CORS and the gateway-wide rate limit (burst + rate × 60 per 60 s). */
export function apiPolicyXml(spec: GatewaySpec, options: PolicyOptions): string {
  const calls = spec.throttle.burstLimit + spec.throttle.rateLimit * RATE_LIMIT_PERIOD_SECONDS;
  return [
    "<policies><inbound><base />",
    spec.cors ? corsXml(spec.cors, spec) : "",
    options.rateLimit ? `<rate-limit-by-key calls="${calls}" renewal-period="${RATE_LIMIT_PERIOD_SECONDS}" counter-key="@(context.Api.Id)" />` : "",
    "</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
  ].join("");
}

/**
 * Operation-level policy: JWT validation when the route is authorized; then the client's
 * `Authorization` (never one the client sent as X-Forwarded-Authorization) moves to
 * `X-Forwarded-Authorization`, and the gateway's managed-identity token for the function app
 * (audience: the `<backend>-audience` named value) takes its place, since App Service
 * authentication admits nothing else; then the function backend.
 */
export function operationPolicyXml(spec: GatewaySpec, authorized: boolean, backendId: string): string {
  const jwt = spec.auth && authorized
    ? [
        '<validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized" require-scheme="Bearer">',
        `<openid-config url="${xml(`${spec.auth.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`)}" />`,
        `<audiences>${spec.auth.audiences.map((a) => `<audience>${xml(a)}</audience>`).join("")}</audiences>`,
        `<issuers><issuer>${xml(spec.auth.issuer)}</issuer></issuers>`,
        "</validate-jwt>",
      ].join("")
    : "";
  const forward = [
    '<set-header name="X-Forwarded-Authorization" exists-action="delete" />',
    `<choose><when condition='@(context.Request.Headers.ContainsKey("Authorization"))'>`,
    '<set-header name="X-Forwarded-Authorization" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("Authorization", ""))</value></set-header>',
    "</when></choose>",
    `<authentication-managed-identity resource="{{${xml(backendId)}-audience}}" />`,
  ].join("");
  return `<policies><inbound><base />${jwt}${forward}<set-backend-service backend-id="${xml(backendId)}" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;
}
