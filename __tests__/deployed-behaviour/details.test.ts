import { Problems, resolveCors } from "@polycloud/core";
import { toPubsubFilters, coveringPrefixes } from "@polycloud/gcp";
import { clone, warnings } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

const dev = envByName("dev");

test("28.1 resolveCors spells ANY out (never *), keeping explicit methods once", () => {
  const gw = { routes: [{ method: "ANY", path: "/a", function: "f" }, { method: "POST", path: "/b", function: "f" }], throttle: { rateLimit: 1, burstLimit: 1 } } as any;
  expect(resolveCors({ allowOrigins: ["https://x.example.com"], allowCredentials: true }, gw).allowMethods).toEqual(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]);
  expect(resolveCors({ allowOrigins: ["https://x.example.com"], allowMethods: ["GET"] }, gw).allowMethods).toEqual(["GET"]);
});

test("28.3 AWS: with an existing network, the instances' zones are read from the subnets, not assumed", () => {
  const prod = clone(envByName("prod")) as any;
  prod.clouds.aws.network = { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] };
  const { json } = synthPlatform(prod, referenceService(prod), "aws");
  const subnets = Object.entries<any>((json as any).data.aws_subnet);
  expect(subnets.map(([, d]) => d.id)).toEqual(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]);
  const zones = Object.values<any>(json.resource.aws_rds_cluster_instance).map((i) => i.availability_zone);
  expect(zones).toEqual(subnets.map(([n]) => `\${data.aws_subnet.${n}.availability_zone}`));
});

test("28.7 GCP: a prefix covered by a shorter one is dropped before the filter is split", () => {
  expect(coveringPrefixes(["Order.Created", "Order.", "Payment.", "Order.", "Payment.Failed.Card"])).toEqual(["Order.", "Payment."]);
  const long = Array.from({ length: 12 }, (_, i) => `Order.Segment${i}.Something.Long`);
  const p = new Problems("t");
  expect(toPubsubFilters({ prefix: { type: ["Order.", ...long, "Order.Created"] } }, p, "rules.x")).toEqual(['hasPrefix(attributes.type, "Order.")']);
  // Without the shorter prefix the values still split into disjoint groups.
  const split = toPubsubFilters({ prefix: { type: long } }, p, "rules.x");
  expect(split.length).toBeGreaterThan(1);
  expect(p.messages()).toEqual([]);
});

test("28.11 GCP: synth warns that the gateway's own *.gateway.dev host skips Cloud Armor's rate limit", () => {
  const { stack } = synthPlatform(dev, referenceService(dev), "gcp");
  expect(warnings(stack)).toContainEqual(expect.stringMatching(/GcpHttpGateway\(public\): property 'throttle' \(rate 50\/s, burst 100\) is enforced by Cloud Armor on the load balancer only; API Gateway's own \*\.gateway\.dev hostname stays reachable and skips it/));
});

describe("28.15/28.16 Azure: the vault's firewall and the routed app's authentication", () => {
  const env = clone(dev) as any;
  env.clouds.azure.keyVaultAllowedIpRanges = ["203.0.113.0/24"];
  const { json } = synthPlatform(env, referenceService(env), "azure");

  test("operator ranges pass the vault's firewall; nothing else but the functions' subnet and trusted services", () => {
    expect(Object.values<any>(json.resource.azurerm_key_vault)[0].network_acls).toMatchObject({ default_action: "Deny", bypass: "AzureServices", ip_rules: ["203.0.113.0/24"] });
  });

  test("Easy Auth: v1 tokens of the tenant for the app identity's client id, only from the gateway's identity; 401 otherwise", () => {
    const api = Object.entries<any>(json.resource.azurerm_function_app_flex_consumption).find(([n]) => n.includes("_fn-api_"))![1];
    const ad = api.auth_settings_v2.active_directory_v2;
    expect(ad).toMatchObject({
      client_id: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.orders_fn-api_identity_[^.]+\.client_id\}$/),
      tenant_auth_endpoint: `https://sts.windows.net/${dev.clouds.azure!.tenantId}/`,
      www_authentication_disabled: true,
    });
    expect(ad.allowed_audiences).toEqual([ad.client_id]);
    expect(api.auth_settings_v2.login).toEqual({ token_store_enabled: false });
    expect(api.auth_settings_v2.excluded_paths).toEqual(["/runtime/webhooks/eventgrid"]);
    // The named value the operation policy asks a token for is that same audience (named after the service on the shared instance).
    const audience = Object.values<any>(json.resource.azurerm_api_management_named_value).find((v) => v.name === "orders-api-audience")!;
    expect(audience.value).toBe(ad.client_id);
  });
});
