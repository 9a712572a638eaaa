import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { load } from "js-yaml";
import { NAME_RULES, Namer, Problems, packageFunction } from "@polycloud/core";
import {
  AZURERM_BINDINGS_VERSION, AZURERM_PROVIDER_VERSION, FLEX_PACKAGE_BLOB, REMOVE_INJECTED_STORAGE_COMMAND, SERVICE_BUS_HOST_SETTINGS,
  apiPolicyXml, apimSupportsCipherSettings, flexScale, globalName, operationPolicyXml, subscriptionSuffix, xml,
} from "@polycloud/azure";
import { DataResource, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { PostApplyStep } from "@polycloud/azure";
import { find, only, resources } from "../helpers/synth";
import { azureProblems, dev, globalNameOf, prod, staging, synthAzure, warnings } from "./shared";

describe("AzureFoundation", () => {
  test("provider with features and subscription; Entra-authenticated azurerm backend (the local default is in __tests__/stacks/composition)", () => {
    expect(prod.json.provider!.azurerm[0]).toMatchObject({ features: [expect.any(Object)], subscription_id: "00000000-0000-4000-8000-000000000003", storage_use_azuread: true });
    expect(prod.json.terraform.backend.azurerm).toMatchObject({ storage_account_name: "polycloudtfstateprd", container_name: "tfstate", key: "prod/azure/shared.tfstate", use_azuread_auth: true });
    expect(dev.json.terraform.backend.azurerm).toMatchObject({ storage_account_name: "polycloudtfstatedev", key: "dev/azure/shared.tfstate", use_azuread_auth: true });
  });

  test("one resource group per environment (named after the platform); workspace-based App Insights with retention", () => {
    expect(only(prod.json, "azurerm_resource_group")).toMatchObject({ name: "shared-prod-rg", location: "westeurope" });
    expect(only(prod.json, "azurerm_log_analytics_workspace").retention_in_days).toBe(365);
    expect(only(dev.json, "azurerm_log_analytics_workspace").retention_in_days).toBe(30);
    expect(only(prod.json, "azurerm_application_insights").workspace_id).toMatch(/log_analytics_workspace/);
  });

  test("action group: e-mail receivers and a short name of at most 12 characters", () => {
    const ag = only(prod.json, "azurerm_monitor_action_group");
    expect(ag.short_name.length).toBeLessThanOrEqual(12);
    expect(ag.email_receiver.map((r: any) => r.email_address)).toEqual(["oncall@example.com", "platform-prod@example.com"]);
    const long = synthAzure("dev", () => {}, (s) => { s.name = "a-very-long-service-name"; });
    expect(only(long.json, "azurerm_monitor_action_group").short_name.length).toBeLessThanOrEqual(12);
  });

  test("storage and vault: TLS 1.2, no shared keys, no public blobs, RBAC vault with purge protection in prod", () => {
    const accounts = Object.values(resources(prod.json, "azurerm_storage_account")) as any[];
    // The functions' and the migration step's host accounts (its name is cut to 24 characters with a hash), and the shared one.
    expect(accounts.map((a) => a.name).sort()).toEqual([globalNameOf("prod", "apihost", ""), expect.stringMatching(/^ordersprodmain[0-9a-f]{6}90jx$/), globalNameOf("prod", "workerhost", ""), globalNameOf("prod", "fn", "", "shared")]);
    for (const a of accounts) expect(a).toMatchObject({ min_tls_version: "TLS1_2", https_traffic_only_enabled: true, shared_access_key_enabled: false, allow_nested_items_to_be_public: false, account_replication_type: "ZRS" });
    expect(only(prod.json, "azurerm_key_vault")).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true, soft_delete_retention_days: 90 });
  });

  test("network: delegated subnets for PostgreSQL and Flex Consumption, private DNS zone linked to the VNet", () => {
    const subnets = Object.values(resources(dev.json, "azurerm_subnet")) as any[];
    expect(subnets.map((s) => s.delegation[0].service_delegation.name).sort()).toEqual(["Microsoft.App/environments", "Microsoft.DBforPostgreSQL/flexibleServers"]);
    expect(only(dev.json, "azurerm_private_dns_zone").name).toMatch(/\.private\.postgres\.database\.azure\.com$/);
    expect(only(dev.json, "azurerm_private_dns_zone_virtual_network_link").virtual_network_id).toMatch(/virtual_network/);
  });

  test("network with a Premium Service Bus: an endpoint subnet and the privatelink.servicebus.windows.net zone, linked", () => {
    const subnets = Object.values(resources(prod.json, "azurerm_subnet")) as any[];
    expect(subnets.map((s) => s.name).sort()).toEqual(["endpoints", "functions", "postgres"]);
    expect(subnets.find((s) => s.name === "endpoints").delegation).toBeUndefined();
    const zones = Object.values(resources(prod.json, "azurerm_private_dns_zone")) as any[];
    expect(zones.map((z) => z.name)).toContain("privatelink.servicebus.windows.net");
    expect(Object.keys(resources(prod.json, "azurerm_private_dns_zone_virtual_network_link"))).toHaveLength(2);
  });

  test("budget: resource group, actual + forecast to the action group, start date from the environment", () => {
    const b = only(prod.json, "azurerm_consumption_budget_resource_group");
    expect(b).toMatchObject({ amount: 5000, time_grain: "Monthly", time_period: { start_date: "2026-12-01T00:00:00Z" } });
    expect(b.notification.map((n: any) => [n.threshold_type, n.threshold])).toEqual([["Actual", 50], ["Actual", 80], ["Actual", 100], ["Forecasted", 90], ["Forecasted", 100]]);
    for (const n of b.notification) expect(n.contact_groups[0]).toMatch(/monitor_action_group/);
  });

  test("budget start date must be the first of a month and is never taken from the clock", () => {
    expect(azureProblems("dev", (e) => { e.clouds.azure.budgetStartDate = "2026-02-15"; })).toContainEqual(
      expect.stringMatching(/environments\/dev: property 'clouds\.azure\.budgetStartDate' has value "2026-02-15"; allowed: the first day of a month/),
    );
    const again = synthAzure("prod").json;
    expect(only(again, "azurerm_consumption_budget_resource_group").time_period).toEqual(only(prod.json, "azurerm_consumption_budget_resource_group").time_period);
  });

  test("more than five budget thresholds are rejected", () => {
    expect(azureProblems("prod", (e) => { e.budget.forecastThresholdsPercent = [90, 100, 110]; })).toContainEqual(expect.stringMatching(/AzureService: property 'environments\/prod\.budget' has value 6; allowed: at most 5 thresholds/));
  });
});

describe("AzureFunction", () => {
  const app = (json: any, id: string) => find(json, "azurerm_function_app_flex_consumption", (a) => a.name === globalNameOf(json === prod.json ? "prod" : "dev", id));

  test("Flex Consumption: FC1 plan, identity-based deployment container, runtime, HTTPS only, App Insights", () => {
    const a = app(prod.json, "api");
    expect(a).toMatchObject({ runtime_name: "node", runtime_version: "22", https_only: true, storage_authentication_type: "UserAssignedIdentity", storage_container_type: "blobContainer", instance_memory_in_mb: 2048, maximum_instance_count: 200 });
    expect(a.site_config.application_insights_connection_string).toMatch(/application_insights/);
    expect(a.zip_deploy_file).toBeUndefined();
    expect(a.webdeploy_publish_basic_authentication_enabled).toBe(false);
    expect((Object.values(resources(prod.json, "azurerm_service_plan")) as any[]).every((p) => p.sku_name === "FC1" && p.os_type === "Linux")).toBe(true);
    // Each identity writes only its own deployment container and owns only its own host account.
    const storageRoles = (Object.values(resources(prod.json, "azurerm_role_assignment")) as any[])
      .filter((r) => /^Storage Blob/.test(r.role_definition_name) && /user_assigned_identity/.test(r.principal_id))
      .map((r) => `${r.principal_id.replace(/^.*orders_(?:fn-(\w+)|db-(main-migrate)_fn)_identity.*$/, "$1$2")} ${r.role_definition_name} ${r.scope.replace(/^\$\{(\w+)\.orders_(?:fn-(\w+)|db-(main-migrate)_fn)_([a-z-]+)_.*$/, "$1 $2$3 $4")}`);
    expect(storageRoles.sort()).toEqual([
      "api Storage Blob Data Contributor azurerm_storage_container api deployments",
      "api Storage Blob Data Owner azurerm_storage_account api host-storage",
      "main-migrate Storage Blob Data Contributor azurerm_storage_container main-migrate deployments",
      "main-migrate Storage Blob Data Owner azurerm_storage_account main-migrate host-storage",
      "worker Storage Blob Data Contributor azurerm_storage_container worker deployments",
      "worker Storage Blob Data Owner azurerm_storage_account worker host-storage",
    ]);
  });

  test("code: the package from the shared source folder becomes released-package.zip in the deployment container", () => {
    const blobs = Object.entries(resources(prod.json, "azurerm_storage_blob")) as [string, any][];
    const [address, blob] = blobs.find(([k]) => k.startsWith("orders_fn-api_package"))!;
    // Built on @polycloud/runtime: bundled for Azure with host.json and the v4 registration.
    const pkg = packageFunction(path.resolve("stacks/reference/functions/api"), { cloud: "azure", logicalId: "api", handler: "index.handler" });
    expect(blob).toMatchObject({ name: FLEX_PACKAGE_BLOB, type: "Block", content_type: "application/zip", storage_container_name: expect.stringMatching(/orders_fn-api_deployments/) });
    // A cdktf asset (relative to the stack output), never a machine-local temp path.
    expect(blob.source).toMatch(new RegExp(`^assets/.*${pkg.hash}\\.zip$`));
    expect(blob.content_md5).toBe(createHash("md5").update(fs.readFileSync(pkg.path)).digest("hex"));
    // Terraform uploads with Entra ID (no shared keys): its identity may write this one container.
    const uploader = find(prod.json, "azurerm_role_assignment", (r) => r.role_definition_name === "Storage Blob Data Contributor" && /orders_fn-api_deployments/.test(r.scope) && /client_config/.test(r.principal_id));
    expect(uploader.principal_id).toMatch(/data\.azurerm_client_config/);
    expect(blob.depends_on).toEqual([expect.stringMatching(/deployer-upload/)]);
    // A new package changes an app setting, which restarts the app onto it.
    const a = app(prod.json, "api");
    expect(a.app_settings.PLATFORM_PACKAGE_SHA256).toBe(pkg.hash);
    expect(a.depends_on).toContain(`azurerm_storage_blob.${address}`);
  });

  test("host storage: an account per function reached with the identity, never a connection string", () => {
    for (const id of ["api", "worker"]) {
      const s = app(prod.json, id).app_settings;
      expect(s).toMatchObject({
        AzureWebJobsStorage__accountName: expect.stringMatching(new RegExp(`azurerm_storage_account\\.orders_fn-${id}_host-storage`)),
        AzureWebJobsStorage__credential: "managedidentity",
        AzureWebJobsStorage__clientId: expect.stringMatching(new RegExp(`user_assigned_identity\\.orders_fn-${id}_identity`)),
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: expect.stringMatching(/^ClientId=\$\{azurerm_user_assigned_identity\.[^}]+\.client_id\};Authorization=AAD$/),
      });
      expect(s.AzureWebJobsStorage).toBeUndefined();
      expect(JSON.stringify(s)).not.toMatch(/AccountKey|SharedAccessSignature|InstrumentationKey=/);
    }
    const host = find(prod.json, "azurerm_storage_account", (a) => a.name === globalNameOf("prod", "apihost", ""));
    expect(host).toMatchObject({ shared_access_key_enabled: false, lifecycle: { prevent_destroy: true } });
  });

  test("warm instances in prod through always_ready; memory rounded up with a warning", () => {
    expect(app(prod.json, "api").always_ready).toEqual([{ name: "http", instance_count: 2 }]);
    // A function no gateway routes to is warmed by name, not through the HTTP group.
    const warmWorker = synthAzure("prod", () => {}, (s) => { s.functions.worker.minWarmInstances = 1; });
    expect(find(warmWorker.json, "azurerm_function_app_flex_consumption", (a) => a.name === globalNameOf("prod", "worker")).always_ready).toEqual([{ name: "function:worker", instance_count: 1 }]);
    expect(app(dev.json, "api").always_ready).toBeUndefined();
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/AzureFunction\(api\): property 'memoryMb' = 256 is rounded up to 512 MB, the nearest Flex Consumption instance size \(512, 2048, 4096\)/));
    // Always-ready instances above maximum_instance_count fail at apply (azurerm 4.73
    // function_app_flex_consumption_resource.go, ExpandAlwaysReadyConfiguration): 2 warm, cap 4 at 4 per instance = 1 instance.
    expect(azureProblems("prod", () => {}, (s) => { s.functions.api.minWarmInstances = 2; s.functions.api.concurrency = { max: 4, perInstance: 4 }; }))
      .toContainEqual(expect.stringMatching(/functions\.api\.minWarmInstances' has value 2; allowed: at most 1 on Azure/));
    expect(azureProblems("prod", () => {}, (s) => { s.functions.api.minWarmInstances = 1; s.functions.api.concurrency = { max: 4, perInstance: 4 }; })).toEqual([]);
    expect(azureProblems("dev", () => {}, (s) => { s.functions.api.memoryMb = 8192; })).toContainEqual(expect.stringMatching(/functions\.api\.memoryMb' has value 8192; allowed: 128\.\.4096 MB \(Azure Functions/));
  });

  test("secrets: a name and the vault URI, read with the function's identity, Secrets User on the vault only", () => {
    const s = app(prod.json, "api").app_settings;
    expect(s).toMatchObject({ PAYMENT_API_KEY_SECRET_NAME: "payment-api-key", KEY_VAULT_URI: expect.stringMatching(/key_vault/), AZURE_CLIENT_ID: expect.stringMatching(/user_assigned_identity/), AzureFunctionsJobHost__functionTimeout: "00:00:10" });
    expect(s.PAYMENT_API_KEY).toBeUndefined();
    const grant = (Object.values(resources(prod.json, "azurerm_role_assignment")) as any[]).filter((r) => r.role_definition_name === "Key Vault Secrets User");
    expect(grant).toHaveLength(1);
    expect(grant[0].scope).toMatch(/^\$\{azurerm_key_vault\.[^}]+\.id\}$/);
  });
});

describe("AzureApiGateway", () => {
  const apiPolicy = only(prod.json, "azurerm_api_management_api_policy").xml_content as string;
  const ops = Object.values(resources(prod.json, "azurerm_api_management_api_operation_policy")).map((p: any) => p.xml_content as string);

  test("SKU from the environment; one operation per route with template parameters", () => {
    expect(only(prod.json, "azurerm_api_management").sku_name).toBe("StandardV2_1");
    expect(only(dev.json, "azurerm_api_management").sku_name).toBe("Consumption_0");
    const operations = Object.values(resources(prod.json, "azurerm_api_management_api_operation")) as any[];
    expect(operations.map((o) => `${o.method} ${o.url_template}`)).toEqual(["POST /orders", "GET /orders/{id}", "GET /health"]);
    expect(operations[1].template_parameter).toEqual([{ name: "id", required: true, type: "string" }]);
  });

  test("API policy: CORS and rate-limit-by-key implementing rate and burst", () => {
    expect(apiPolicy).toContain('<cors allow-credentials="true"><allowed-origins><origin>https://shop.example.com</origin></allowed-origins>');
    expect(apiPolicy).toContain('<rate-limit-by-key calls="31000" renewal-period="60" counter-key="@(context.Api.Id)" />');
  });

  test("validate-jwt on authorized routes only, backend set per operation", () => {
    expect(ops.filter((x) => x.includes("<validate-jwt"))).toHaveLength(2);
    expect(ops[0]).toContain('<openid-config url="https://auth.example.com/.well-known/openid-configuration" />');
    expect(ops[0]).toContain("<audiences><audience>orders-api</audience></audiences><issuers><issuer>https://auth.example.com/</issuer></issuers>");
    // Backends are named after the service on the environment's shared instance.
    for (const o of ops) expect(o).toContain('<set-backend-service backend-id="orders-api" />');
  });

  test("Consumption tier: the throttle cannot be enforced, so synth warns and the policy says nothing it cannot keep", () => {
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/AzureApiGateway\(public\): property 'throttle'.*cannot be honoured on the Consumption tier/));
    expect(only(dev.json, "azurerm_api_management_api_policy").xml_content).not.toContain("rate-limit");
  });

  test("the backend's audience (the app identity's client id) in a named value, no function key; logger, diagnostic and GatewayLogs", () => {
    expect(only(prod.json, "azurerm_api_management_named_value")).toEqual(expect.objectContaining({ name: "orders-api-audience", value: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.orders_fn-api_identity_[^.]+\.client_id\}$/) }));
    expect(only(prod.json, "azurerm_api_management_named_value").secret).toBeUndefined();
    expect(only(prod.json, "azurerm_api_management_backend").credentials).toBeUndefined();
    expect(prod.json.data?.azurerm_function_app_host_keys).toBeUndefined();
    expect(only(prod.json, "azurerm_api_management_api_diagnostic")).toMatchObject({ identifier: "applicationinsights", sampling_percentage: 100, always_log_errors: true });
    expect(only(prod.json, "azurerm_monitor_diagnostic_setting").enabled_log).toEqual([{ category: "GatewayLogs" }]);
  });

  test("hostile values are escaped in the policy XML", () => {
    const hostile = `https://evil.example.com"/><set-backend-service base-url="http://x"/>&\${x}\n<ünï>'`;
    const spec = { routes: [{ method: "GET" as const, path: "/a", function: "api" }], throttle: { rateLimit: 1, burstLimit: 1 }, cors: { allowOrigins: [hostile] }, auth: { issuer: `https://i.example.com/"><x>`, audiences: ["a</audience><audience>*"] } };
    const policy = apiPolicyXml(spec, { rateLimit: true }) + operationPolicyXml(spec, true, 'api"/>');
    expect(policy).not.toContain('"/><set-backend-service base-url');
    expect(policy).toContain("https://evil.example.com&quot;/&gt;&lt;set-backend-service base-url=&quot;http://x&quot;/&gt;&amp;&#36;{x}&#10;&lt;ünï&gt;&apos;");
    expect(policy).toContain("<audience>a&lt;/audience&gt;&lt;audience&gt;*</audience>");
    expect(policy).toContain('backend-id="api&quot;/&gt;"');
    expect(xml("@(context.Request)")).toBe("&#64;(context.Request)");
    // The result is still one well-formed document per policy: every element we opened is closed.
    for (const doc of [apiPolicyXml(spec, { rateLimit: true }), operationPolicyXml(spec, true, "api")]) {
      const opened = (doc.match(/<[a-z-]+[ >]/g) ?? []).length;
      const closed = (doc.match(/<\/[a-z-]+>|\/>/g) ?? []).length;
      expect(closed).toBe(opened);
    }
    expect(new Problems("x").messages()).toEqual([]);
  });

  test("functions behind API Management must answer within 230 s", () => {
    expect(azureProblems("dev", () => {}, (s) => { s.functions.api.timeoutSeconds = 300; })).toContainEqual(expect.stringMatching(/AzureService: property 'functions\.api\.timeoutSeconds' has value 300; allowed: at most 230 seconds/));
  });
});

describe("Azure provider and names (issue 13)", () => {
  test("the provider itself is pinned to hashicorp/azurerm 4.73.0 over the 4.55 bindings, and registers Microsoft.App for Flex VNet integration", () => {
    for (const f of [dev, staging, prod]) {
      expect(f.json.terraform.required_providers.azurerm).toEqual({ source: "hashicorp/azurerm", version: AZURERM_PROVIDER_VERSION });
      expect((f.json.provider as any).azurerm[0].resource_providers_to_register).toEqual(["Microsoft.App"]);
    }
    expect([AZURERM_PROVIDER_VERSION, AZURERM_BINDINGS_VERSION]).toEqual(["4.73.0", "4.55.0"]);
  });

  test("globally unique names end with a stable suffix of the subscription and stay inside each name's limits", () => {
    const limits: [type: string, max: number, pattern: RegExp][] = [
      ["azurerm_storage_account", 24, /^[a-z][a-z0-9]{2,23}$/],
      ["azurerm_key_vault", 24, /^[a-z][a-z0-9-]{1,22}[a-z0-9]$/],
      ["azurerm_api_management", 50, /^[a-z][a-z0-9-]*[a-z0-9]$/],
      ["azurerm_servicebus_namespace", 50, /^[a-z][a-z0-9-]{4,48}[a-z0-9]$/],
      ["azurerm_postgresql_flexible_server", 63, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/],
      ["azurerm_function_app_flex_consumption", 60, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/],
      ["azurerm_eventgrid_topic", 50, /^[a-z0-9-]{3,50}$/],
    ];
    const suffixes = new Set<string>();
    for (const [envName, f] of [["dev", dev], ["staging", staging], ["prod", prod]] as const) {
      const suffix = subscriptionSuffix((f.json.provider as any).azurerm[0].subscription_id);
      suffixes.add(suffix);
      expect(suffix).toMatch(/^[a-z0-9]{4}$/);
      for (const [type, max, pattern] of limits) {
        const names = Object.values(resources(f.json, type)).map((r: any) => r.name as string);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          expect({ type, name, ok: name.length <= max && pattern.test(name) && name.endsWith(suffix) && !name.includes("--") }).toEqual({ type, name, ok: true });
        }
      }
      expect(globalNameOf(envName, "kv", "-", "shared")).toBe(only(f.json, "azurerm_key_vault").name);
    }
    expect(suffixes.size).toBe(3);
    // Deterministic and case-insensitive in the subscription id; a long name is cut, never the suffix.
    expect(subscriptionSuffix("00000000-0000-4000-8000-000000000003")).toBe(subscriptionSuffix("00000000-0000-4000-8000-000000000003".toUpperCase()));
    const long = globalName(new Namer("a-very-long-service-name", "production"), "00000000-0000-4000-8000-000000000003", NAME_RULES.azure.storageAccount, "worker", "host");
    expect(long).toHaveLength(24);
    expect(long.endsWith(subscriptionSuffix("00000000-0000-4000-8000-000000000003"))).toBe(true);
  });
});

describe("AzureFunction concurrency, alarms and host storage (issue 13)", () => {
  const apps = (json: any) => Object.values(resources(json, "azurerm_function_app_flex_consumption")) as any[];

  test("http_concurrency is always set, and instances × per-instance concurrency equals the spec's cap (Service Bus trigger included)", () => {
    // prod's worker (cap 50) is invoked by nothing but its queue (maxConcurrency 5): it runs 5 wide, as SQS's maximum_concurrency does.
    const caps: Record<string, Record<string, number>> = { dev: { api: 20, worker: 5 }, staging: { api: 20, worker: 5 }, prod: { api: 200, worker: 5 } };
    for (const [envName, f] of [["dev", dev], ["staging", staging], ["prod", prod]] as const) {
      for (const id of ["api", "worker"]) {
        const a = find(f.json, "azurerm_function_app_flex_consumption", (x) => x.name === globalNameOf(envName, id));
        expect(a.http_concurrency).toBeGreaterThanOrEqual(1);
        expect(a.maximum_instance_count * a.http_concurrency).toBe(caps[envName][id]);
        expect(a.app_settings).toMatchObject({ PLATFORM_MAX_INSTANCES: String(a.maximum_instance_count), PLATFORM_PER_INSTANCE_CONCURRENCY: String(a.http_concurrency), AzureFunctionsJobHost__concurrency__dynamicConcurrencyEnabled: "false" });
      }
      const worker = find(f.json, "azurerm_function_app_flex_consumption", (x) => x.name === globalNameOf(envName, "worker"));
      expect(worker.app_settings[SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls]).toBe(String(worker.http_concurrency));
      expect(worker.app_settings[SERVICE_BUS_HOST_SETTINGS.prefetchCount]).toBe("0");
    }
    // A per-instance share that does not divide the cap is lowered to one that does, with a warning.
    // (Without the queue's own maxConcurrency, which would cap the worker that only the queue invokes.)
    const odd = synthAzure("dev", () => {}, (s) => { s.functions.worker.concurrency = { max: 7, perInstance: 2 }; delete s.queues.orders.maxConcurrency; });
    const w = find(odd.json, "azurerm_function_app_flex_consumption", (x) => x.name === globalNameOf("dev", "worker"));
    expect([w.maximum_instance_count, w.http_concurrency, w.app_settings[SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls]]).toEqual([7, 1, "1"]);
    expect(warnings(odd.stack)).toContainEqual(expect.stringMatching(/AzureFunction\(worker\): property 'concurrency' \(max 7, perInstance 2\) runs as 7 instances × 1 per instance = 7/));
  });

  test("flexScale: exact splits of the cap inside 1..1000 instances; no cap keeps Flex's 100", () => {
    expect(flexScale(7, 2)).toEqual({ instances: 7, perInstance: 1, total: 7 });
    expect(flexScale(10, 5)).toEqual({ instances: 2, perInstance: 5, total: 10 });
    expect(flexScale(5, 1)).toEqual({ instances: 5, perInstance: 1, total: 5 });
    expect(flexScale(3000, 1)).toEqual({ instances: 1000, perInstance: 3, total: 3000 });
    expect(flexScale(1009 * 2 + 1, 1).total).toBeLessThanOrEqual(2019);
    expect(flexScale(undefined, 4)).toEqual({ instances: 100, perInstance: 4, total: 400 });
    fc.assert(fc.property(fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 1, max: 1000 }), (max, per) => {
      const s = flexScale(max, per);
      const inRange = s.instances >= 1 && s.instances <= 1000 && s.perInstance >= 1 && s.perInstance <= 1000 && s.total === s.instances * s.perInstance && s.total <= max;
      // Up to 1000 the cap is always met exactly without raising the per-instance share.
      return inRange && (max > 1000 || (s.total === max && s.perInstance <= per));
    }));
  });

  test("the throttles alarm watches Http429 on HTTP-triggered functions and is left out for the others", () => {
    for (const f of [dev, staging, prod]) {
      const webAlerts = (Object.values(resources(f.json, "azurerm_monitor_metric_alert")) as any[]).filter((m) => m.criteria[0].metric_namespace === "Microsoft.Web/sites");
      expect(webAlerts.map((m) => m.criteria[0].metric_name)).toEqual(["Http429"]);
      expect(webAlerts[0].scopes[0]).toMatch(/orders_fn-api_app/);
    }
  });

  test("the post-apply step needs no terraform binary at synth (cdktf's DataResource runs `terraform version` in a validation)", () => {
    const scope = new TerraformStack(Testing.app(), "s");
    const ours = new PostApplyStep(scope, "ours", { input: { a: "b" } });
    const theirs = new DataResource(scope, "theirs", { input: { a: "b" } });
    // Validations registered on each (jest's process.env is not the one child processes see, so the
    // lookup itself cannot be starved of PATH here): cdktf's class carries the binary check, ours none.
    const validations = (c: Construct) => (c.node as unknown as { _validations: { constructor: { name: string } }[] })._validations.map((v) => v.constructor.name);
    expect(validations(theirs)).toEqual(["ValidateTerraformVersion"]);
    expect(validations(ours)).toEqual([]);
    // Same JSON as DataResource for what the step sets.
    const json = JSON.parse(Testing.synth(scope));
    expect(json.resource.terraform_data.ours).toEqual({ input: { a: "b" } });
    expect(json.resource.terraform_data.theirs).toEqual({ input: { a: "b" } });
  });

  test("the provider-injected AzureWebJobsStorage is removed after every apply that changes the app, by the apply job's logged-in az", () => {
    for (const f of [dev, prod]) {
      // One per app, and the database's migration run (tested with the migration step).
      const steps = Object.fromEntries(Object.entries(resources(f.json, "terraform_data") as Record<string, any>).filter(([, d]) => d.lifecycle?.replace_triggered_by));
      expect(Object.keys(steps)).toHaveLength(apps(f.json).length);
      for (const [address, a] of Object.entries(resources(f.json, "azurerm_function_app_flex_consumption")) as [string, any][]) {
        const step = Object.values(steps).find((d: any) => d.lifecycle.replace_triggered_by.includes(`azurerm_function_app_flex_consumption.${address}`)) as any;
        expect(step.provisioner).toEqual([{ "local-exec": { command: REMOVE_INJECTED_STORAGE_COMMAND, environment: { APP: `\${azurerm_function_app_flex_consumption.${address}.name}`, RG: expect.stringMatching(/azurerm_resource_group\..*\.name/), SUBSCRIPTION: (f.json.provider as any).azurerm[0].subscription_id } } }]);
        expect(a.app_settings.AzureWebJobsStorage).toBeUndefined();
      }
    }
    expect(REMOVE_INJECTED_STORAGE_COMMAND).toMatch(/^az functionapp config appsettings delete .*--setting-names AzureWebJobsStorage /);
    // Wired: the reusable stack workflow logs in with azure/login before `terraform apply`, in the same job.
    const wf: any = load(fs.readFileSync(path.join(__dirname, "..", "..", ".github", "workflows", "terraform-stack.yml"), "utf8"));
    const job = Object.values(wf.jobs).find((j: any) => j.steps?.some((s: any) => /terraform .*apply/.test(s.run ?? ""))) as any;
    const login = job.steps.findIndex((s: any) => String(s.uses ?? "").startsWith("azure/login@") && /azure/.test(String(s.if ?? "")));
    const apply = job.steps.findIndex((s: any) => /terraform .*\bapply\b/.test(s.run ?? ""));
    expect(login).toBeGreaterThanOrEqual(0);
    expect(login).toBeLessThan(apply);
  });
});

describe("AzureApiGateway ciphers (issue 13)", () => {
  test("cipher flags only on classic tiers: none on Consumption, BasicV2, StandardV2", () => {
    expect([dev, staging, prod].map((f) => [only(f.json, "azurerm_api_management").sku_name, only(f.json, "azurerm_api_management").security])).toEqual([["Consumption_0", undefined], ["BasicV2_1", undefined], ["StandardV2_1", undefined]]);
    const classic = synthAzure("prod", (e) => { e.clouds.azure.apiManagementSku = "Standard_1"; }).json;
    expect(only(classic, "azurerm_api_management").security).toEqual({ tls_rsa_with_aes128_cbc_sha_ciphers_enabled: false, tls_rsa_with_aes256_cbc_sha_ciphers_enabled: false });
    expect(["Developer_1", "Basic_1", "Standard_2", "Premium_1", "BasicV2_1", "StandardV2_1", "PremiumV2_1", "Consumption_0"].map(apimSupportsCipherSettings)).toEqual([true, true, true, true, false, false, false, false]);
  });
});
