import { DatabaseInstance, EmulationHost } from "@polycloud/core";
import { Entra } from "./entra";
import { AzureValues } from "./values";

/**
 * What Flexible Server has built in for Entra authentication, in its `postgres` database:
 * pgaadauth_create_principal_with_oid, which Entra administrators (azure_pg_admin members) call to
 * create the login role of an Entra principal bound to its object id (Azure keeps the binding in a
 * security label; the runner in a table only the server reads), and the binding of the
 * administrator itself.
 */
function pgaadauthSql(admin: { name: string; objectId?: string }, others: readonly { name: string; objectId: string }[] = []): string {
  return `
CREATE TABLE IF NOT EXISTS public.pgaadauth_principals (rolname name PRIMARY KEY, objectid text NOT NULL, objecttype text NOT NULL);
REVOKE ALL ON public.pgaadauth_principals FROM PUBLIC;
CREATE OR REPLACE FUNCTION public.pgaadauth_create_principal_with_oid(rolename text, objectid text, objecttype text, isadmin boolean, ismfa boolean)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
  IF objecttype NOT IN ('user', 'group', 'service') THEN RAISE EXCEPTION 'objecttype must be user, group or service, not %', objecttype; END IF;
  IF objectid !~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN RAISE EXCEPTION 'objectid % is not an Entra object id', objectid; END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE pg_roles.rolname = $1) THEN RAISE EXCEPTION 'role "%" already exists', rolename; END IF;
  EXECUTE format('CREATE ROLE %I LOGIN%s', rolename, CASE WHEN isadmin THEN ' CREATEROLE CREATEDB IN ROLE azure_pg_admin' ELSE '' END);
  INSERT INTO public.pgaadauth_principals VALUES (rolename, lower(objectid), objecttype);
  RETURN format('Created role for "%s"', rolename);
END $fn$;
REVOKE ALL ON FUNCTION public.pgaadauth_create_principal_with_oid(text, text, text, boolean, boolean) FROM PUBLIC;
DO $grant$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'azure_pg_admin') THEN CREATE ROLE azure_pg_admin NOLOGIN; END IF;
END $grant$;
GRANT EXECUTE ON FUNCTION public.pgaadauth_create_principal_with_oid(text, text, text, boolean, boolean) TO azure_pg_admin;
${[admin, ...others].filter((a) => a.objectId).map((a) => `INSERT INTO public.pgaadauth_principals VALUES ('${a.name.replace(/'/g, "''")}', lower('${a.objectId!.replace(/'/g, "''")}'), 'service') ON CONFLICT (rolname) DO UPDATE SET objectid = EXCLUDED.objectid;`).join("\n")}
${others.map((a) => `DO $admin$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${a.name.replace(/'/g, "''")}') THEN CREATE ROLE "${a.name.replace(/"/g, '""')}" LOGIN CREATEROLE CREATEDB IN ROLE azure_pg_admin; END IF; END $admin$;`).join("\n")}
`;
}

/**
 * PostgreSQL Flexible Server on the runner's PostgreSQL: each server database and `postgres`,
 * owned by azure_pg_admin, the Entra administrators (active_directory_administrator: one, or one
 * per service on the environment's shared server) members of it
 * with CREATEROLE and CREATEDB, pgaadauth for the principals it creates, the built-in PgBouncer on
 * 6432 when `pgbouncer.enabled` is on (pool mode and size from the server configuration), TLS
 * required by require_secure_transport (on unless configured off) with a certificate from the
 * public web PKI (Flexible Server's certificates chain to the public roots Azure documents, for
 * which the runner's public authority stands in), and Entra authentication: the password is an
 * Entra token for https://ossrdbms-aad.database.windows.net of the principal the role is bound
 * to. Function roles are the deploy's: when the administrator is a function app's identity, that
 * app (the migration step) creates and grants them; otherwise they are made as the roles SQL run
 * by hand would leave them.
 */
export async function startFlexibleServers(host: EmulationHost, values: AzureValues, entra: Entra): Promise<void> {
  for (const [address, raw] of values.resources("azurerm_postgresql_flexible_server")) {
    const fqdn = String(values.value("azurerm_postgresql_flexible_server", address, raw, ["fqdn"]));
    const ofServer = (r: any) => String(r.server_id ?? r.server_name ?? "").includes(`azurerm_postgresql_flexible_server.${address}.`);
    const config = (name: string) => values.resources("azurerm_postgresql_flexible_server_configuration").map(([, c]) => c).find((c) => ofServer(c) && c.name === name)?.value;
    // The environment's shared server has one Entra administrator per service (its migration step's identity).
    const adminsRaw = values.resources("azurerm_postgresql_flexible_server_active_directory_administrator").filter(([, a]) => ofServer(a)).map(([, a]) => a);
    const adminRaw = adminsRaw[0];
    const [admin, ...otherAdmins] = adminsRaw.map((a) => ({ name: String(values.resolve(a.principal_name)), objectId: String(values.resolve(a.object_id)) }));
    const adminName = admin?.name ?? "azure_pg_admin_user";
    // The administrator is a function app's identity: the deploy runs that app against the server.
    const deployRunsCode = adminRaw !== undefined && values.refOf(adminRaw.object_id)?.type === "azurerm_user_assigned_identity";
    const pooled = String(config("pgbouncer.enabled") ?? "false").toLowerCase() === "true";
    const requireTls = String(config("require_secure_transport") ?? "ON").toUpperCase() !== "OFF";
    const users = new Map<string, Set<string>>();
    for (const [, app] of [...values.resources("azurerm_function_app_flex_consumption"), ...values.resources("azurerm_linux_function_app")]) {
      const settings = values.resolve(app.app_settings ?? {});
      for (const [k, v] of Object.entries<string>(settings)) {
        const m = /^DB_([A-Z0-9_]+)_HOST$/.exec(k);
        if (m && v === fqdn && settings[`DB_${m[1]}_USER`]) {
          const db = String(settings[`DB_${m[1]}_NAME`] ?? "postgres");
          users.set(db, (users.get(db) ?? new Set()).add(String(settings[`DB_${m[1]}_USER`])));
        }
      }
    }
    const databases = values.resources("azurerm_postgresql_flexible_server_database").filter(([, d]) => ofServer(d)).map(([, d]) => String(values.resolve(d.name)));
    const identities = values.resources("azurerm_user_assigned_identity").map(([a]) => entra.userAssigned(`\${azurerm_user_assigned_identity.${a}.id}`));
    if (!databases.length) continue;
    const told = new Set([...users.values()].flatMap((s) => [...s]));
    told.delete(adminName);
    for (const a of otherAdmins) told.delete(a.name);
    const launched: { server?: DatabaseInstance } = {};
    launched.server = await host.databases.launch({
      key: address, database: databases[0], otherDatabases: [...databases.slice(1), "postgres"],
      admin: adminName, adminGroups: ["azure_pg_admin"], owner: "azure_pg_admin",
      roles: deployRunsCode ? [] : [...told].map((name) => ({ name })),
      clients: [...told],
      grantFunctionRoles: !deployRunsCode,
      platformSql: pgaadauthSql({ name: adminName, objectId: admin?.objectId }, otherAdmins),
      pool: pooled ? { mode: String(config("pgbouncer.pool_mode") ?? "TRANSACTION").toLowerCase() === "session" ? "session" : "transaction", size: Number(config("pgbouncer.default_pool_size") ?? 50) } : undefined,
      // The server on 5432; the built-in PgBouncer on 6432 when enabled.
      endpoints: [
        { hostnames: [fqdn], port: 5432, pooled: false, authority: host.network.publicAuthority, requireTls },
        ...(pooled ? [{ hostnames: [fqdn], port: 6432, pooled: true, authority: host.network.publicAuthority, requireTls }] : []),
      ],
      verify: async (user, password) => {
        if (raw.authentication?.active_directory_auth_enabled === false) return "Entra authentication is off; password users are not emulated";
        const principal = entra.who(`Bearer ${password}`, "https://ossrdbms-aad.database.windows.net");
        if (!principal) return "the password is not a valid Entra token for https://ossrdbms-aad.database.windows.net";
        const bound = launched.server ? (await launched.server.query<{ objectid: string }>("SELECT objectid FROM public.pgaadauth_principals WHERE rolname = $1", [user], "postgres")).rows[0]?.objectid : undefined;
        if (bound !== undefined) return bound === principal.principalId.toLowerCase() ? undefined : `the token belongs to ${principal.principalId}, not to the principal ${user} is bound to`;
        // Roles made without pgaadauth (a stack whose deploy runs nothing): by the identity's name.
        const identity = identities.find((i) => i.principalId === principal.principalId);
        if (!deployRunsCode && identity?.name === user) return undefined;
        return `role "${user}" is not an Entra principal (pgaadauth_create_principal_with_oid was never called for it)`;
      },
    });
  }
}
