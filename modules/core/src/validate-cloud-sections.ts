import { unknownRegion } from "./regions";
import { AwsEnvironmentSpec, AzureEnvironmentSpec, GcpEnvironmentSpec } from "./environment";
import { Problems } from "./validation";

const GCP_REGION = /^[a-z]+-[a-z]+\d$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks `clouds.gcp` of an environment file. */
export function validateGcpSection(gcp: GcpEnvironmentSpec, p: Problems): void {
  const at = (k: string) => `clouds.gcp.${k}`;
  if (p.required(at("projectId"), gcp.projectId, "a GCP project id (6-30 chars, ^[a-z][a-z0-9-]{4,28}[a-z0-9]$)")) {
    p.matches(at("projectId"), gcp.projectId, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id (6-30 chars, ^[a-z][a-z0-9-]{4,28}[a-z0-9]$)");
  }
  if (p.required(at("region"), gcp.region, "a GCP region such as europe-west1")) {
    if (p.matches(at("region"), gcp.region, GCP_REGION, "a GCP region such as europe-west1")) {
      const unknown = unknownRegion("gcp", gcp.region);
      if (unknown) p.add(at("region"), gcp.region, unknown);
    }
  }
  if (p.required(at("billingAccount"), gcp.billingAccount, "a billing account id XXXXXX-XXXXXX-XXXXXX")) {
    p.matches(at("billingAccount"), gcp.billingAccount, /^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, "a billing account id XXXXXX-XXXXXX-XXXXXX (hex, upper case)");
  }
  if (gcp.backend) {
    if (p.required(at("backend.bucket"), gcp.backend.bucket, "a GCS bucket name")) {
      p.matches(at("backend.bucket"), gcp.backend.bucket, /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "a GCS bucket name (3-63 chars of [a-z0-9._-])");
    }
    p.matches(at("backend.prefix"), gcp.backend.prefix, /^[A-Za-z0-9._/-]{1,200}$/, "a state prefix of [A-Za-z0-9._/-]");
    p.matches(at("backend.impersonateServiceAccount"), gcp.backend.impersonateServiceAccount, /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\.iam\.gserviceaccount\.com$/, "a service account e-mail");
  }
  if (gcp.network) {
    p.matches(at("network.networkId"), gcp.network.networkId, /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "projects/<project>/global/networks/<name>");
    p.matches(at("network.subnetId"), gcp.network.subnetId, /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+-[a-z]+\d\/subnetworks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "projects/<project>/regions/<region>/subnetworks/<name>");
  }
  p.matches(at("connectorCidr"), gcp.connectorCidr, /^(10\.\d{1,3}|172\.(1[6-9]|2\d|3[01])|192\.168)\.\d{1,3}\.\d{1,3}\/28$/, "a private /28 range for the Serverless VPC Access connector, e.g. 10.60.0.0/28");
  if (gcp.database) {
    p.oneOf(at("database.edition"), gcp.database.edition, ["ENTERPRISE", "ENTERPRISE_PLUS"]);
    p.matches(at("database.tier"), gcp.database.tier, /^db-[a-zA-Z0-9-]+$/, "a Cloud SQL tier such as db-perf-optimized-N-2");
    if (gcp.database.acceptNoPooling !== undefined && typeof gcp.database.acceptNoPooling !== "boolean") {
      p.add(at("database.acceptNoPooling"), gcp.database.acceptNoPooling, "true or false");
    }
  }
  (gcp.gatewayDomains ?? []).forEach((d, i) =>
    p.matches(at(`gatewayDomains[${i}]`), d, /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name"),
  );
}

/** Checks `clouds.azure` of an environment file. */
export function validateAzureSection(az: AzureEnvironmentSpec, p: Problems): void {
  const at = (k: string) => `clouds.azure.${k}`;
  if (p.required(at("subscriptionId"), az.subscriptionId, "a subscription GUID")) p.matches(at("subscriptionId"), az.subscriptionId, GUID, "a subscription GUID");
  if (p.required(at("tenantId"), az.tenantId, "a tenant GUID")) p.matches(at("tenantId"), az.tenantId, GUID, "a tenant GUID");
  if (p.required(at("location"), az.location, "an Azure location such as westeurope")) {
    if (p.matches(at("location"), az.location, /^[a-z]+[a-z0-9]*$/, "an Azure location name such as westeurope (lower case, no spaces)")) {
      const unknown = unknownRegion("azure", az.location);
      if (unknown) p.add(at("location"), az.location, unknown);
    }
  }
  if (az.backend) {
    p.matches(at("backend.storageAccountName"), az.backend.storageAccountName, /^[a-z0-9]{3,24}$/, "a storage account name (3-24 lower-case letters and digits)");
    p.required(at("backend.storageAccountName"), az.backend.storageAccountName, "a storage account name");
    p.matches(at("backend.containerName"), az.backend.containerName, /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "a blob container name (3-63 chars)");
    p.required(at("backend.containerName"), az.backend.containerName, "a blob container name");
    p.matches(at("backend.resourceGroupName"), az.backend.resourceGroupName, /^[-\w._()]{1,90}$/, "a resource group name");
    p.required(at("backend.resourceGroupName"), az.backend.resourceGroupName, "a resource group name");
  }
  if (az.network) {
    const sub = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
    p.matches(at("network.databaseSubnetId"), az.network.databaseSubnetId, sub, "a subnet resource id");
    p.matches(at("network.functionSubnetId"), az.network.functionSubnetId, sub, "a subnet resource id");
    p.matches(at("network.privateDnsZoneId"), az.network.privateDnsZoneId, /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/[^/]+\.postgres\.database\.azure\.com$/i, "a private DNS zone id ending in .postgres.database.azure.com");
    p.matches(at("network.endpointSubnetId"), az.network.endpointSubnetId, sub, "a subnet resource id");
    p.matches(at("network.serviceBusDnsZoneId"), az.network.serviceBusDnsZoneId, /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/privatelink\.servicebus\.windows\.net$/i, "the id of a private DNS zone privatelink.servicebus.windows.net");
    if (az.serviceBusSku === "Premium") {
      // A Premium namespace gets a private endpoint; an existing network must say where it goes.
      p.required(at("network.endpointSubnetId"), az.network.endpointSubnetId, "a subnet for private endpoints (serviceBusSku Premium makes the namespace private)");
      p.required(at("network.serviceBusDnsZoneId"), az.network.serviceBusDnsZoneId, "the privatelink.servicebus.windows.net zone id (serviceBusSku Premium makes the namespace private)");
    }
  }
  p.matches(at("vnetCidr"), az.vnetCidr, /^(10\.\d{1,3}|172\.(1[6-9]|2\d|3[01])|192\.168)\.0\.0\/16$/, "a private /16 CIDR such as 10.80.0.0/16");
  p.oneOf(at("apiManagementSku"), az.apiManagementSku, ["Consumption_0", "BasicV2_1", "StandardV2_1", "PremiumV2_1"]);
  p.oneOf(at("serviceBusSku"), az.serviceBusSku, ["Standard", "Premium"]);
  (az.keyVaultAllowedIpRanges ?? []).forEach((r, i) => {
    // Key Vault's firewall takes public IPv4 addresses or ranges; private ranges reach it through the subnet rule.
    const ok = typeof r === "string" && /^(\d{1,3})(\.\d{1,3}){3}(\/([0-9]|[12]\d|3[0-2]))?$/.test(r) && r.split("/")[0].split(".").every((o) => Number(o) <= 255)
      && !/^(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(r);
    if (!ok) p.add(at(`keyVaultAllowedIpRanges[${i}]`), r, "a public IPv4 address or CIDR range such as 203.0.113.0/24 (Key Vault firewall rules)");
  });
  if (az.database) {
    p.matches(at("database.skuName"), az.database.skuName, /^(B|GP|MO)_Standard_[A-Za-z0-9_]+$/, "a Flexible Server SKU such as GP_Standard_D2ds_v5");
    if (az.database.acceptNoPooling !== undefined && typeof az.database.acceptNoPooling !== "boolean") {
      p.add(at("database.acceptNoPooling"), az.database.acceptNoPooling, "true or false");
    }
  }
  if (p.required(at("budgetStartDate"), az.budgetStartDate, "the first day of a month, YYYY-MM-01")) {
    p.matches(at("budgetStartDate"), az.budgetStartDate, /^20\d\d-(0[1-9]|1[0-2])-01$/, "the first day of a month, YYYY-MM-01 (never computed from the clock)");
  }
}

/** Checks `clouds.aws.database`: the direct (proxy-less) path must be accepted, and only it can pause. */
export function validateAwsDatabaseSection(aws: AwsEnvironmentSpec, p: Problems): void {
  const db = aws.database;
  if (!db) return;
  const at = (k: string) => `clouds.aws.database.${k}`;
  if (db.proxy === false && db.acceptNoPooling !== true) {
    p.add(at("acceptNoPooling"), db.acceptNoPooling, "true with proxy: false (functions then connect to Aurora without RDS Proxy pooling)");
  }
  if (db.autoPauseSeconds !== undefined) {
    p.integer(at("autoPauseSeconds"), db.autoPauseSeconds, 300, 86400, "seconds");
    if (db.proxy !== false) p.add(at("autoPauseSeconds"), db.autoPauseSeconds, "only with proxy: false (RDS Proxy keeps connections open, so the cluster would never pause)");
  }
}
