import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Problems, packageFolder } from "@polycloud/core";
import { FLEX_PACKAGE_BLOB, apiPolicyXml, operationPolicyXml, xml } from "@polycloud/azure";
import { find, only, resources } from "../helpers/synth";
import { azureProblems, dev, prod, synthAzure, warnings } from "./shared";

describe("AzureFoundation", () => {
  test("provider with features and subscription; Entra-authenticated azurerm backend (the local default is in __tests__/stacks/composition)", () => {
    expect(prod.json.provider!.azurerm[0]).toMatchObject({ features: [expect.any(Object)], subscription_id: "00000000-0000-4000-8000-000000000003", storage_use_azuread: true });
    expect(prod.json.terraform.backend.azurerm).toMatchObject({ storage_account_name: "polycloudtfstateprd", container_name: "tfstate", key: "prod/azure/orders.tfstate", use_azuread_auth: true });
    expect(dev.json.terraform.backend.azurerm).toMatchObject({ storage_account_name: "polycloudtfstatedev", key: "dev/azure/orders.tfstate", use_azuread_auth: true });
  });

  test("one resource group per environment × service; workspace-based App Insights with retention", () => {
    expect(only(prod.json, "azurerm_resource_group")).toMatchObject({ name: "orders-prod-rg", location: "westeurope" });
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
    expect(accounts.map((a) => a.name).sort()).toEqual(["ordersprodapihost", "ordersprodfn", "ordersprodworkerhost"]);
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
  const app = (json: any, id: string) => find(json, "azurerm_function_app_flex_consumption", (a) => a.name === `orders-${json === prod.json ? "prod" : "dev"}-${id}`);

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
      .map((r) => `${r.principal_id.replace(/^.*orders_fn-(\w+)_identity.*$/, "$1")} ${r.role_definition_name} ${r.scope.replace(/^\$\{(\w+)\.orders_fn-(\w+)_([a-z-]+)_.*$/, "$1 $2 $3")}`);
    expect(storageRoles.sort()).toEqual([
      "api Storage Blob Data Contributor azurerm_storage_container api deployments",
      "api Storage Blob Data Owner azurerm_storage_account api host-storage",
      "worker Storage Blob Data Contributor azurerm_storage_container worker deployments",
      "worker Storage Blob Data Owner azurerm_storage_account worker host-storage",
    ]);
  });

  test("code: the package from the shared source folder becomes released-package.zip in the deployment container", () => {
    const blobs = Object.entries(resources(prod.json, "azurerm_storage_blob")) as [string, any][];
    const [address, blob] = blobs.find(([k]) => k.startsWith("orders_fn-api_package"))!;
    const pkg = packageFolder(path.resolve("stacks/reference/functions/api"));
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
    const host = find(prod.json, "azurerm_storage_account", (a) => a.name === "ordersprodapihost");
    expect(host).toMatchObject({ shared_access_key_enabled: false, lifecycle: { prevent_destroy: true } });
  });

  test("warm instances in prod through always_ready; memory rounded up with a warning", () => {
    expect(app(prod.json, "api").always_ready).toEqual([{ name: "http", instance_count: 2 }]);
    // A function no gateway routes to is warmed by name, not through the HTTP group.
    const warmWorker = synthAzure("prod", () => {}, (s) => { s.functions.worker.minWarmInstances = 1; });
    expect(find(warmWorker.json, "azurerm_function_app_flex_consumption", (a) => a.name === "orders-prod-worker").always_ready).toEqual([{ name: "function:worker", instance_count: 1 }]);
    expect(app(dev.json, "api").always_ready).toBeUndefined();
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/AzureFunction\(api\): property 'memoryMb' = 256 is rounded up to 2048 MB/));
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
    for (const o of ops) expect(o).toContain('<set-backend-service backend-id="api" />');
  });

  test("Consumption tier: the throttle cannot be enforced, so synth warns and the policy says nothing it cannot keep", () => {
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/AzureApiGateway\(public\): property 'throttle'.*cannot be honoured on the Consumption tier/));
    expect(only(dev.json, "azurerm_api_management_api_policy").xml_content).not.toContain("rate-limit");
  });

  test("function key in a secret named value; logger, diagnostic and GatewayLogs", () => {
    expect(only(prod.json, "azurerm_api_management_named_value")).toMatchObject({ secret: true, value: expect.stringMatching(/function_app_host_keys/) });
    expect(only(prod.json, "azurerm_api_management_backend").credentials.header).toEqual({ "x-functions-key": "{{api-key}}" });
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
