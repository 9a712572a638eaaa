import * as fs from "node:fs";
import { Cloud, PolicyStack, STATEFUL_TYPES, TerraformJson, compareAddresses, failing, runPolicy, statefulAddresses } from "@polycloud/core";
import { environments } from "../../environments";
import { loadSuppressions } from "../../scripts/policy";
import { allStacks } from "../helpers/all-stacks";
import { gcpOrderingProblems } from "../helpers/gcp-ordering";
import "./tags.cases";
import "./gcp-labels.cases";
import "./azure-tags.cases";
import "./aws-classes.cases";
import "./cost.cases";

/** Every stack of every environment, synthesized once for this file. */
const stacks = allStacks() as Record<string, TerraformJson>;
const names = Object.keys(stacks);
const all = (json: TerraformJson, ...types: string[]) => types.flatMap((t) => Object.entries(json.resource?.[t] ?? {}) as [string, any][]);

test("nine stacks: three environments × three clouds", () => {
  expect(names.sort()).toEqual(["dev-aws", "dev-azure", "dev-gcp", "prod-aws", "prod-azure", "prod-gcp", "staging-aws", "staging-azure", "staging-gcp"]);
});

test("every GCP stack is well ordered: each resource waits for its APIs and its key grant (generic check)", () => {
  const gcp = names.filter((n) => n.endsWith("-gcp"));
  expect(gcp).toHaveLength(3);
  for (const name of gcp) expect({ name, problems: gcpOrderingProblems(stacks[name]) }).toEqual({ name, problems: [] });
});

test("every stack has zero unsuppressed policy findings, and every suppression is used", () => {
  const policyStacks: PolicyStack[] = names.map((name) => {
    const [envName, cloud] = name.split("-");
    return { name, cloud: cloud as Cloud, environment: envName, json: stacks[name], minLogDays: environments.find((e) => e.name === envName)!.retention.logDays };
  });
  const result = runPolicy(policyStacks, loadSuppressions("policy/suppressions.json"));
  expect(result.findings.filter((f) => !f.suppressed)).toEqual([]);
  expect(result.unusedSuppressions).toEqual([]);
  expect(failing(result.findings, "low")).toEqual([]);
});

describe("state-address stability", () => {
  const snapshot = JSON.parse(fs.readFileSync("policy/stateful-addresses.json", "utf8"));

  test("no stateful address changed or disappeared without a moved block (else: review, then `npm run addresses`)", () => {
    const drift = compareAddresses(snapshot, stacks);
    expect(drift.destroyed).toEqual([]);
    expect(drift.added).toEqual([]);
    expect(Object.values(snapshot).flat().length).toBeGreaterThan(90);
  });

  test("a refactor that renames a database is caught; the same refactor with moveFromId passes", () => {
    const prod = stacks["prod-aws"];
    const [address] = statefulAddresses(prod).filter((a) => a.startsWith("aws_rds_cluster."));
    const [type, name] = address.split(".");
    const renamed = JSON.parse(JSON.stringify(prod));
    renamed.resource[type][`${name}_renamed`] = renamed.resource[type][name];
    delete renamed.resource[type][name];
    expect(compareAddresses(snapshot, { "prod-aws": renamed }).destroyed).toEqual([{ stack: "prod-aws", address }]);
    renamed.moved = [{ from: address, to: `${type}.${name}_renamed` }];
    const drift = compareAddresses(snapshot, { "prod-aws": renamed });
    expect(drift.destroyed).toEqual([]);
    expect(drift.moved).toEqual([{ stack: "prod-aws", from: address, to: `${type}.${name}_renamed` }]);
  });
});

describe("nothing lost in prod", () => {
  test.each(["prod-aws", "prod-gcp", "prod-azure"])("%s: every stateful resource has prevent_destroy", (name) => {
    const stateful = Object.entries(stacks[name].resource ?? {}).filter(([t]) => STATEFUL_TYPES.has(t)).flatMap(([, byName]) => Object.values(byName) as any[]);
    expect(stateful.length).toBeGreaterThan(8);
    for (const r of stateful) expect(r.lifecycle?.prevent_destroy).toBe(true);
  });

  test("AWS: deletion protection, final snapshot, backups; DLQs keep 14 days", () => {
    for (const [, c] of all(stacks["prod-aws"], "aws_rds_cluster")) {
      expect(c).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, backup_retention_period: 35 });
      expect(c.final_snapshot_identifier).toBeTruthy();
    }
    const dlqs = all(stacks["prod-aws"], "aws_sqs_queue").filter(([k]) => /dlq/.test(k));
    expect(dlqs.length).toBeGreaterThanOrEqual(3);
    for (const [, q] of dlqs) expect(q.message_retention_seconds).toBeGreaterThanOrEqual(1209600);
    for (const [, s] of all(stacks["prod-aws"], "aws_secretsmanager_secret")) expect(s.recovery_window_in_days).toBe(30);
    for (const [, k] of all(stacks["prod-aws"], "aws_kms_key")) expect(k.deletion_window_in_days).toBe(30);
  });

  test("GCP: deletion protection, point-in-time recovery; dead letters kept 14 days", () => {
    for (const [, i] of all(stacks["prod-gcp"], "google_sql_database_instance")) {
      expect(i.deletion_protection).toBe(true);
      expect(i.settings.deletion_protection_enabled).toBe(true);
      expect(i.settings.backup_configuration.point_in_time_recovery_enabled).toBe(true);
    }
    const dlqSubs = all(stacks["prod-gcp"], "google_pubsub_subscription").filter(([, s]) => /-dlq$/.test(s.name));
    expect(dlqSubs.length).toBeGreaterThanOrEqual(2);
    for (const [, s] of dlqSubs) expect(s.message_retention_duration).toBe("1209600s");
    for (const [, s] of all(stacks["prod-gcp"], "google_secret_manager_secret")) expect(s.deletion_protection).toBe(true);
  });

  test("Azure: a delete lock, geo-redundant backups, purge-protected vault", () => {
    expect(all(stacks["prod-azure"], "azurerm_management_lock").map(([, l]) => l.lock_level)).toEqual(["CanNotDelete"]);
    for (const [, s] of all(stacks["prod-azure"], "azurerm_postgresql_flexible_server")) expect(s.geo_redundant_backup_enabled).toBe(true);
    for (const [, v] of all(stacks["prod-azure"], "azurerm_key_vault")) expect(v.purge_protection_enabled).toBe(true);
  });

  test.each(["dev-aws", "dev-gcp", "dev-azure"])("%s can still be torn down", (name) => {
    const json = stacks[name];
    const protectedOnes = Object.values(json.resource ?? {}).flatMap((byName) => Object.values(byName) as any[]).filter((r) => r.lifecycle?.prevent_destroy === true);
    expect(protectedOnes).toEqual([]);
    for (const [, c] of all(json, "aws_rds_cluster")) expect(c).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    for (const [, i] of all(json, "google_sql_database_instance")) expect(i.deletion_protection).toBe(false);
    for (const [, b] of all(json, "google_storage_bucket")) expect(b.force_destroy).toBe(true);
    expect(all(json, "azurerm_management_lock")).toEqual([]);
  });
});
