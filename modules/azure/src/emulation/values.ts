import { createHash } from "node:crypto";
import { EmulatedStack, Traversal, parseTraversal, resolveReferences, timeProviderValue } from "@polycloud/core";

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
/** A deterministic GUID from a seed. */
export const guid = (seed: string) => { const h = hex(seed); return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`; };

/**
 * The values Azure gives the attributes a stack references (resource ids, host names, endpoints,
 * identities' client and principal ids, function host keys), made deterministic from the JSON,
 * as after an apply.
 */
export class AzureValues {
  readonly subscription: string;
  readonly tenant: string;
  /** The default function key of each function app (what azurerm_function_app_host_keys reads). */
  readonly hostKeys = new Map<string, { functionKey: string; masterKey: string }>();

  constructor(readonly stack: EmulatedStack) {
    const provider = (stack.json.provider?.azurerm ?? [])[0] ?? {};
    this.subscription = String(provider.subscription_id ?? "00000000-0000-0000-0000-000000000000");
    this.tenant = String(provider.tenant_id ?? "00000000-0000-0000-0000-0000000000aa");
  }

  resource(type: string, name: string): any {
    const r = this.stack.json.resource?.[type]?.[name];
    if (!r) throw new Error(`runner (azure): ${type}.${name} is referenced but not in the stack`);
    return r;
  }

  resources(type: string): [string, any][] {
    return Object.entries(this.stack.json.resource?.[type] ?? {});
  }

  resolve<T = any>(value: unknown): T {
    return resolveReferences(value, (t) => this.attribute(t));
  }

  /** The resource a `${...}` expression refers to first (type and address), without resolving it. */
  refOf(expr: unknown): { type: string; name: string } | undefined {
    const m = /\$\{([^}]+)\}/.exec(String(expr ?? ""));
    const t = m ? parseTraversal(m[1]) : undefined;
    return t && t.mode === "resource" ? { type: t.type, name: t.name } : undefined;
  }

  attribute(t: Traversal): unknown {
    if (t.mode === "data") {
      if (t.type === "azurerm_function_app_host_keys" && t.path[0] === "default_function_key") {
        const d = this.stack.json.data?.[t.type]?.[t.name];
        const app = this.refOf(d?.name);
        const keys = app ? this.hostKeys.get(app.name) : undefined;
        if (keys) return keys.functionKey;
      }
      if (t.type === "azurerm_client_config") return { object_id: guid("deployer"), tenant_id: this.tenant, client_id: guid("deployer-client"), subscription_id: this.subscription }[String(t.path[0])];
      throw new Error(`runner (azure): data source ${t.text} is not emulated`);
    }
    const r = this.resource(t.type, t.name);
    let v = this.value(t.type, t.name, r, t.path);
    // An argument of the resource reads back as the attribute of the same name.
    if (v === undefined && typeof t.path[0] === "string" && t.path[0] in r) v = this.resolve(r[t.path[0]]);
    if (v === undefined) throw new Error(`runner (azure): ${t.text} is not emulated`);
    return v;
  }

  private str(v: unknown): string {
    return String(this.resolve(v));
  }

  private rgOf(r: any): string {
    return r.resource_group_name !== undefined ? this.str(r.resource_group_name) : "rg";
  }

  /** `/subscriptions/<s>/resourceGroups/<rg>/providers/<provider>/<name>`. */
  id(r: any, provider: string, name = this.str(r.name)): string {
    return `/subscriptions/${this.subscription}/resourceGroups/${this.rgOf(r)}/providers/${provider}/${name}`;
  }

  value(type: string, name: string, r: any, path: readonly (string | number)[]): unknown {
    const attr = String(path[0] ?? "id");
    const time = timeProviderValue(type, name, attr);
    if (time !== undefined) return time;
    const n = () => this.str(r.name);
    const identity = (provider: string) => (path[0] === "identity" && path[2] === "principal_id" ? guid(`principal/${type}/${name}`) : path[0] === "identity" && path[2] === "tenant_id" ? this.tenant : undefined) ?? ({ id: this.id(r, provider), name: n() } as Record<string, unknown>)[attr];
    switch (type) {
      case "azurerm_resource_group":
        return { name: n(), id: `/subscriptions/${this.subscription}/resourceGroups/${n()}`, location: r.location }[attr];
      case "azurerm_user_assigned_identity":
        return { id: this.id(r, "Microsoft.ManagedIdentity/userAssignedIdentities"), name: n(), client_id: guid(`client/${name}`), principal_id: guid(`principal/${name}`), tenant_id: this.tenant }[attr];
      case "azurerm_function_app_flex_consumption":
      case "azurerm_linux_function_app":
        return attr === "default_hostname" ? `${n()}.azurewebsites.net` : identity("Microsoft.Web/sites");
      case "azurerm_servicebus_namespace":
        return attr === "endpoint" ? `sb://${n()}.servicebus.windows.net/` : identity("Microsoft.ServiceBus/namespaces");
      case "azurerm_servicebus_queue": {
        const ns = this.refOf(r.namespace_id);
        const nsId = ns ? String(this.value(ns.type, ns.name, this.resource(ns.type, ns.name), ["id"])) : "";
        return { id: `${nsId}/queues/${n()}`, name: n() }[attr];
      }
      case "azurerm_eventgrid_topic":
        return attr === "endpoint" ? `https://${n()}.${this.locationOf(r)}-1.eventgrid.azure.net/api/events` : identity("Microsoft.EventGrid/topics");
      case "azurerm_postgresql_flexible_server":
        return attr === "fqdn" ? `${n()}.postgres.database.azure.com` : identity("Microsoft.DBforPostgreSQL/flexibleServers");
      case "azurerm_storage_account":
        return attr === "primary_blob_endpoint" ? `https://${n()}.blob.core.windows.net/` : attr === "primary_queue_endpoint" ? `https://${n()}.queue.core.windows.net/` : identity("Microsoft.Storage/storageAccounts");
      case "azurerm_storage_container":
      case "azurerm_storage_queue": {
        const acc = this.refOf(r.storage_account_id ?? r.storage_account_name);
        const accId = acc ? String(this.value(acc.type, acc.name, this.resource(acc.type, acc.name), ["id"])) : "";
        return { id: `${accId}/${type === "azurerm_storage_container" ? "blobServices/default/containers" : "queueServices/default/queues"}/${n()}`, name: n(), resource_manager_id: `${accId}/blobServices/default/containers/${n()}` }[attr];
      }
      case "azurerm_api_management":
        return attr === "gateway_url" ? `https://${n()}.azure-api.net` : identity("Microsoft.ApiManagement/service");
      case "azurerm_application_insights":
        return { connection_string: `InstrumentationKey=${guid(name)};IngestionEndpoint=https://${this.locationOf(r)}.in.applicationinsights.azure.com/`, instrumentation_key: guid(name), app_id: guid(`app/${name}`), id: this.id(r, "Microsoft.Insights/components"), name: n() }[attr];
      case "azurerm_key_vault":
        return attr === "vault_uri" ? `https://${n()}.vault.azure.net/` : identity("Microsoft.KeyVault/vaults");
      case "azurerm_logic_app_workflow":
        return attr === "access_endpoint" ? `https://prod-00.${this.locationOf(r)}.logic.azure.com:443/workflows/${hex(name).slice(0, 32)}` : identity("Microsoft.Logic/workflows");
      case "azurerm_postgresql_flexible_server_database":
        return { name: n(), id: `${name}` }[attr];
      default:
        if (attr === "name") return r.name !== undefined ? n() : name;
        if (attr === "id") return `/subscriptions/${this.subscription}/resourceGroups/${this.rgOf(r)}/providers/${type}/${r.name !== undefined ? n() : name}`;
        if (attr === "location") return this.locationOf(r);
        return undefined;
    }
  }

  locationOf(r: any): string {
    if (r.location === undefined) return "westeurope";
    const v = this.str(r.location);
    return v;
  }
}
