import { EnvironmentConfig } from "@polycloud/core";
import { CLOUD_LIMITS, DEV_CHOICES, FLEX_MEMORY_SIZES } from "./accepted";

/** Development: small, cheap, short retention, no deletion protection, remote state (PLATFORM_LOCAL_STATE=1 for local). */
export const dev: EnvironmentConfig = {
  name: "dev",
  clouds: {
    aws: {
      accountId: "111111111111",
      region: "eu-west-1",
      vpcCidr: "10.40.0.0/16",
      backend: { bucket: "polycloud-tfstate-dev", region: "eu-west-1" },
      // Dev connects to Aurora directly and lets it pause: RDS Proxy's 8-ACU floor alone cost more
      // than half the budget and kept the cluster awake. No pooling, accepted explicitly (docs/cost.md).
      database: { proxy: false, autoPauseSeconds: 300, acceptNoPooling: true },
    },
    gcp: {
      projectId: "polycloud-dev-0001",
      region: "europe-west1",
      billingAccount: "0A1B2C-3D4E5F-6A7B8C",
      backend: { bucket: "polycloud-tfstate-dev-gcp" },
      // Dev runs the cheaper Enterprise edition: no managed pooling, accepted explicitly. Shared-core
      // db-g1-small (no SLA) instead of db-custom-1-3840 keeps the idle baseline under half the budget.
      database: { edition: "ENTERPRISE", tier: "db-g1-small", acceptNoPooling: true },
    },
    azure: {
      subscriptionId: "00000000-0000-4000-8000-000000000001",
      tenantId: "00000000-0000-4000-8000-0000000000aa",
      location: "westeurope",
      apiManagementSku: "Consumption_0",
      backend: { resourceGroupName: "rg-tfstate", storageAccountName: "polycloudtfstatedev", containerName: "tfstate" },
      // Dev runs a Burstable server: no PgBouncer, accepted explicitly.
      database: { skuName: "B_Standard_B1ms", acceptNoPooling: true },
      budgetStartDate: "2026-12-01",
    },
  },
  tags: { owner: "platform-team", cost_center: "cc-1001" },
  alarms: {
    recipients: ["platform-dev@example.com"],
    thresholds: { functionErrors: 5, gateway5xx: 20, gatewayLatencyP99Ms: 3000, queueOldestMessageAgeSeconds: 900 },
  },
  // Each cloud's stack gets the full amount: the environment may spend up to amount × 3 clouds.
  budget: { monthlyAmount: 200, currency: "USD", scope: "per-cloud", actualThresholdsPercent: [80, 100], forecastThresholdsPercent: [100], recipients: ["platform-dev@example.com"] },
  retention: { logDays: 14, archiveDays: 7, backupDays: 1 },
  sizing: { functionMemoryMb: 256, databaseSize: "small", warmInstances: 0 },
  // Known warnings, counted instead of printed (environments/accepted.ts); new ones still print.
  accept: [...CLOUD_LIMITS, ...FLEX_MEMORY_SIZES, ...DEV_CHOICES],
  deletionProtection: false,
};
