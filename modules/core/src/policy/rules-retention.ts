import { PolicyRule, Violation } from "./types";
import { block, blocksWithDynamic, num, refAddress, resources, str } from "./json";

/**
 * Settings that discard data on a timer, judged against the environment's retention
 * (`EnvironmentConfig.retention`): object and archive expiry against archiveDays (the environment's
 * retention for stored events and objects), automated backups against backupDays. Log retention
 * is PC022's. Without the environment's retention (a stack judged on its own) only soft delete is
 * judged.
 */
export const KEEPS_DATA_FOR_RETENTION: PolicyRule = {
  id: "PC061",
  severity: "high",
  title: "Nothing discards data before the environment's retention, and deleted blobs can be recovered",
  rationale: "A lifecycle rule, archive or backup setting shorter than the environment's retention silently deletes what the environment promises to keep; without soft delete a deleted blob is gone.",
  conditions: {
    "object-expiry": { title: "a bucket lifecycle rule or storage management policy deletes objects (or their old versions) sooner than the environment's archive retention" },
    "archive-expiry": { title: "an event archive kept less than the environment's archive retention" },
    "backup-retention": { title: "automated backups kept less than the environment's backup retention" },
    "soft-delete": { title: "a storage account without blob soft delete (delete_retention_policy)", checks: ["CKV2_AZURE_38"], differs: "A FileStorage account holds no blobs and is not judged." },
  },
  fix: "Set retention in the environment (retention.archiveDays, retention.backupDays); the modules apply it. A team's own lifecycle rules must not expire data sooner.",
  reads: {
    aws_s3_bucket_lifecycle_configuration: ["rule.expiration.days", "rule.noncurrent_version_expiration.noncurrent_days"], aws_s3_bucket: ["lifecycle_rule.expiration.days"],
    google_storage_bucket: ["lifecycle_rule.action.type", "lifecycle_rule.condition.age", "lifecycle_rule.condition.days_since_noncurrent_time"],
    azurerm_storage_management_policy: [], aws_cloudwatch_event_archive: ["retention_days"],
    aws_rds_cluster: ["backup_retention_period"], aws_db_instance: ["backup_retention_period"], azurerm_postgresql_flexible_server: ["backup_retention_days"],
    google_sql_database_instance: ["settings.backup_configuration.transaction_log_retention_days", "settings.backup_configuration.backup_retention_settings.retained_backups"],
    azurerm_storage_account: ["blob_properties.delete_retention_policy.days"],
  },
  check: ({ json, retention }) => {
    const out: Violation[] = [];
    for (const [address, r] of resources(json, "azurerm_storage_account")) {
      // Soft delete applies to blob storage; a FileStorage account has no blobs.
      if (str(r.account_kind) === "FileStorage") continue;
      const days = num(block(block(r.blob_properties).delete_retention_policy).days);
      if (!r.blob_properties || !block(r.blob_properties).delete_retention_policy) out.push({ address, condition: "soft-delete", message: "no blob_properties.delete_retention_policy (deleted blobs cannot be recovered)" });
      else if (days !== undefined && days < 1) out.push({ address, condition: "soft-delete", message: `blob soft delete kept ${days} days` });
    }
    if (!retention) return out;
    const keep = retention.archiveDays;
    const short = (days: number | undefined) => days !== undefined && days > 0 && days < keep;
    // S3: lifecycle rules inline (provider 3.x shape) and in aws_s3_bucket_lifecycle_configuration.
    const s3Rules = [
      ...resources(json, "aws_s3_bucket").flatMap(([address, r]) => blocksWithDynamic(r, "lifecycle_rule").map((rule) => [address, rule] as const)),
      ...resources(json, "aws_s3_bucket_lifecycle_configuration").flatMap(([address, r]) => blocksWithDynamic(r, "rule").map((rule) => [refAddress(r.bucket) ?? address, rule] as const)),
    ];
    for (const [address, rule] of s3Rules) {
      if (str(rule.status) === "Disabled" || rule.enabled === false) continue;
      const expiry = num(block(rule.expiration).days);
      const noncurrent = num(block(rule.noncurrent_version_expiration).noncurrent_days ?? block(rule.noncurrent_version_expiration).days);
      if (short(expiry)) out.push({ address, condition: "object-expiry", message: `objects expire after ${expiry} days (archive retention ${keep})` });
      if (short(noncurrent)) out.push({ address, condition: "object-expiry", message: `old versions expire after ${noncurrent} days (archive retention ${keep})` });
    }
    for (const [address, r] of resources(json, "google_storage_bucket")) {
      for (const rule of blocksWithDynamic(r, "lifecycle_rule")) {
        if (str(block(rule.action).type) !== "Delete") continue;
        const c = block(rule.condition);
        const age = num(c.age);
        const noncurrent = num(c.days_since_noncurrent_time);
        if (short(age)) out.push({ address, condition: "object-expiry", message: `objects deleted at age ${age} days (archive retention ${keep})` });
        if (short(noncurrent)) out.push({ address, condition: "object-expiry", message: `old versions deleted after ${noncurrent} days (archive retention ${keep})` });
      }
    }
    for (const [address, r] of resources(json, "azurerm_storage_management_policy")) {
      for (const rule of blocksWithDynamic(r, "rule")) {
        if (rule.enabled === false) continue;
        const actions = block(rule.actions);
        const days = [
          num(block(actions.base_blob).delete_after_days_since_modification_greater_than), num(block(actions.base_blob).delete_after_days_since_creation_greater_than),
          num(block(actions.version).delete_after_days_since_creation), num(block(actions.snapshot).delete_after_days_since_creation_greater_than),
        ].filter((d): d is number => d !== undefined);
        const least = days.length ? Math.min(...days) : undefined;
        if (short(least)) out.push({ address, condition: "object-expiry", message: `rule ${str(rule.name) ?? "?"} deletes blobs after ${least} days (archive retention ${keep})` });
      }
    }
    // 0 keeps archived events forever.
    for (const [address, r] of resources(json, "aws_cloudwatch_event_archive")) {
      const days = num(r.retention_days);
      if (short(days)) out.push({ address, condition: "archive-expiry", message: `archive kept ${days} days (archive retention ${keep})` });
    }
    const backups = retention.backupDays;
    const fewer = (days: number | undefined) => days !== undefined && days < backups;
    for (const [address, r] of resources(json, "aws_rds_cluster", "aws_db_instance")) {
      const days = num(r.backup_retention_period) ?? 1;
      if (fewer(days)) out.push({ address, condition: "backup-retention", message: `backups kept ${days} days (backup retention ${backups})` });
    }
    for (const [address, r] of resources(json, "azurerm_postgresql_flexible_server")) {
      const days = num(r.backup_retention_days) ?? 7;
      if (fewer(days)) out.push({ address, condition: "backup-retention", message: `backups kept ${days} days (backup retention ${backups})` });
    }
    for (const [address, r] of resources(json, "google_sql_database_instance")) {
      if (r.master_instance_name) continue;
      const backup = block(block(r.settings).backup_configuration);
      // Point-in-time logs (default 7 days) and the number of daily backups kept (default 7).
      const logs = num(backup.transaction_log_retention_days) ?? 7;
      const kept = num(block(backup.backup_retention_settings).retained_backups) ?? 7;
      if (fewer(Math.max(logs, kept))) out.push({ address, condition: "backup-retention", message: `backups kept ${Math.max(logs, kept)} days (backup retention ${backups})` });
    }
    return out;
  },
};

