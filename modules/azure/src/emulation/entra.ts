import { randomBytes } from "node:crypto";
import { EmulationHost, HttpAnswer, HttpExchange, jsonAnswer } from "@polycloud/core";
import { AzureValues } from "./values";

export interface AzurePrincipal {
  readonly principalId: string;
  readonly clientId?: string;
  /** The identity's name (a user-assigned identity), which is its PostgreSQL role. */
  readonly name?: string;
}

const INCLUDED_IN: Record<string, string[]> = {
  "Azure Service Bus Data Sender": ["Azure Service Bus Data Owner"],
  "Azure Service Bus Data Receiver": ["Azure Service Bus Data Owner"],
  "EventGrid Data Sender": [],
  "Storage Blob Data Contributor": ["Storage Blob Data Owner"],
  "Storage Queue Data Message Sender": ["Storage Queue Data Contributor"],
};

/**
 * Microsoft Entra ID on the runner: tokens for managed identities (the Functions host's identity
 * endpoint, IDENTITY_ENDPOINT + IDENTITY_HEADER, serves the identities assigned to the app;
 * system-assigned identities of topics, API Management and Logic Apps get theirs from the
 * platform), and Azure RBAC from azurerm_role_assignment: a role at a scope covers that resource
 * and everything under it.
 */
export class Entra {
  private readonly tokens = new Map<string, { principal: AzurePrincipal; resource: string; until: number }>();

  constructor(private readonly host: EmulationHost, private readonly values: AzureValues) {}

  userAssigned(ref: unknown): AzurePrincipal {
    const r = this.values.refOf(ref);
    if (!r || r.type !== "azurerm_user_assigned_identity") throw new Error(`runner (azure): ${String(ref)} is not a user-assigned identity`);
    const raw = this.values.resource(r.type, r.name);
    return { principalId: String(this.values.value(r.type, r.name, raw, ["principal_id"])), clientId: String(this.values.value(r.type, r.name, raw, ["client_id"])), name: String(this.values.resolve(raw.name)) };
  }

  systemAssigned(type: string, address: string): AzurePrincipal {
    return { principalId: String(this.values.value(type, address, this.values.resource(type, address), ["identity", 0, "principal_id"])) };
  }

  issue(principal: AzurePrincipal, resource: string): { token: string; expiresOn: number } {
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.local.${randomBytes(24).toString("base64url")}`;
    const until = this.host.clock.now() + 3600_000;
    this.tokens.set(token, { principal, resource: resource.replace(/\/\.default$/, "").replace(/\/$/, ""), until });
    return { token, expiresOn: Math.floor(until / 1000) };
  }

  /** The principal of a bearer token for `resource`, if valid. */
  who(authorization: string | undefined, resource: string): AzurePrincipal | undefined {
    const token = (authorization ?? "").replace(/^Bearer\s+/i, "");
    const t = this.tokens.get(token);
    return t && t.until > this.host.clock.now() && t.resource === resource.replace(/\/$/, "") ? t.principal : undefined;
  }

  hasRole(principal: AzurePrincipal, role: string, resourceId: string): boolean {
    const roles = [role, ...(INCLUDED_IN[role] ?? [])];
    return this.values.resources("azurerm_role_assignment").some(([, raw]) => {
      let a: any;
      try { a = this.values.resolve(raw); } catch { return false; }
      const scope = String(a.scope).toLowerCase();
      const target = resourceId.toLowerCase();
      return a.principal_id === principal.principalId && roles.includes(a.role_definition_name) && (target === scope || target.startsWith(`${scope}/`));
    });
  }

  /** The identity endpoint the Functions host gives an app: tokens for the identities assigned to it. */
  identityEndpoint(secret: string, identities: AzurePrincipal[]): (req: HttpExchange) => Promise<HttpAnswer> {
    return async (req) => {
      if (req.headers["x-identity-header"] !== secret) return jsonAnswer(401, { error: "invalid_request", error_description: "X-IDENTITY-HEADER is missing or wrong" });
      const q = new URL(req.url, "http://localhost").searchParams;
      const resource = q.get("resource") ?? "";
      const clientId = q.get("client_id") ?? q.get("clientid");
      const principal = clientId ? identities.find((i) => i.clientId === clientId) : identities[0];
      if (!principal) return jsonAnswer(400, { error: "invalid_request", error_description: `Identity ${clientId ?? "(system)"} is not assigned to this app` });
      const t = this.issue(principal, resource);
      return jsonAnswer(200, { access_token: t.token, expires_on: String(t.expiresOn), resource, token_type: "Bearer", client_id: principal.clientId });
    };
  }
}
