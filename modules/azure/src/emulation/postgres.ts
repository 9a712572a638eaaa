import { EmulationHost } from "@polycloud/core";
import { Entra } from "./entra";
import { AzureValues } from "./values";

/**
 * PostgreSQL Flexible Server on the runner's PostgreSQL: each server database, the Entra
 * administrator as the owner, a login role per managed identity a function is told as its
 * user (`DB_<ID>_USER`, the identity's name), the built-in PgBouncer on 6432 when
 * `pgbouncer.enabled` is on (pool mode and size from the server configuration), TLS required by
 * require_secure_transport (on unless configured off) with a certificate from the public web
 * PKI (Flexible Server's certificates chain to a public root), and Entra authentication: the
 * password is an Entra token for https://ossrdbms-aad.database.windows.net of that identity.
 */
export async function startFlexibleServers(host: EmulationHost, values: AzureValues, entra: Entra): Promise<void> {
  for (const [address, raw] of values.resources("azurerm_postgresql_flexible_server")) {
    const fqdn = String(values.value("azurerm_postgresql_flexible_server", address, raw, ["fqdn"]));
    const ofServer = (r: any) => String(r.server_id ?? r.server_name ?? "").includes(`azurerm_postgresql_flexible_server.${address}.`);
    const config = (name: string) => values.resources("azurerm_postgresql_flexible_server_configuration").map(([, c]) => c).find((c) => ofServer(c) && c.name === name)?.value;
    const admin = values.resources("azurerm_postgresql_flexible_server_active_directory_administrator").find(([, a]) => ofServer(a))?.[1];
    const adminName = admin ? String(values.resolve(admin.principal_name)) : "azure_pg_admin";
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
    for (const database of databases) {
      await host.databases.launch({
        key: `${address}/${database}`, database, admin: adminName,
        roles: [...(users.get(database) ?? [])].map((name) => ({ name })),
        grantFunctionRoles: true,
        otherDatabases: ["postgres"],
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
          const identity = identities.find((i) => i.principalId === principal.principalId);
          if (identity?.name !== user) return `the token belongs to ${identity?.name ?? principal.principalId}, not to ${user}`;
          return undefined;
        },
      });
    }
  }
}
