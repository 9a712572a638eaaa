import { PolicyRule } from "./types";
import { block, resources } from "./json";
import { STATEFUL_TYPES } from "./stateful";

export const PROD_KEEPS_DATA: PolicyRule = {
  id: "PC060",
  severity: "critical",
  title: "Stateful resources in prod cannot be destroyed by a plan",
  rationale: "A refactor or a bad input must never silently destroy a database, queue, archive, secret or key.",
  checkov: ["CKV_AWS_139", "CKV_GCP_14", "CKV_AZURE_136"],
  fix: "Keep deletionProtection true in prod; removing a stateful resource needs a reviewed change that lifts prevent_destroy first.",
  check: ({ json, environment }) => {
    if (environment !== "prod") return [];
    const out: { address: string; message: string }[] = [];
    for (const type of STATEFUL_TYPES) {
      for (const [address, r] of resources(json, type)) {
        if (block(r.lifecycle).prevent_destroy !== true) out.push({ address, message: "no lifecycle.prevent_destroy" });
      }
    }
    for (const [address, r] of resources(json, "aws_rds_cluster", "aws_db_instance")) {
      if (r.deletion_protection !== true) out.push({ address, message: "deletion_protection off" });
      if (r.skip_final_snapshot !== false) out.push({ address, message: "no final snapshot on delete" });
      if (!(r.backup_retention_period >= 7)) out.push({ address, message: `backups kept ${r.backup_retention_period ?? 1} days` });
    }
    for (const [address, r] of resources(json, "google_sql_database_instance")) {
      const s = block(r.settings);
      if (r.deletion_protection !== true || s.deletion_protection_enabled !== true) out.push({ address, message: "deletion protection off" });
      if (block(s.backup_configuration).point_in_time_recovery_enabled !== true) out.push({ address, message: "no point-in-time recovery" });
    }
    const locks = resources(json, "azurerm_management_lock").map(([, r]) => String(r.scope));
    for (const [address, r] of resources(json, "azurerm_postgresql_flexible_server")) {
      if (!locks.some((s) => s.includes(address))) out.push({ address, message: "no CanNotDelete lock" });
      if (r.geo_redundant_backup_enabled !== true) out.push({ address, message: "backups not geo-redundant" });
    }
    return out;
  },
};
