import { PolicyRule, Violation } from "./types";
import { block, bool, num, resources, str } from "./json";
import { STATEFUL_TYPES } from "./stateful";

const PROD_ONLY = "Applies to prod stacks only (dev and staging can be torn down), where checkov checks every stack.";

export const PROD_KEEPS_DATA: PolicyRule = {
  id: "PC060",
  severity: "critical",
  title: "Stateful resources in prod cannot be destroyed by a plan",
  rationale: "A refactor or a bad input must never silently destroy a database, queue, archive, secret or key.",
  conditions: {
    "no-prevent-destroy": { title: "a stateful resource without lifecycle.prevent_destroy" },
    "deletion-protection": { title: "deletion protection off (RDS, DynamoDB, Cloud SQL, Spanner)", checks: ["CKV_AWS_139", "CKV_AWS_293", "CKV_GCP_119"], differs: PROD_ONLY },
    "drop-protection": { title: "a Spanner database without drop protection (the API refuses to drop it)", checks: ["CKV_GCP_120"], differs: PROD_ONLY },
    "no-final-snapshot": { title: "an RDS cluster or instance deleted without a final snapshot" },
    "short-backups": { title: "automated backups kept less than 7 days" },
    "no-pitr": { title: "point-in-time recovery off (DynamoDB; Cloud SQL: point_in_time_recovery_enabled, binary_log_enabled on MySQL)", checks: ["CKV_AWS_28", "CKV2_GCP_20"], differs: PROD_ONLY },
    "backups-off": { title: "Cloud SQL automated backups off", checks: ["CKV_GCP_14"], differs: PROD_ONLY },
    "purge-protection": { title: "a key vault without purge protection", checks: ["CKV_AZURE_110"], differs: PROD_ONLY },
    "not-recoverable": { title: "a key vault that cannot be recovered after deletion", checks: ["CKV_AZURE_42"], differs: PROD_ONLY },
    "no-delete-lock": { title: "a PostgreSQL Flexible Server without a CanNotDelete lock" },
    "backups-local": { title: "PostgreSQL Flexible Server backups not geo-redundant", checks: ["CKV_AZURE_136"], differs: PROD_ONLY },
  },
  fix: "Keep deletionProtection true in prod; removing a stateful resource needs a reviewed change that lifts prevent_destroy first.",
  reads: {
    aws_rds_cluster: ["deletion_protection", "skip_final_snapshot", "backup_retention_period", "lifecycle.prevent_destroy"],
    aws_db_instance: ["deletion_protection", "skip_final_snapshot", "backup_retention_period", "lifecycle.prevent_destroy"],
    aws_dynamodb_table: ["point_in_time_recovery.enabled", "deletion_protection_enabled"],
    google_sql_database_instance: ["deletion_protection", "settings.deletion_protection_enabled", "settings.backup_configuration.enabled", "settings.backup_configuration.point_in_time_recovery_enabled"],
    google_spanner_database: ["deletion_protection", "enable_drop_protection"],
    azurerm_postgresql_flexible_server: ["geo_redundant_backup_enabled"], azurerm_management_lock: [], azurerm_key_vault: ["purge_protection_enabled", "soft_delete_enabled"],
  },
  check: ({ json, environment }) => {
    if (environment !== "prod") return [];
    const out: Violation[] = [];
    for (const type of STATEFUL_TYPES) {
      for (const [address, r] of resources(json, type)) {
        if (bool(block(r.lifecycle).prevent_destroy) !== true) out.push({ address, condition: "no-prevent-destroy", message: "no lifecycle.prevent_destroy" });
      }
    }
    for (const [address, r] of resources(json, "aws_rds_cluster", "aws_db_instance")) {
      if (bool(r.deletion_protection) !== true) out.push({ address, condition: "deletion-protection", message: "deletion_protection off" });
      if (bool(r.skip_final_snapshot) !== false) out.push({ address, condition: "no-final-snapshot", message: "no final snapshot on delete" });
      if (!((num(r.backup_retention_period) ?? 1) >= 7)) out.push({ address, condition: "short-backups", message: `backups kept ${num(r.backup_retention_period) ?? 1} days` });
    }
    for (const [address, r] of resources(json, "aws_dynamodb_table")) {
      if (bool(block(r.point_in_time_recovery).enabled) !== true) out.push({ address, condition: "no-pitr", message: "no point-in-time recovery" });
      if (bool(r.deletion_protection_enabled) !== true) out.push({ address, condition: "deletion-protection", message: "deletion_protection_enabled off" });
    }
    for (const [address, r] of resources(json, "google_sql_database_instance")) {
      const s = block(r.settings);
      const backup = block(s.backup_configuration);
      // deletion_protection defaults to true in the provider; settings.deletion_protection_enabled (the API flag) to false.
      if (bool(r.deletion_protection) === false || bool(s.deletion_protection_enabled) !== true) out.push({ address, condition: "deletion-protection", message: "deletion protection off" });
      if (bool(backup.enabled) !== true && !r.master_instance_name) out.push({ address, condition: "backups-off", message: "backups not enabled" });
      const mysql = /MYSQL/i.test(str(r.database_version) ?? "");
      if (!r.master_instance_name && bool(mysql ? backup.binary_log_enabled : backup.point_in_time_recovery_enabled) !== true) out.push({ address, condition: "no-pitr", message: mysql ? "no binary log (point-in-time recovery)" : "no point-in-time recovery" });
    }
    for (const [address, r] of resources(json, "google_spanner_database")) {
      // deletion_protection defaults to true in the provider; enable_drop_protection (the API flag) to false.
      if (bool(r.deletion_protection) === false) out.push({ address, condition: "deletion-protection", message: "deletion_protection = false" });
      if (bool(r.enable_drop_protection) !== true) out.push({ address, condition: "drop-protection", message: "enable_drop_protection not set" });
    }
    for (const [address, r] of resources(json, "azurerm_key_vault")) {
      if (bool(r.purge_protection_enabled) !== true) out.push({ address, condition: "purge-protection", message: "purge protection off" });
      if (bool(r.purge_protection_enabled) !== true || bool(r.soft_delete_enabled) === false) out.push({ address, condition: "not-recoverable", message: "vault is not recoverable (purge protection off)" });
    }
    const locks = resources(json, "azurerm_management_lock").map(([, r]) => (typeof r.scope === "string" ? r.scope : ""));
    for (const [address, r] of resources(json, "azurerm_postgresql_flexible_server")) {
      if (!locks.some((s) => s.includes(address))) out.push({ address, condition: "no-delete-lock", message: "no CanNotDelete lock" });
      if (bool(r.geo_redundant_backup_enabled) !== true && str(r.create_mode) !== "Replica") out.push({ address, condition: "backups-local", message: "backups not geo-redundant" });
    }
    return out;
  },
};
