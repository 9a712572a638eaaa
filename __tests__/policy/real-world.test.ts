import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "@cdktf/hcl2json";
import { Cloud, Finding, PolicyStack, TerraformJson, runPolicy } from "@polycloud/core";

/**
 * Terraform written here in the shapes public modules use (variables and locals in tags,
 * for_each and count, dynamic blocks, jsonencode policies, S3 settings split into separate
 * resources, merge() of tag maps), converted to JSON with @cdktf/hcl2json as a team's own HCL
 * would be, then run through the whole engine.
 */
const DIR = path.join(__dirname, "fixtures", "hcl");
const results: Record<string, { findings: readonly Finding[] }> = {};

beforeAll(async () => {
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith(".tf"))) {
    const json = (await parse(file, fs.readFileSync(path.join(DIR, file), "utf8"))) as TerraformJson;
    const cloud = file.split("-")[0] as Cloud;
    const stacks: PolicyStack[] = ["dev", "prod"].map((environment) => ({ name: `${environment}-${cloud}`, cloud, environment, json, minLogDays: 14 }));
    results[file] = runPolicy(stacks);
  }
});

const pick = (file: string, rule: string, address: string, env = "dev") =>
  results[file].findings.filter((f) => f.rule === rule && f.address === address && f.stack.startsWith(env)).map((f) => `${f.note ? "note: " : ""}${f.message}`);

test("every fixture runs through the whole engine without an exception", () => {
  expect(Object.keys(results).sort()).toEqual(["aws-team.tf", "azure-team.tf", "gcp-team.tf"]);
  for (const r of Object.values(results)) expect(r.findings.length).toBeGreaterThan(0);
});

test("AWS: S3 settings split into separate resources (and a dynamic rule) count for the bucket", () => {
  expect(pick("aws-team.tf", "PC014", "aws_s3_bucket.reports")).toEqual([]);
  expect(pick("aws-team.tf", "PC015", "aws_kms_key.reports")).toEqual([]);
});

test("AWS: a jsonencode policy under count is evaluated; a data-source policy is a note", () => {
  expect(pick("aws-team.tf", "PC001", "aws_iam_role_policy.reader")).toEqual([
    "statement #2 allows s3:*", expect.stringMatching(/^statement #2 allows s3:\* on every resource \(\d{3} actions that can be scoped to a resource\)$/),
    // s3:* on every resource also reads every object, manages every bucket policy and writes everywhere.
    "allows s3:GetObject on every resource", expect.stringMatching(/^allows s3:.* on every resource without a condition$/), expect.stringMatching(/^allows s3:.* on every resource without a condition$/),
  ]);
  expect(pick("aws-team.tf", "PC001", "aws_iam_policy.from_data")).toEqual(["note: cannot evaluate: policy is not a literal policy document"]);
});

test("AWS: for_each queues with a jsonencode redrive are not flagged; open SSH in a dynamic block is; an unauthenticated URL is", () => {
  expect(pick("aws-team.tf", "PC032", "aws_sqs_queue.work")).toEqual([]);
  expect(pick("aws-team.tf", "PC016", "aws_security_group.admin")).toEqual(["ingress rule opens port 22 to the internet"]);
  expect(pick("aws-team.tf", "PC002", "aws_lambda_function_url.report")).toEqual(["function URL without IAM auth"]);
});

test("tags from variables, locals and merge() are cannot-evaluate notes, never crashes or false findings", () => {
  expect(pick("aws-team.tf", "PC041", "aws_s3_bucket.reports")).toEqual(["note: cannot evaluate: tags is an expression"]);
  expect(pick("azure-team.tf", "PC041", "azurerm_storage_account.team")).toEqual(["note: cannot evaluate: tags is an expression"]);
  // A taggable Azure resource with no tags at all is a finding.
  expect(pick("azure-team.tf", "PC041", "azurerm_key_vault.team")).toContain("no tags at all (missing environment)");
});

test("Azure: Service Bus local auth at the default, open SSH from the Internet tag, public PostgreSQL", () => {
  expect(pick("azure-team.tf", "PC006", "azurerm_servicebus_namespace.team")).toEqual(["local (key/SAS) authentication enabled (the provider default)"]);
  expect(pick("azure-team.tf", "PC016", "azurerm_network_security_rule.ssh")).toEqual(["opens port 22 to the internet"]);
  expect(pick("azure-team.tf", "PC003", "azurerm_postgresql_flexible_server.team")).toEqual(["public network access enabled"]);
  expect(pick("azure-team.tf", "PC014", "azurerm_storage_account.team")).toEqual([]);
});

test("a dynamic block over an unknown collection is a note, and the rest of the resource is still judged", async () => {
  const json = (await parse("x.tf", `resource "aws_security_group" "g" {
    dynamic "ingress" {
      for_each = var.rules
      content {
        from_port   = ingress.value.port
        to_port     = ingress.value.port
        cidr_blocks = ["0.0.0.0/0"]
      }
    }
    ingress {
      from_port   = 3389
      to_port     = 3389
      cidr_blocks = ["0.0.0.0/0"]
    }
  }`)) as TerraformJson;
  const { findings } = runPolicy([{ name: "dev-aws", cloud: "aws", environment: "dev", json }]);
  expect(findings.filter((f) => f.rule === "PC016").map((f) => `${f.note ? "note: " : ""}${f.message}`)).toEqual(["note: cannot evaluate: ingress is a dynamic block", "ingress rule opens port 3389 to the internet"]);
});

test("GCP: default function ingress, public bucket member, open firewall, public Cloud SQL with a dynamic network", () => {
  expect(pick("gcp-team.tf", "PC002", "google_cloudfunctions2_function.export")).toEqual(["ingress unset (ALLOW_ALL)"]);
  expect(pick("gcp-team.tf", "PC002", "google_cloudfunctions_function.legacy")).toEqual(["ingress unset (ALLOW_ALL)"]);
  expect(pick("gcp-team.tf", "PC013", "google_cloudfunctions_function.legacy")).toEqual(["https_trigger_security_level unset (SECURE_OPTIONAL admits HTTP)"]);
  expect(pick("gcp-team.tf", "PC005", "google_storage_bucket_iam_member.public")).toEqual(["granted to allUsers"]);
  expect(pick("gcp-team.tf", "PC016", "google_compute_firewall.debug")).toEqual(["opens port 22 to the internet", "opens 8080-8090 to the internet"]);
  expect(pick("gcp-team.tf", "PC003", "google_sql_database_instance.team")).toEqual(["public IPv4 enabled", "authorized network 0.0.0.0/0 admits the whole internet"]);
  expect(pick("gcp-team.tf", "PC014", "google_storage_bucket.exports")).toEqual([]);
});
