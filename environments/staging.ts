import { EnvironmentConfig } from "@polycloud/core";
import { CLOUD_LIMITS } from "./accepted";

/** Staging: production-shaped, smaller, a month of logs, remote state. */
export const staging: EnvironmentConfig = {
  name: "staging",
  clouds: {
    aws: {
      accountId: "222222222222",
      region: "eu-west-1",
      vpcCidr: "10.41.0.0/16",
      backend: { bucket: "polycloud-tfstate-staging", region: "eu-west-1" },
    },
    gcp: {
      projectId: "polycloud-staging-0001",
      region: "europe-west1",
      billingAccount: "0A1B2C-3D4E5F-6A7B8C",
      backend: { bucket: "polycloud-tfstate-staging-gcp" },
      gatewayDomains: ["orders.staging.gcp.example.com"],
      // 2 vCPU instead of the medium size's 4: the idle baseline stays under half the budget (docs/cost.md).
      database: { tier: "db-perf-optimized-N-2" },
    },
    azure: {
      subscriptionId: "00000000-0000-4000-8000-000000000002",
      tenantId: "00000000-0000-4000-8000-0000000000aa",
      location: "westeurope",
      apiManagementSku: "BasicV2_1",
      // 2 vCores instead of the medium size's 4, as on GCP (docs/cost.md).
      database: { skuName: "GP_Standard_D2ds_v5" },
      backend: { resourceGroupName: "rg-tfstate", storageAccountName: "polycloudtfstatestg", containerName: "tfstate" },
      budgetStartDate: "2026-12-01",
    },
  },
  tags: { owner: "platform-team", cost_center: "cc-1001" },
  alarms: {
    recipients: ["platform-staging@example.com"],
    thresholds: { functionErrors: 3, gateway5xx: 10, gatewayLatencyP99Ms: 2000 },
  },
  // Each cloud's stack gets the full amount: the environment may spend up to amount × 3 clouds.
  budget: { monthlyAmount: 800, currency: "USD", scope: "per-cloud", actualThresholdsPercent: [50, 80, 100], forecastThresholdsPercent: [100], recipients: ["platform-staging@example.com", "finance@example.com"] },
  retention: { logDays: 30, archiveDays: 30, backupDays: 7 },
  sizing: { functionMemoryMb: 512, databaseSize: "medium", warmInstances: 0 },
  // Known warnings, counted instead of printed (environments/accepted.ts); new ones still print.
  accept: [...CLOUD_LIMITS],
  deletionProtection: false,
};
