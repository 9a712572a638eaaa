import { Testing } from "cdktf";
import { CLOUDS, Cloud, envVarPart } from "@polycloud/core";
import { MigrationRole, rolesScript } from "@polycloud/runtime";
import { environments } from "../../environments";
import { PlatformStack } from "../../stacks/platform-stack";
import { referenceService } from "../../stacks/reference-service";

/**
 * Inspection only: what a database's migration step will do on one cloud, read from the
 * synthesized stack the way the step reads it (its function's environment): the migration files in
 * order and the role SQL it runs after them. The deploy runs the step itself (see the README's
 * database section); nobody needs to run this SQL by hand.
 *
 *   npm run -s db:roles -- <env> <database id> [aws|gcp|azure]
 *
 * Values Terraform only knows at apply time (a GCP service account's id, an Azure identity's
 * object id) print as references.
 */
export function migrationStepOf(json: any, databaseId: string): Record<string, string> | undefined {
  const r = json.resource ?? {};
  const envs: Record<string, string>[] = [
    ...Object.values<any>(r.aws_lambda_function ?? {}).map((f) => f.environment?.variables ?? {}),
    ...Object.values<any>(r.google_cloudfunctions2_function ?? {}).map((f) => f.service_config?.environment_variables ?? {}),
    ...Object.values<any>(r.azurerm_function_app_flex_consumption ?? {}).map((f) => f.app_settings ?? {}),
  ];
  return envs.find((e) => e.POLYCLOUD_MIGRATE_DATABASE === databaseId);
}

export function describeMigrationStep(envName: string, databaseId: string, cloud: Cloud): string {
  const env = environments.find((e) => e.name === envName);
  if (!env) throw new Error(`db:roles: no environment '${envName}' (${environments.map((e) => e.name).join(", ")})`);
  const service = referenceService(env);
  if (!service.databases?.[databaseId]) {
    throw new Error(`db:roles: no database '${databaseId}' in service '${service.name}' (declared: ${Object.keys(service.databases ?? {}).join(", ") || "none"})`);
  }
  const stack = new PlatformStack(Testing.app(), `${env.name}-${cloud}`, { env, cloud, service });
  const json = JSON.parse(Testing.synth(stack));
  const step = migrationStepOf(json, databaseId);
  if (!step) throw new Error(`db:roles: the ${env.name}-${cloud} stack has no migration step for '${databaseId}'`);
  const p = `DB_${envVarPart(databaseId)}`;
  // Apply-time values (`${...}` references) print as <reference>.
  const roles = JSON.parse(atApply(step.POLYCLOUD_MIGRATE_ROLES ?? "[]")) as MigrationRole[];
  const header = [
    `-- ${env.name}-${cloud}, database '${databaseId}': the migration step logs in to ${step[`${p}_HOST`]}:${step[`${p}_PORT`]} as ${step[`${p}_USER`]} (sslmode ${step[`${p}_SSLMODE`]})`,
    `-- and applies, in this order, each file once: ${migrationIds(json, databaseId).join(", ") || "(none)"}`,
  ];
  return `${header.join("\n")}\n${rolesScript(roles, { database: atApply(step[`${p}_NAME`]), admin: atApply(step[`${p}_USER`]) })}`;
}

/** `${type.name.attribute}` → `<name.attribute>` (a role name must stay within 63 bytes). */
const atApply = (text: string) => text.replace(/\$\{(?:[a-z0-9_]+\.)?([^}]*)\}/g, "<$1>");

/** The migration ids the step's run input names (the invocation, job or post-apply step input). */
function migrationIds(json: any, databaseId: string): string[] {
  const text = JSON.stringify(json.resource ?? {});
  const m = new RegExp(`\\\\"database\\\\":\\\\"${databaseId}\\\\",\\\\"migrations\\\\":\\\\"[0-9a-f]+\\\\",\\\\"files\\\\":(\\[[^\\]]*\\])`).exec(text);
  return m ? JSON.parse(m[1].replace(/\\"/g, '"')) : [];
}

function main(argv: string[]): void {
  const [envName, databaseId, cloud = "aws"] = argv;
  if (!envName || !databaseId || !(CLOUDS as readonly string[]).includes(cloud)) {
    throw new Error(`usage: npm run -s db:roles -- <${environments.map((e) => e.name).join("|")}> <database id> [${CLOUDS.join("|")}]`);
  }
  process.stdout.write(describeMigrationStep(envName, databaseId, cloud as Cloud));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
