/**
 * Dated list prices of the idle cost drivers, per cloud, resource type, component, region and
 * matching attribute values. USD, list price, no discounts, 730 hours a month.
 *
 * Every entry says where its figure comes from and how sure it is:
 * - `official-region`: the cloud's price page or price API for this region;
 * - `nearest-region`: the official figure of a nearby region (`sourceRegion`), used until re-sourced;
 * - `secondary`: a third-party transcription, a bill extract or a calculator dump;
 * - `assumed`: no price found; the figure is a stated assumption (see `note`). Re-source first.
 * An entry whose `date` is more than 12 months before the estimate warns; a driver without an
 * entry stops the estimate (see `estimate.ts`).
 */
import { Cloud } from "../environment";

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export type PriceUnit = "hour" | "month" | "GB-month" | "ACU-hour" | "vCPU-hour" | "GB-hour" | "GB-second" | "vCPU-second" | "GiB-second" | "metric-month" | "condition-month" | "series-month" | "execution";
export type PriceConfidence = "official-region" | "nearest-region" | "secondary" | "assumed";

export interface PriceEntry {
  readonly cloud: Cloud;
  /** Terraform resource type, e.g. `aws_db_proxy`. */
  readonly resourceType: string;
  /** The billed part of the resource, e.g. `acu-floor`, `vcpu`, `storage`. */
  readonly component: string;
  /** The stack's region, or `global` for prices that do not vary by region. */
  readonly region: string;
  /** Attribute values the usage line must carry for this price to apply (all must be equal). */
  readonly match?: Readonly<Record<string, string | number | boolean>>;
  readonly unit: PriceUnit;
  readonly usd: number;
  /** Billed at least this quantity per resource and month, in `unit` (RDS Proxy: 8 ACU × 730 h). */
  readonly minQuantity?: number;
  /** Free quantity per month, in `unit`, once per stack (each stack is its own account/project/resource group). */
  readonly free?: { readonly quantity: number; readonly scope: "account" | "project" | "subscription" };
  /** The cloud's page or price API the figure comes from (for a snapshot, the API it is a copy of). */
  readonly source: { readonly url: string };
  /**
   * The cloud's own name of the priced item: AWS usage type, Google Cloud SKU description, Azure
   * product / SKU / meter. Required for `official-region` entries of the sample regions.
   */
  readonly sku?: string;
  /**
   * Where the cloud's figure was read when not on the cloud's page itself: a public snapshot of its
   * price API (repository@commit, the date it was fetched). Transcribed figure by figure; nothing of
   * the snapshot is kept here.
   */
  readonly via?: string;
  /** Date the figure was published or observed, `YYYY-MM-DD`. Older than 12 months warns. */
  readonly date: string;
  readonly confidence: PriceConfidence;
  /** Region the figure was read for, when it is not `region`. */
  readonly sourceRegion?: string;
  readonly note?: string;
}

export interface PriceTable {
  /** Date the table was last reviewed as a whole. */
  readonly asOf: string;
  readonly currency: "USD";
  readonly hoursPerMonth: typeof HOURS_PER_MONTH;
  readonly prices: readonly PriceEntry[];
}

const AWS_PRICING = "https://aws.amazon.com/rds/aurora/pricing/";
/** AWS Price List offer file of a service for eu-west-1 (usage types there are prefixed `EU-`). */
const AWS_PRICE_LIST_EUW1 = (service: string) => `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/${service}/current/eu-west-1/index.json`;
const AWS_PRICE_LIST_EUW2 = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonRDS/current/eu-west-2/index.json";
const GCP_SQL = "https://cloud.google.com/sql/pricing";
const AZ_RETAIL = "https://prices.azure.com/api/retail/prices";
/** Said of every Cloud SQL entry still read off another region or a bill. */
const GCP_SQL_EUW1_MISSING = "; the europe-west1 SKU was in no stored catalog export, bill or calculator dump (searched 2026-12-07). Re-source from the Cloud Billing Catalog API (service 9662-B51E-5089) for europe-west1";
/** Said of every Azure entry still read off another region. */
const AZ_WESTEUROPE_MISSING = "; no stored Retail Prices API response for westeurope carries this meter (searched 2026-12-07). Re-source with armRegionName eq 'westeurope'";

const aws = (e: Omit<PriceEntry, "cloud">): PriceEntry => ({ cloud: "aws", ...e });
const gcp = (e: Omit<PriceEntry, "cloud">): PriceEntry => ({ cloud: "gcp", ...e });
const azure = (e: Omit<PriceEntry, "cloud">): PriceEntry => ({ cloud: "azure", ...e });

export const PRICE_TABLE: PriceTable = {
  asOf: "2026-11-28",
  currency: "USD",
  hoursPerMonth: HOURS_PER_MONTH,
  prices: [
    // ---------------------------------------------------------------- AWS (eu-west-1)
    aws({ resourceType: "aws_rds_cluster_instance", component: "serverless-v2-acu", region: "eu-west-1", unit: "ACU-hour", usd: 0.14,
      source: { url: AWS_PRICING }, date: "2026-09-11", confidence: "secondary", sku: "EU-Aurora:ServerlessV2Usage",
      note: "EU Aurora ServerlessV2Usage as quoted by a cost tool; eu-west-2's Price List file shows the same rate. Re-source from the eu-west-1 AmazonRDS offer file: no stored copy of the eu-west-1 AmazonRDS offer file (over 4 MiB) or of another copy of this usage type's price was found (searched 2026-12-07)" }),
    aws({ resourceType: "aws_db_proxy", component: "serverless-v2-acu", region: "eu-west-1", unit: "ACU-hour", usd: 0.018, minQuantity: 8 * HOURS_PER_MONTH,
      source: { url: AWS_PRICE_LIST_EUW2 }, date: "2026-09-11", confidence: "nearest-region", sourceRegion: "eu-west-2", sku: "EU-RDS:Proxy-ASv2-Usage",
      note: "EUW2-RDS:Proxy-ASv2-Usage read; billed on the target's ACUs with a floor of 8 ACU (https://aws.amazon.com/rds/proxy/pricing/). eu-west-1's own figure: no stored copy of the eu-west-1 AmazonRDS offer file (over 4 MiB) or of another copy of this usage type's price was found (searched 2026-12-07)" }),
    aws({ resourceType: "aws_vpc_endpoint", component: "interface-endpoint-az", region: "eu-west-1", unit: "hour", usd: 0.01,
      source: { url: "https://aws.amazon.com/privatelink/pricing/" }, date: "2026-07-31", confidence: "secondary", sku: "EU-VpcEndpoint-Hours",
      note: "two eu-west-1 bills: $352.42 for 34,824 endpoint-AZ hours; eu-west-2 lists 0.011. The eu-west-1 AmazonVPC offer file is in no stored copy (searched 2026-12-07)" }),
    aws({ resourceType: "aws_lambda_provisioned_concurrency_config", component: "provisioned-gb-second", region: "eu-west-1", match: { architecture: "x86_64" }, unit: "GB-second", usd: 0.000004646,
      source: { url: "https://aws.amazon.com/lambda/pricing/" }, date: "2026-11-28", confidence: "secondary", sku: "EU-Lambda-Provisioned-GB-Second", note: "calculator.aws meteredUnitMaps/lambda transcription" }),
    aws({ resourceType: "aws_lambda_provisioned_concurrency_config", component: "provisioned-gb-second", region: "eu-west-1", match: { architecture: "arm64" }, unit: "GB-second", usd: 0.000004646,
      source: { url: "https://aws.amazon.com/lambda/pricing/" }, date: "2026-11-28", confidence: "assumed", sku: "EU-Lambda-Provisioned-GB-Second-ARM",
      note: "Arm rate not found (no stored copy of the eu-west-1 AWSLambda offer file carries it, searched 2026-12-07); the x86 rate is used as an upper bound" }),
    aws({ resourceType: "aws_kms_key", component: "key", region: "global", unit: "month", usd: 1.0,
      source: { url: "https://aws.amazon.com/kms/pricing/" }, date: "2026-11-28", confidence: "official-region", note: "+$1 per rotated key version after rotation; not counted (none in the first year)" }),
    aws({ resourceType: "aws_secretsmanager_secret", component: "secret", region: "global", unit: "month", usd: 0.40,
      source: { url: "https://aws.amazon.com/secrets-manager/pricing/" }, date: "2026-09-17", confidence: "secondary",
      note: "$0.40 per secret per month, quoted without regional variation (the eu-west-2 Price List file of 2026-09-17 shows the same); API calls are usage" }),
    aws({ resourceType: "aws_rds_cluster", component: "managed-master-secret", region: "global", unit: "month", usd: 0.40,
      source: { url: "https://aws.amazon.com/secrets-manager/pricing/" }, date: "2026-09-17", confidence: "secondary",
      note: "manage_master_user_password creates a Secrets Manager secret billed like any other ($0.40 per secret per month in every region)" }),
    aws({ resourceType: "aws_cloudwatch_metric_alarm", component: "alarm-metric", region: "eu-west-1", unit: "metric-month", usd: 0.10, free: { quantity: 10, scope: "account" },
      source: { url: AWS_PRICE_LIST_EUW1("AmazonCloudWatch") }, sku: "EU-CW:AlarmMonitorUsage", date: "2026-09-22", confidence: "official-region",
      via: "the offer file of 2026-09-22T02:17:15Z as fetched 2026-10-02 into github.com/mamtha4u/SDLC@45b7bae (backend/config/pricing_eu-west-1.json)",
      note: "\"$0.10 per alarm metric month (standard resolution) - EU (Ireland)\", one tier from 0; the first 10 alarm metrics a month are free per account (https://aws.amazon.com/cloudwatch/pricing/)" }),

    // ---------------------------------------------------------------- GCP (europe-west1)
    gcp({ resourceType: "google_sql_database_instance", component: "vcpu", region: "europe-west1", match: { edition: "ENTERPRISE" }, unit: "vCPU-hour", usd: 0.0413,
      source: { url: GCP_SQL }, date: "2026-05-01", confidence: "nearest-region", sourceRegion: "us-central1", sku: "Cloud SQL for PostgreSQL: Zonal - vCPU",
      note: "us-central1's 'Zonal - vCPU in Americas'" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "memory", region: "europe-west1", match: { edition: "ENTERPRISE" }, unit: "GB-hour", usd: 0.007,
      source: { url: GCP_SQL }, date: "2026-05-01", confidence: "nearest-region", sourceRegion: "us-central1", sku: "Cloud SQL for PostgreSQL: Zonal - RAM",
      note: "us-central1's 'Zonal - RAM in Americas'" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "vcpu", region: "europe-west1", match: { edition: "ENTERPRISE_PLUS" }, unit: "vCPU-hour", usd: 0.0537,
      source: { url: GCP_SQL }, date: "2026-11-28", confidence: "assumed", sourceRegion: "us-central1",
      sku: "Cloud SQL for PostgreSQL: Zonal - Enterprise Plus N vCPU",
      note: "Enterprise Plus rate not found in a stored copy; ~1.3× Enterprise as published for us-central1 in 2024. A third-party dump of the catalog (2024-03) lists 0.1074 for 'Regional - Enterprise Plus N vCPU in EMEA' (twice this), but under mislabelled keys, so it is not relied on. Re-source first" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "memory", region: "europe-west1", match: { edition: "ENTERPRISE_PLUS" }, unit: "GB-hour", usd: 0.0091,
      source: { url: GCP_SQL }, date: "2026-11-28", confidence: "assumed", sourceRegion: "us-central1", sku: "Cloud SQL for PostgreSQL: Zonal - Enterprise Plus N RAM",
      note: "as the vCPU rate (the same 2024-03 dump lists 0.0091 for 'Zonal - Enterprise Plus N RAM in EMEA', and other values for the same key in other versions)" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "instance", region: "europe-west1", match: { tier: "db-f1-micro" }, unit: "hour", usd: 0.0105,
      source: { url: GCP_SQL }, date: "2024-07-01", confidence: "nearest-region", sourceRegion: "us-central1", sku: "Cloud SQL for PostgreSQL: Zonal - Micro instance",
      note: "shared core, no SLA; 'Zonal - Micro instance in Americas' (the 'APAC' SKU carries the same rate)" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "instance", region: "europe-west1", match: { tier: "db-g1-small" }, unit: "hour", usd: 0.035,
      source: { url: GCP_SQL }, date: "2024-07-01", confidence: "nearest-region", sourceRegion: "us-central1", sku: "Cloud SQL for PostgreSQL: Zonal - Small instance",
      note: "shared core, no SLA; 'Zonal - Small instance in Americas' (the 'APAC' SKU carries the same rate)" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "storage", region: "europe-west1", match: { disk_type: "PD_SSD" }, unit: "GB-month", usd: 0.17,
      source: { url: GCP_SQL }, date: "2024-07-01", confidence: "nearest-region", sourceRegion: "us-central1", sku: "Cloud SQL for PostgreSQL: Zonal - Standard storage",
      note: "'Zonal - Standard storage in Americas'" + GCP_SQL_EUW1_MISSING }),
    gcp({ resourceType: "google_sql_database_instance", component: "data-cache", region: "europe-west1", unit: "GB-month", usd: 0.16,
      source: { url: "https://cloud.google.com/sql/pricing" }, date: "2026-07-23", confidence: "secondary",
      note: "Enterprise Plus Data Cache Storage: $0.000219178 per GiB-hour (× 730 = $0.16) read off a team's Cloud SQL bill of July 2026 (a db-perf-optimized-N-2's 375 GiB ≈ $60 a month, billed while stopped too); the bill's region is not stated. Re-source from the europe-west1 SKU first" + GCP_SQL_EUW1_MISSING, sku: "Cloud SQL for PostgreSQL: Zonal - Enterprise Plus Data Cache Storage" }),
    gcp({ resourceType: "google_sql_database_instance", component: "managed-pooling", region: "europe-west1", unit: "month", usd: 0,
      source: { url: "https://cloud.google.com/sql/docs/postgres/managed-connection-pooling" }, date: "2026-11-28", confidence: "assumed",
      note: "no separate SKU found for managed connection pooling; assumed included in Enterprise Plus. Re-source first." }),
    gcp({ resourceType: "google_compute_global_forwarding_rule", component: "first-5-rules", region: "global", unit: "hour", usd: 0.025,
      source: { url: "https://cloud.google.com/load-balancing/pricing" }, date: "2026-11-28", confidence: "official-region", note: "one charge covers up to five rules" }),
    gcp({ resourceType: "google_compute_global_forwarding_rule", component: "additional-rule", region: "global", unit: "hour", usd: 0.01,
      source: { url: "https://cloud.google.com/load-balancing/pricing" }, date: "2026-11-28", confidence: "official-region" }),
    gcp({ resourceType: "google_compute_security_policy", component: "policy", region: "global", unit: "month", usd: 5,
      source: { url: "https://cloud.google.com/armor/pricing" }, date: "2024-07-01", confidence: "secondary", note: "Cloud Armor Standard; requests ($0.75/M) are usage" }),
    gcp({ resourceType: "google_compute_security_policy", component: "rule", region: "global", unit: "month", usd: 1,
      source: { url: "https://cloud.google.com/armor/pricing" }, date: "2024-07-01", confidence: "secondary", note: "Cloud Armor Standard, per rule including the default rule" }),
    gcp({ resourceType: "google_vpc_access_connector", component: "instance", region: "europe-west1", match: { machine_type: "e2-micro" }, unit: "hour", usd: 0.0092144,
      source: { url: "https://cloud.google.com/compute/vm-instance-pricing" }, date: "2025-03-06", confidence: "secondary", note: "Cyclenerd pricing.yml @0166a59" }),
    gcp({ resourceType: "google_cloudfunctions2_function", component: "idle-vcpu", region: "europe-west1", unit: "vCPU-second", usd: 0.0000025,
      source: { url: "https://cloud.google.com/run/pricing" }, date: "2026-11-28", confidence: "official-region", note: "Tier 1 idle minimum-instance rate" }),
    gcp({ resourceType: "google_cloudfunctions2_function", component: "idle-memory", region: "europe-west1", unit: "GiB-second", usd: 0.0000025,
      source: { url: "https://cloud.google.com/run/pricing" }, date: "2026-11-28", confidence: "official-region", note: "Tier 1 idle minimum-instance rate" }),
    gcp({ resourceType: "google_monitoring_alert_policy", component: "condition", region: "global", unit: "condition-month", usd: 1.5,
      source: { url: "https://cloud.google.com/monitoring/alerts/cost-control" }, date: "2026-11-28", confidence: "official-region", note: "billed from May 2026; $0.35 per million time series returned is usage" }),
    gcp({ resourceType: "google_secret_manager_secret_version", component: "active-version", region: "global", unit: "month", usd: 0.06,
      source: { url: "https://cloud.google.com/secret-manager/pricing" }, date: "2026-11-28", confidence: "secondary",
      note: "per active version and replica location; not re-read from a stored copy. The 6 free versions are per billing account (shared by the sample projects), so not applied" }),
    gcp({ resourceType: "google_cloud_scheduler_job", component: "job", region: "global", unit: "month", usd: 0.10,
      source: { url: "https://cloud.google.com/scheduler/pricing" }, date: "2026-11-28", confidence: "secondary",
      note: "per job and month, whether it runs or not; not re-read from a stored copy. The 3 free jobs are per billing account (shared by the sample projects), so not applied" }),
    gcp({ resourceType: "google_kms_crypto_key", component: "key-version", region: "global", unit: "month", usd: 0.06,
      source: { url: "https://cloud.google.com/kms/pricing" }, date: "2025-03-17", confidence: "official-region", note: "one active version; rotated versions accumulate and are not counted" }),

    // ---------------------------------------------------------------- Azure (westeurope)
    azure({ resourceType: "azurerm_postgresql_flexible_server", component: "compute", region: "westeurope", match: { sku_name: "B_Standard_B1ms" }, unit: "hour", usd: 0.017,
      source: { url: AZ_RETAIL }, date: "2025-07-07", confidence: "nearest-region", sourceRegion: "eastus",
      sku: "Azure Database for PostgreSQL Flexible Server Burstable BS Series Compute / B1MS", note: "$12.41 a month" + AZ_WESTEUROPE_MISSING }),
    azure({ resourceType: "azurerm_postgresql_flexible_server", component: "vcore", region: "westeurope", match: { family: "Ddsv5" }, unit: "vCPU-hour", usd: 0.089,
      source: { url: AZ_RETAIL }, date: "2026-10-06", confidence: "nearest-region", sourceRegion: "eastus",
      sku: "Azure Database for PostgreSQL Flexible Server General Purpose Ddsv5 Series Compute / vCore", note: "D2ds_v5 $0.178/h, D8ds_v5 $0.712/h" + AZ_WESTEUROPE_MISSING }),
    azure({ resourceType: "azurerm_postgresql_flexible_server", component: "storage", region: "westeurope", unit: "GB-month", usd: 0.115,
      source: { url: AZ_RETAIL }, date: "2026-10-06", confidence: "nearest-region", sourceRegion: "eastus",
      sku: "Azure Database for PostgreSQL Flex Server Storage / Storage Data Stored", note: "eastus" + AZ_WESTEUROPE_MISSING }),
    azure({ resourceType: "azurerm_api_management", component: "base", region: "westeurope", match: { tier: "Consumption" }, unit: "month", usd: 0,
      source: { url: "https://azure.microsoft.com/pricing/details/api-management/" }, date: "2026-10-06", confidence: "official-region", note: "calls are usage (first million free)" }),
    azure({ resourceType: "azurerm_api_management", component: "unit", region: "westeurope", match: { tier: "BasicV2" }, unit: "hour", usd: 0.21,
      source: { url: AZ_RETAIL }, date: "2026-10-06", confidence: "nearest-region", sourceRegion: "eastus2", sku: "API Management / Basic v2 / Basic v2 Unit",
      note: "eastus2, read 2026-10-06" + AZ_WESTEUROPE_MISSING }),
    azure({ resourceType: "azurerm_api_management", component: "unit", region: "westeurope", match: { tier: "StandardV2" }, unit: "hour", usd: 0.96,
      source: { url: AZ_RETAIL }, date: "2026-10-06", confidence: "nearest-region", sourceRegion: "eastus2", sku: "API Management / Standard v2 / Standard v2 Unit",
      note: "eastus2, read 2026-10-06" + AZ_WESTEUROPE_MISSING }),
    azure({ resourceType: "azurerm_servicebus_namespace", component: "base", region: "westeurope", match: { sku: "Standard" }, unit: "month", usd: 9.81,
      source: { url: "https://azure.microsoft.com/pricing/details/service-bus/" }, date: "2024-07-01", confidence: "secondary", note: "infracost golden, West Europe" }),
    azure({ resourceType: "azurerm_servicebus_namespace", component: "messaging-unit", region: "westeurope", match: { sku: "Premium" }, unit: "month", usd: 677.08,
      source: { url: "https://azure.microsoft.com/pricing/details/service-bus/" }, date: "2024-07-01", confidence: "secondary", note: "infracost golden, West Europe" }),
    azure({ resourceType: "azurerm_function_app_flex_consumption", component: "always-ready-baseline", region: "westeurope", unit: "GB-second", usd: 0.000004,
      source: { url: "https://azure.microsoft.com/pricing/details/functions/" }, date: "2026-11-28", confidence: "assumed",
      note: "USD rate not found in a stored copy (EUR 0.0000038, region unstated); USD list rate as published at launch. Re-source first." }),
    azure({ resourceType: "azurerm_private_endpoint", component: "endpoint", region: "global", unit: "hour", usd: 0.01,
      source: { url: "https://azure.microsoft.com/pricing/details/private-link/" }, date: "2026-11-28", confidence: "official-region", note: "Global 'Standard Private Endpoint' meter; data processed is usage" }),
    azure({ resourceType: "azurerm_private_dns_zone", component: "zone", region: "global", unit: "month", usd: 0.50,
      source: { url: "https://azure.microsoft.com/pricing/details/dns/" }, date: "2024-07-01", confidence: "secondary", note: "first 25 zones" }),
    azure({ resourceType: "azurerm_logic_app_trigger_recurrence", component: "execution", region: "global", unit: "execution", usd: 0.000025,
      source: { url: "https://azure.microsoft.com/pricing/details/logic-apps/" }, date: "2026-11-28", confidence: "assumed",
      note: "Consumption built-in operation rate as commonly quoted; not read from the price page in this session, and the monthly free built-in operations are not deducted (an upper bound). Re-source first" }),
    azure({ resourceType: "azurerm_monitor_scheduled_query_rules_alert_v2", component: "log-rule", region: "global", unit: "month", usd: 1.50,
      source: { url: "https://azure.microsoft.com/pricing/details/monitor/" }, date: "2026-12-07", confidence: "assumed",
      sku: "Azure Monitor / Alerts / log search alert rule, 5-minute frequency, per time series",
      note: "log search alert rule evaluated every 5 minutes, one time series, as commonly quoted; not read from the price page or the Retail Prices API (no stored copy found, searched 2026-12-07). Re-source first" }),
    azure({ resourceType: "azurerm_monitor_metric_alert", component: "time-series", region: "global", unit: "series-month", usd: 0.10,
      source: { url: "https://azure.microsoft.com/pricing/details/monitor/" }, date: "2024-07-01", confidence: "secondary", note: "one series per criterion without dimensions" }),
  ],
};
