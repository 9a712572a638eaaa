import { EmulationHost, nestedBlock } from "@polycloud/core";
import { GcpIdentity } from "./identity";
import { GcpValues } from "./values";

/**
 * Cloud SQL for PostgreSQL on the runner's PostgreSQL: each google_sql_database, the IAM users
 * (google_sql_user CLOUD_IAM_SERVICE_ACCOUNT: `<account>@<project>.iam`) as login roles, the one
 * no function is told as its user acting as the migration owner, managed connection pooling as
 * PgBouncer (pool_mode, max_pool_size flags), TLS required by ssl_mode with a certificate from
 * the instance's own server CA (exposed as `server_ca_cert[0].cert`), and IAM database
 * authentication: the password is an OAuth access token of the service account the user names,
 * which needs roles/cloudsql.instanceUser.
 */
export async function startCloudSql(host: EmulationHost, values: GcpValues, identity: GcpIdentity): Promise<void> {
  for (const [address, raw] of values.resources("google_sql_database_instance")) {
    if (!String(raw.database_version ?? "").startsWith("POSTGRES")) continue;
    const authority = host.network.authority(`Cloud SQL server CA ${values.resolve(raw.name)}`);
    values.serverCa.set(address, authority.certificatePem);
    const inst = values.resolve({ ...raw, settings: raw.settings });
    const s = inst.settings ?? {};
    const flag = (list: any[] | undefined, name: string) => list?.find((f: any) => f.name === name)?.value;
    const ofInstance = (r: any) => String(r.instance).includes(`google_sql_database_instance.${address}.`);
    const users = values.resources("google_sql_user").filter(([, u]) => ofInstance(u)).map(([, u]) => values.resolve(u));
    const dbs = values.resources("google_sql_database").filter(([, d]) => ofInstance(d)).map(([, d]) => String(values.resolve(d.name)));
    const ip = String(values.value("google_sql_database_instance", address, raw, ["private_ip_address"]));
    const dns = String(values.value("google_sql_database_instance", address, raw, ["dns_name"])).replace(/\.$/, "");
    const told = new Set<string>();
    const ports = new Set<number>([5432]);
    for (const [, fn] of values.resources("google_cloudfunctions2_function")) {
      const env = values.resolve(fn.service_config?.environment_variables ?? {});
      for (const [k, v] of Object.entries<string>(env)) {
        const m = /^DB_([A-Z0-9_]+)_HOST$/.exec(k);
        if (m && [ip, dns].includes(v) && env[`DB_${m[1]}_USER`]) {
          told.add(env[`DB_${m[1]}_USER`]);
          ports.add(Number(env[`DB_${m[1]}_PORT`] ?? 5432));
        }
      }
    }
    const iamUsers = users.filter((u) => String(u.type ?? "BUILT_IN").startsWith("CLOUD_IAM")).map((u) => String(u.name));
    const owners = iamUsers.filter((u) => !told.has(u));
    const admin = owners.length === 1 ? owners[0] : "postgres";
    const pool = nestedBlock<any>(s.connection_pool_config);
    const pooled = pool?.connection_pooling_enabled === true;
    const iamAuth = flag(s.database_flags, "cloudsql.iam_authentication") === "on";
    const sslMode = String(s.ip_configuration?.ssl_mode ?? (s.ip_configuration?.require_ssl ? "ENCRYPTED_ONLY" : "ALLOW_UNENCRYPTED_AND_ENCRYPTED"));
    for (const database of dbs) {
      await host.databases.launch({
        key: `${address}/${database}`, database, admin,
        roles: [...told].map((name) => ({ name })),
        pool: pooled ? { mode: String(flag(pool.flags, "pool_mode") ?? "transaction") === "session" ? "session" : "transaction", size: Number(flag(pool.flags, "max_pool_size") ?? 10) } : undefined,
        grantFunctionRoles: true,
        // The server on 5432; managed connection pooling answers on its own port (6432).
        endpoints: [...ports].map((port) => ({ hostnames: [ip, dns], port, pooled: port !== 5432, authority, requireTls: sslMode !== "ALLOW_UNENCRYPTED_AND_ENCRYPTED" })),
        verify: async (user, password) => {
          if (!iamAuth || !iamUsers.includes(user)) return "built-in password users are not emulated; the functions use IAM database authentication";
          const email = identity.whoHas(password);
          if (!email) return "the password is not a valid OAuth access token";
          if (email.replace(/\.gserviceaccount\.com$/, "") !== user) return `the token belongs to ${email}, not to ${user}`;
          const resource = { "resource.name": `projects/${values.project}/instances/${inst.name}`, "resource.service": "sqladmin.googleapis.com", "resource.type": "sqladmin.googleapis.com/Instance" };
          if (!identity.hasRole(`serviceAccount:${email}`, "roles/cloudsql.instanceUser", undefined, resource)) return `${email} lacks roles/cloudsql.instanceUser on ${inst.name}`;
          return undefined;
        },
      });
    }
  }
}
