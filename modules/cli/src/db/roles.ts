import * as fs from "node:fs";
import * as path from "node:path";
import { CLOUDS, ServiceSpec, envVarPart } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject, manifestOf, requireFreshOutput, synthesizedStackNames } from "../project";
import { optionalPackage } from "../optional-package";

/**
 * `polycloud db roles <env> <database> [--cloud <cloud>]`: inspection only. What a database's
 * migration step will do on one cloud, read from the synthesized stack the way the step reads it
 * (its function's environment): the migration files in order and the role SQL it runs after them.
 * The deploy runs the step itself; nobody needs to run this SQL by hand. Values Terraform only
 * knows at apply time (a GCP service account's id, an Azure identity's object id) print as
 * references (`<name.attribute>`).
 */
export interface DbRolesOptions extends ProjectOptions {
  readonly service?: string;
  readonly cloud?: string;
}

/** What the verb uses of @polycloud/runtime (loaded from the project). */
interface RuntimeRoles {
  rolesScript(roles: readonly unknown[], options: { database: string; schema?: string; admin: string }): string;
}

/** The environment of the function that runs `databaseId`'s migration step in a synthesized stack. */
export function migrationStepOf(json: any, databaseId: string): Record<string, string> | undefined {
  const r = json.resource ?? {};
  const envs: Record<string, string>[] = [
    ...Object.values<any>(r.aws_lambda_function ?? {}).map((f) => f.environment?.variables ?? {}),
    ...Object.values<any>(r.google_cloudfunctions2_function ?? {}).map((f) => f.service_config?.environment_variables ?? {}),
    ...Object.values<any>(r.azurerm_function_app_flex_consumption ?? {}).map((f) => f.app_settings ?? {}),
  ];
  return envs.find((e) => e.POLYCLOUD_MIGRATE_DATABASE === databaseId);
}

/** `${type.name.attribute}` → `<name.attribute>` (a role name must stay within 63 bytes). */
const atApply = (text: string) => text.replace(/\$\{(?:[a-z0-9_]+\.)?([^}]*)\}/g, "<$1>");

/** The migration ids the step's run input names (the invocation, job or post-apply step input). */
function migrationIds(json: any, databaseId: string): string[] {
  const text = JSON.stringify(json.resource ?? {});
  const m = new RegExp(`\\\\"database\\\\":\\\\"${databaseId}\\\\",\\\\"migrations\\\\":\\\\"[0-9a-f]+\\\\",\\\\"files\\\\":(\\[[^\\]]*\\])`).exec(text);
  return m ? JSON.parse(m[1].replace(/\\"/g, '"')) : [];
}

/** The step of `databaseId` in one synthesized stack: the files it applies and the role SQL it runs. */
export function describeMigrationStep(stack: string, json: any, databaseId: string, runtime: RuntimeRoles): string | undefined {
  const step = migrationStepOf(json, databaseId);
  if (!step) return undefined;
  const p = `DB_${envVarPart(databaseId)}`;
  // Apply-time values (`${...}` references) print as <reference>.
  const roles = JSON.parse(atApply(step.POLYCLOUD_MIGRATE_ROLES ?? "[]")) as unknown[];
  const header = [
    `-- ${stack}, database '${databaseId}': the migration step logs in to ${step[`${p}_HOST`]}:${step[`${p}_PORT`]} as ${step[`${p}_USER`]} (sslmode ${step[`${p}_SSLMODE`]})`,
    `-- and applies, in this order, each file once: ${migrationIds(json, databaseId).join(", ") || "(none)"}`,
  ];
  return `${header.join("\n")}\n${runtime.rolesScript(roles, { database: atApply(step[`${p}_NAME`]), admin: atApply(step[`${p}_USER`]) })}`;
}

/** The service of `env` that declares `databaseId` (or the one named by `--service`), from the last synthesis. */
export function serviceWithDatabase(ctx: CliContext, opts: ProjectOptions & { readonly service?: string }, envName: string, databaseId: string): ServiceSpec {
  const project = loadProject(ctx, opts);
  requireFreshOutput(ctx, project);
  const manifest = manifestOf(project);
  if (!manifest) throw new CliError("db: the synthesized output has no polycloud-composition.json; synthesize with @polycloud/stacks' runApp (polycloud synth)");
  const services = manifest.services[envName];
  if (!services) throw new CliError(`db: no environment '${envName}' in the last synthesis (${Object.keys(manifest.services).join(", ")})`);
  const candidates = services.filter((s) => (opts.service ? s.name === opts.service : s.databases?.[databaseId]));
  if (opts.service && !candidates.length) throw new CliError(`db: no service '${opts.service}' in ${envName} (${services.map((s) => s.name).join(", ")})`);
  if (!candidates.length) throw new CliError(`db: no service in ${envName} declares a database '${databaseId}' (${services.map((s) => `${s.name}: ${Object.keys(s.databases ?? {}).join(", ") || "none"}`).join("; ")})`);
  if (candidates.length > 1) throw new CliError(`db: several services of ${envName} declare a database '${databaseId}' (${candidates.map((s) => s.name).join(", ")}); choose one with --service`);
  const service = candidates[0];
  if (!service.databases?.[databaseId]) {
    throw new CliError(`db: no database '${databaseId}' in service '${service.name}' (declared: ${Object.keys(service.databases ?? {}).join(", ") || "none"})`);
  }
  return service;
}

export async function dbRolesCommand(ctx: CliContext, envName: string, databaseId: string, opts: DbRolesOptions = {}): Promise<number> {
  if (opts.cloud !== undefined && !(CLOUDS as readonly string[]).includes(opts.cloud)) throw new CliError(`db roles: --cloud must be one of ${CLOUDS.join(", ")} (got ${opts.cloud})`);
  const service = serviceWithDatabase(ctx, opts, envName, databaseId);
  const project = loadProject(ctx, opts);
  const runtime = optionalPackage<RuntimeRoles>("@polycloud/runtime", "db roles");
  // The environment's stack on a cloud, or (partitioned) the service's own stack.
  const synthesized = synthesizedStackNames(project.outdir);
  const stacksOn = (cloud: string) => synthesized.filter((n) => n === `${envName}-${cloud}` || n === `${envName}-${cloud}-${service.name}`);
  // Without --cloud: the one cloud the last synthesis rendered the service on.
  const clouds = opts.cloud ? [opts.cloud] : CLOUDS.filter((c) => stacksOn(c).length);
  if (clouds.length > 1) throw new CliError(`db roles: ${envName} renders ${service.name} on ${clouds.join(", ")}; choose one with --cloud`);
  const stacks = clouds.length ? stacksOn(clouds[0]) : [];
  if (!stacks.length) throw new CliError(`db roles: the last synthesis has no ${opts.cloud ? `${envName}-${opts.cloud}` : envName} stack (run \`polycloud synth\` with it)`);
  for (const stack of stacks) {
    const json = JSON.parse(fs.readFileSync(path.join(project.outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
    const described = describeMigrationStep(stack, json, databaseId, runtime);
    if (described) {
      ctx.out(described);
      return EXIT.OK;
    }
  }
  throw new CliError(`db roles: ${stacks.join(", ")} has no migration step for '${databaseId}'`, EXIT.FAILED);
}
