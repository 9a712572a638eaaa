import { EnvironmentConfig } from "@polycloud/core";
import { CLOUD_LIMITS, FLEX_MEMORY_SIZES, UNCAPPED_FUNCTIONS } from "./accepted";

/** Production: warm instances, a year of logs, long archive and backups, deletion protection. */
export const prod: EnvironmentConfig = {
  name: "prod",
  clouds: {
    aws: {
      accountId: "333333333333",
      region: "eu-west-1",
      vpcCidr: "10.42.0.0/16",
      // State is reached directly (no backend roleArn): `npm run gitops:setup` grants the plan role
      // read and the deploy role write on this bucket (docs/gitops.md).
      backend: { bucket: "polycloud-tfstate-prod", region: "eu-west-1" },
    },
    gcp: {
      projectId: "polycloud-prod-0001",
      region: "europe-west1",
      billingAccount: "0A1B2C-3D4E5F-6A7B8C",
      // No impersonateServiceAccount: the plan and deploy service accounts hold their own grants on the bucket.
      backend: { bucket: "polycloud-tfstate-prod-gcp" },
      gatewayDomains: ["orders.gcp.example.com"],
    },
    azure: {
      subscriptionId: "00000000-0000-4000-8000-000000000003",
      tenantId: "00000000-0000-4000-8000-0000000000aa",
      location: "westeurope",
      apiManagementSku: "StandardV2_1",
      serviceBusSku: "Premium",
      backend: { resourceGroupName: "rg-tfstate", storageAccountName: "polycloudtfstateprd", containerName: "tfstate" },
      budgetStartDate: "2026-12-01",
    },
  },
  tags: { owner: "platform-team", cost_center: "cc-1001", data_classification: "confidential" },
  alarms: {
    recipients: ["oncall@example.com", "platform-prod@example.com"],
    thresholds: { functionErrors: 1, gateway5xx: 5, gatewayLatencyP99Ms: 1000, queueOldestMessageAgeSeconds: 120, proxyConnectionSaturationPercent: 70 },
  },
  // Each cloud's stack gets the full amount: the environment may spend up to amount × 3 clouds.
  budget: { monthlyAmount: 5000, currency: "USD", scope: "per-cloud", actualThresholdsPercent: [50, 80, 100], forecastThresholdsPercent: [90, 100], recipients: ["platform-prod@example.com", "finance@example.com"] },
  retention: { logDays: 365, archiveDays: 365, backupDays: 35 },
  sizing: { functionMemoryMb: 1024, databaseSize: "large", warmInstances: 2 },
  // Known warnings, counted instead of printed (environments/accepted.ts); new ones still print.
  accept: [...CLOUD_LIMITS, ...FLEX_MEMORY_SIZES, ...UNCAPPED_FUNCTIONS],
  deletionProtection: true,
};
