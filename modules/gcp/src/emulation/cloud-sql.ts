import { randomUUID } from "node:crypto";
import { CertificateAuthority, DatabaseInstance, EmulationHost, HttpAnswer, HttpExchange, jsonAnswer, nestedBlock, quoteIdentifier } from "@polycloud/core";
import { GcpIdentity } from "./identity";
import { GcpValues } from "./values";

interface SqlInstance {
  readonly address: string;
  readonly name: string;
  readonly database: DatabaseInstance;
  /** Built-in users' passwords (google_sql_user with a password, or created through the Admin API). */
  readonly passwords: Map<string, string>;
}

interface Operation {
  readonly kind: "sql#operation";
  readonly name: string;
  readonly status: "DONE";
  readonly operationType: string;
  readonly targetProject: string;
  readonly targetId: string;
  readonly error?: { readonly kind: "sql#operationErrors"; readonly errors: { readonly kind: "sql#operationError"; readonly code: string; readonly message: string }[] };
}

/**
 * Cloud SQL for PostgreSQL on the runner's PostgreSQL, one server per instance with its
 * google_sql_database databases and `postgres`, as Cloud SQL leaves them: owned by
 * cloudsqlsuperuser, with the built-in `postgres` user a member of it (CREATEROLE, CREATEDB), each
 * IAM user (google_sql_user CLOUD_IAM_SERVICE_ACCOUNT: `<account>@<project>.iam`) a login role with
 * no privileges, and each built-in user with a password a cloudsqlsuperuser member. Managed
 * connection pooling is PgBouncer (pool_mode, max_pool_size flags). TLS is required by ssl_mode,
 * with a certificate from the instance's own server CA (`server_ca_cert[0].cert`) whose subject CN
 * is `<project>:<instance>`, as Cloud SQL's per-instance CA issues it. IAM database authentication
 * takes an OAuth access token of the service account the user names, which needs
 * roles/cloudsql.instanceUser; built-in users give their password.
 *
 * The Cloud SQL Admin API (sqladmin.googleapis.com/v1) creates, lists and deletes users of an
 * instance for a caller whose token carries cloudsql.users.* on it (custom roles included), each
 * call one operation, DONE at once. Function roles and grants are the deploy's (the migration
 * step); a stack whose deploy runs nothing (no Cloud Run job executed at apply) gets them as the
 * roles SQL run by hand would leave them.
 */
export class CloudSql {
  readonly instances = new Map<string, SqlInstance>();
  private readonly operations = new Map<string, Operation>();

  private readonly authorities = new Map<string, CertificateAuthority>();

  /** Makes every instance's server CA: a function's environment may name any instance's `server_ca_cert`. */
  constructor(private readonly host: EmulationHost, private readonly values: GcpValues, private readonly identity: GcpIdentity) {
    for (const [address, raw] of this.postgresInstances()) {
      const authority = host.network.authority(`Cloud SQL server CA ${values.resolve(raw.name)}`);
      this.authorities.set(address, authority);
      values.serverCa.set(address, authority.certificatePem);
    }
  }

  private postgresInstances(): [string, any][] {
    return this.values.resources("google_sql_database_instance").filter(([, raw]) => String(raw.database_version ?? "").startsWith("POSTGRES"));
  }

  async start(): Promise<void> {
    const values = this.values;
    const deployRunsCode = values.resources("google_cloud_run_v2_job").some(([, j]) => j.run_execution_token !== undefined);
    for (const [address, raw] of this.postgresInstances()) {
      const authority = this.authorities.get(address)!;
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
      const passwords = new Map<string, string>();
      for (const u of users) if (!String(u.type ?? "BUILT_IN").startsWith("CLOUD_IAM") && u.password !== undefined) passwords.set(String(u.name), String(u.password));
      if (inst.root_password !== undefined) passwords.set("postgres", String(inst.root_password));
      const pool = nestedBlock<any>(s.connection_pool_config);
      const pooled = pool?.connection_pooling_enabled === true;
      const iamAuth = flag(s.database_flags, "cloudsql.iam_authentication") === "on";
      const sslMode = String(s.ip_configuration?.ssl_mode ?? (s.ip_configuration?.require_ssl ? "ENCRYPTED_ONLY" : "ALLOW_UNENCRYPTED_AND_ENCRYPTED"));
      const name = String(inst.name);
      const resource = { "resource.name": `projects/${values.project}/instances/${name}`, "resource.service": "sqladmin.googleapis.com", "resource.type": "sqladmin.googleapis.com/Instance" };
      if (!dbs.length) continue;
      const database = await this.host.databases.launch({
        key: address, database: dbs[0], otherDatabases: [...dbs.slice(1), "postgres"],
        admin: "postgres", adminGroups: ["cloudsqlsuperuser"], owner: "cloudsqlsuperuser",
        roles: [
          ...iamUsers.map((n) => ({ name: n })),
          ...[...passwords.keys()].filter((n) => n !== "postgres").map((n) => ({ name: n, memberOf: ["cloudsqlsuperuser"] })),
        ],
        clients: [...told],
        grantFunctionRoles: !deployRunsCode,
        pool: pooled ? { mode: String(flag(pool.flags, "pool_mode") ?? "transaction") === "session" ? "session" : "transaction", size: Number(flag(pool.flags, "max_pool_size") ?? 10) } : undefined,
        // The server on 5432; managed connection pooling answers on its own port (6432).
        endpoints: [...ports].map((port) => ({ hostnames: [ip, dns], commonName: `${values.project}:${name}`, port, pooled: port !== 5432, authority, requireTls: sslMode !== "ALLOW_UNENCRYPTED_AND_ENCRYPTED" })),
        verify: async (user, password) => {
          const builtIn = this.instances.get(name)?.passwords.get(user) ?? passwords.get(user);
          if (builtIn !== undefined) return password === builtIn ? undefined : `password authentication failed for user "${user}"`;
          if (!iamAuth || !iamUsers.includes(user)) return `password authentication failed for user "${user}"`;
          const email = this.identity.whoHas(password);
          if (!email) return "Cloud SQL IAM user authentication failed: the password is not a valid OAuth access token";
          if (email.replace(/\.gserviceaccount\.com$/, "") !== user) return `the token belongs to ${email}, not to ${user}`;
          if (!this.identity.hasRole(`serviceAccount:${email}`, "roles/cloudsql.instanceUser", undefined, resource)) return `${email} lacks roles/cloudsql.instanceUser on ${name}`;
          return undefined;
        },
      });
      this.instances.set(name, { address, name, database, passwords });
    }
  }

  private operation(project: string, instance: string, type: string, error?: string): Operation {
    const op: Operation = {
      kind: "sql#operation", name: randomUUID(), status: "DONE", operationType: type, targetProject: project, targetId: instance,
      ...(error ? { error: { kind: "sql#operationErrors", errors: [{ kind: "sql#operationError", code: "INTERNAL_ERROR", message: error }] } } : {}),
    };
    this.operations.set(op.name, op);
    return op;
  }

  /** The Cloud SQL Admin API (v1 and v1beta4): users of an instance, and the operations they make. */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const fail = (code: number, status: string, message: string) => jsonAnswer(code, { error: { code, message, status, errors: [{ message, domain: "global", reason: status.toLowerCase() }] } });
    const url = new URL(req.url, "https://sqladmin.googleapis.com");
    const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
    const email = this.identity.whoHas(token);
    if (!email) return fail(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    const op = /^\/(?:sql\/)?v1(?:beta4)?\/projects\/([^/]+)\/operations\/([^/]+)$/.exec(url.pathname);
    if (op && req.method === "GET") {
      const found = this.operations.get(decodeURIComponent(op[2]));
      return found && found.targetProject === op[1] ? jsonAnswer(200, found) : fail(404, "NOT_FOUND", "The Cloud SQL operation does not exist.");
    }
    const m = /^\/(?:sql\/)?v1(?:beta4)?\/projects\/([^/]+)\/instances\/([^/]+)\/users$/.exec(url.pathname);
    if (!m) return fail(404, "NOT_FOUND", `${req.method} ${url.pathname} is not emulated`);
    const [, project, name] = m;
    const inst = project === this.values.project ? this.instances.get(decodeURIComponent(name)) : undefined;
    const member = `serviceAccount:${email}`;
    const context = { "resource.name": `projects/${project}/instances/${name}`, "resource.service": "sqladmin.googleapis.com", "resource.type": "sqladmin.googleapis.com/Instance" };
    const permission = { POST: "cloudsql.users.create", DELETE: "cloudsql.users.delete", GET: "cloudsql.users.list" }[req.method];
    if (!permission) return fail(405, "METHOD_NOT_ALLOWED", `${req.method} is not emulated`);
    // Cloud SQL answers 403 for an instance the caller may not see, whether or not it exists.
    if (!inst || !this.identity.hasPermission(member, permission, context)) {
      return fail(403, "PERMISSION_DENIED", `The client is not authorized to make this request (${email} lacks ${permission} on projects/${project}/instances/${name}).`);
    }
    const roles = async () => (await inst.database.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolname NOT LIKE 'pg\\_%'")).rows.map((r) => r.rolname);
    if (req.method === "GET") {
      return jsonAnswer(200, { kind: "sql#usersList", items: (await roles()).map((n) => ({ kind: "sql#user", name: n, instance: inst.name, project, type: n.endsWith(".iam") ? "CLOUD_IAM_SERVICE_ACCOUNT" : "BUILT_IN" })) });
    }
    if (req.method === "POST") {
      const body = JSON.parse(req.body.toString("utf8") || "{}");
      const user = String(body.name ?? "");
      const type = String(body.type ?? "BUILT_IN");
      if (!user) return fail(400, "INVALID_ARGUMENT", "The user name is missing.");
      if (type !== "BUILT_IN") return fail(400, "INVALID_ARGUMENT", `users of type ${type} are created from the stack (google_sql_user) on the runner`);
      if ((await roles()).includes(user)) return fail(409, "ALREADY_EXISTS", `The user ${user} already exists.`);
      let error: string | undefined;
      try {
        await inst.database.query(`CREATE ROLE ${quoteIdentifier(user)} LOGIN CREATEROLE CREATEDB IN ROLE cloudsqlsuperuser`);
        inst.passwords.set(user, String(body.password ?? ""));
      } catch (err) {
        error = (err as Error).message;
      }
      this.host.log("cloud-sql", `[admin api] ${email} created built-in user ${user} on ${inst.name}${error ? ` (failed: ${error})` : ""}`);
      return jsonAnswer(200, this.operation(project, inst.name, "CREATE_USER", error));
    }
    const user = url.searchParams.get("name") ?? "";
    let error: string | undefined;
    try {
      await inst.database.query(`DROP ROLE ${quoteIdentifier(user)}`);
      inst.passwords.delete(user);
    } catch (err) {
      error = (err as Error).message;
    }
    this.host.log("cloud-sql", `[admin api] ${email} deleted user ${user} on ${inst.name}${error ? ` (failed: ${error})` : ""}`);
    return jsonAnswer(200, this.operation(project, inst.name, "DELETE_USER", error));
  }
}
